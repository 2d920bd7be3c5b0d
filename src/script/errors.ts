// Diagnostics for the routing-script language: every problem carries the original
// file:line:col (through includes and define expansion) so `dsd -c` can print
// them the way `kamailio -c` users expect, one per line.
import { DsdError } from '../core/errors';

export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type Severity = 'error' | 'warning';

/** One problem found in a configuration file. */
export class ConfigError extends DsdError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly severity: Severity;
  /** The message without the position prefix. */
  readonly detail: string;

  constructor(pos: SourcePos, detail: string, severity: Severity = 'error') {
    super(
      'DSD_ERR_CONFIG',
      `${pos.file}:${pos.line}:${pos.col}: ${severity === 'warning' ? 'warning: ' : ''}${detail}`,
    );
    this.file = pos.file;
    this.line = pos.line;
    this.col = pos.col;
    this.severity = severity;
    this.detail = detail;
  }

  get pos(): SourcePos {
    return { file: this.file, line: this.line, col: this.col };
  }
}

/** Thrown by compileConfig when the file has errors; carries all of them. */
export class ConfigErrors extends DsdError {
  readonly errors: readonly ConfigError[];
  readonly warnings: readonly ConfigError[];

  constructor(errors: readonly ConfigError[], warnings: readonly ConfigError[]) {
    const head = errors
      .slice(0, 20)
      .map((e) => e.message)
      .join('\n');
    const more = errors.length > 20 ? `\n... and ${errors.length - 20} more` : '';
    super(
      'DSD_ERR_CONFIG',
      `bad config file (${errors.length} error${errors.length === 1 ? '' : 's'})\n${head}${more}`,
    );
    this.errors = errors;
    this.warnings = warnings;
  }
}

/** Raised inside the compiler to abandon one construct; always recorded first. */
export class CompileAbort extends DsdError {
  constructor() {
    super('DSD_ERR_COMPILE_ABORT', 'compile aborted');
  }
}

/** Collects errors and warnings instead of stopping at the first one. */
export class Diagnostics {
  readonly errors: ConfigError[] = [];
  readonly warnings: ConfigError[] = [];
  /** The lexer lost the rest of a file (unterminated string/comment): end-of-file errors are noise. */
  truncated = false;
  private readonly seen = new Set<string>();
  private readonly onceKeys = new Set<string>();

  error(pos: SourcePos, detail: string): void {
    const e = new ConfigError(pos, detail);
    if (this.seen.has(e.message)) return;
    this.seen.add(e.message);
    this.errors.push(e);
  }

  warn(pos: SourcePos, detail: string): void {
    const w = new ConfigError(pos, detail, 'warning');
    if (this.seen.has(w.message)) return;
    this.seen.add(w.message);
    this.warnings.push(w);
  }

  /** Warn only the first time `key` is seen (e.g. once per no-op module). */
  warnOnce(key: string, pos: SourcePos, detail: string): void {
    if (this.onceKeys.has(key)) return;
    this.onceKeys.add(key);
    this.warn(pos, detail);
  }

  get hasErrors(): boolean {
    return this.errors.length > 0;
  }
}

/** Sort diagnostics by file (in order of first appearance), then line and column. */
export function sortDiagnostics(list: readonly ConfigError[], fileOrder: readonly string[]): ConfigError[] {
  const rank = new Map<string, number>();
  fileOrder.forEach((f, i) => rank.set(f, i));
  return list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const fa = rank.get(a.d.file) ?? 1e9;
      const fb = rank.get(b.d.file) ?? 1e9;
      if (fa !== fb) return fa - fb;
      if (a.d.line !== b.d.line) return a.d.line - b.d.line;
      if (a.d.col !== b.d.col) return a.d.col - b.d.col;
      return a.i - b.i;
    })
    .map((x) => x.d);
}
