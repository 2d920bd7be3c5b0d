// Cursor over the preprocessed token list with error recording and recovery helpers.
import type { Diagnostics, SourcePos } from './errors';
import { describe, type Token } from './tokens';
import { DsdError } from '../core/errors';

/** A syntax error that has already been recorded; the caller resynchronises. */
export class ParseError extends DsdError {
  constructor() {
    super('DSD_ERR_PARSE', 'parse error');
  }
}

/** Raised when a block runs into a top-level declaration: its '{' was never closed. */
export class BlockUnwind extends DsdError {
  constructor() {
    super('DSD_ERR_BLOCK_UNWIND', 'block unwind');
  }
}

export class TokenStream {
  i = 0;
  private readonly eof: Token;

  constructor(
    protected readonly toks: readonly Token[],
    protected readonly diag: Diagnostics,
    mainFile: string,
  ) {
    const last = toks[toks.length - 1];
    const pos: SourcePos = last ? last.pos : { file: mainFile, line: 1, col: 1 };
    this.eof = { kind: 'eof', text: '', value: 0, raw: '', pos, space: true, newline: true };
  }

  peek(k = 0): Token {
    return this.toks[this.i + k] ?? this.eof;
  }

  next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length) this.i++;
    return t;
  }

  atEof(): boolean {
    return this.i >= this.toks.length;
  }

  isOp(sym: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'op' && t.text === sym;
  }

  isId(name: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'id' && t.text === name;
  }

  acceptOp(sym: string): boolean {
    if (!this.isOp(sym)) return false;
    this.i++;
    return true;
  }

  /** Record an error and abandon the current construct. */
  fail(pos: SourcePos, msg: string): never {
    if (!(this.atEof() && this.diag.truncated)) this.diag.error(pos, msg);
    throw new ParseError();
  }

  expectOp(sym: string, context: string): Token {
    const t = this.peek();
    if (t.kind === 'op' && t.text === sym) return this.next();
    return this.fail(t.pos, `expected '${sym}' ${context}, found ${describe(t)}`);
  }

  /** Skip to just after the next ';' or to (not past) a '}' closing the current block. */
  syncStatement(): void {
    let depth = 0;
    while (!this.atEof()) {
      const t = this.peek();
      if (t.kind === 'op') {
        if (t.text === ';' && depth === 0) {
          this.i++;
          return;
        }
        if (t.text === '{') depth++;
        if (t.text === '}') {
          if (depth === 0) return;
          depth--;
          if (depth === 0) {
            this.i++;
            return;
          }
        }
      }
      this.i++;
    }
  }

  /** Top level: skip to the first token on a later line at brace depth 0. */
  syncTopLevel(): void {
    let depth = 0;
    const startLine = this.peek().pos.line;
    const startFile = this.peek().pos.file;
    this.i++;
    while (!this.atEof()) {
      const t = this.peek();
      if (depth === 0 && t.newline && (t.pos.line !== startLine || t.pos.file !== startFile)) return;
      if (t.kind === 'op' && t.text === '{') depth++;
      if (t.kind === 'op' && t.text === '}') depth = Math.max(0, depth - 1);
      this.i++;
    }
  }

  /** Adjacent tokens (no blank between) starting at the cursor, joined as written. */
  readWord(stop: (t: Token) => boolean = () => false): { text: string; toks: Token[] } {
    const toks: Token[] = [];
    let text = '';
    while (!this.atEof()) {
      const t = this.peek();
      if (toks.length > 0 && t.space) break;
      if (
        toks.length > 0 &&
        t.kind === 'op' &&
        (t.text === ';' || t.text === ',' || t.text === ')' || t.text === '}' || t.text === '{')
      )
        break;
      if (stop(t)) break;
      toks.push(t);
      text += t.raw;
      this.i++;
    }
    return { text, toks };
  }
}
