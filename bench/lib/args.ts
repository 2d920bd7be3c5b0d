/** A minimal `--name value` / `--flag` parser for the bench entry points. */

export class ArgError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'ArgError';
  }
}

export interface FlagSpec {
  /** Flag name without dashes. */
  name: string;
  kind: 'number' | 'string' | 'boolean' | 'numbers';
  help: string;
  default?: number | string | boolean | number[];
}

export type Flags = Record<string, number | string | boolean | number[] | undefined>;

function usage(cmd: string, specs: readonly FlagSpec[]): string {
  const lines = specs.map((s) => {
    const arg = s.kind === 'boolean' ? '' : s.kind === 'numbers' ? ' N,N,…' : s.kind === 'number' ? ' N' : ' TEXT';
    const def =
      s.default === undefined || s.default === false
        ? ''
        : ` (default ${Array.isArray(s.default) ? s.default.join(',') : s.default})`;
    return `  --${s.name}${arg}`.padEnd(28) + s.help + def;
  });
  return `usage: ${cmd} [options]\n${lines.join('\n')}\n  --help                    this text`;
}

function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): Flags & { help?: boolean } {
  const out: Flags & { help?: boolean } = {};
  for (const s of specs) out[s.name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === undefined) break;
    if (a === '--help' || a === '-h') {
      out.help = true;
      continue;
    }
    if (!a.startsWith('--')) throw new ArgError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new ArgError(`unknown option --${name}`);
    if (spec.kind === 'boolean') {
      out[name] = true;
      continue;
    }
    const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new ArgError(`--${name} needs a value`);
    if (spec.kind === 'string') out[name] = v;
    else if (spec.kind === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new ArgError(`--${name}: "${v}" is not a non-negative number`);
      out[name] = n;
    } else {
      const ns = v.split(',').map((x) => Number(x.trim()));
      if (ns.some((n) => !Number.isFinite(n) || n <= 0))
        throw new ArgError(`--${name}: "${v}" is not a list of positive numbers`);
      out[name] = ns;
    }
  }
  return out;
}

/** The environment of this process plus `NAME=VALUE,…` (the A/B tools' --aenv/--benv). */
export function envOf(spec: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const kv of spec.split(',').filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

/**
 * An entry point's flags from process.argv, or the exit code it should return: 0 after
 * printing the usage for --help, 2 after a bad argument (the message, then the usage).
 * `check` adds rules between flags (run only when not asking for help).
 */
export function cliFlags(
  name: string,
  cmd: string,
  specs: readonly FlagSpec[],
  check?: (f: Flags) => void,
): (Flags & { help?: boolean }) | number {
  try {
    const f = parseFlags(process.argv.slice(2), specs);
    if (f.help) {
      process.stdout.write(`${usage(cmd, specs)}\n`);
      return 0;
    }
    check?.(f);
    return f;
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    process.stderr.write(`${name}: ${e.message}\n${usage(cmd, specs)}\n`);
    return 2;
  }
}
