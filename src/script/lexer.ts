// Character-level scanner for kamailio.cfg text. It produces raw lexemes; the
// preprocessor drives it, handles #! directives, skipping and define expansion.
import type { Diagnostics, SourcePos } from './errors';
import type { Token } from './tokens';

export type Lexeme =
  | { readonly kind: 'token'; readonly tok: Token }
  | { readonly kind: 'directive'; readonly word: string; readonly pos: SourcePos }
  | { readonly kind: 'include'; readonly mode: 'include' | 'import'; readonly pos: SourcePos };

/** Words after `#!` / `!!` that the preprocessor understands. */
const DIRECTIVES = new Set([
  'define',
  'trydef',
  'redefine',
  'ifdef',
  'ifndef',
  'else',
  'endif',
  'subst',
  'substdef',
  'substdefs',
  'include_file',
  'import_file',
  'defenv',
  'defenvs',
  'trydefenv',
  'trydefenvs',
  'defexp',
  'defexps',
  'ifexp',
]);

/** Script-type headers: `#!KAMAILIO`, `#!OPENSER`, `#!SER`, `#!MAXCOMPAT`, `#!ALL`, `#!DSD`. */
const HEADERS = new Set(['KAMAILIO', 'OPENSER', 'SER', 'MAXCOMPAT', 'ALL', 'DSD']);

const OPS3 = ['(int)', '(str)'];
const OPS2 = ['==', '!=', '=~', '!~', '>=', '<=', '<<', '>>', '&&', '||', '+='];
const OPS1 = '=><!~&|^+-*/%(){}[],;:.@';

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdChar(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export class Scanner {
  i = 0;
  line = 1;
  col = 1;
  private space = true;
  private newline = true;

  constructor(
    readonly text: string,
    readonly file: string,
    private readonly diag: Diagnostics,
    /** When set, every token gets this position (define expansion). */
    private readonly fixedPos: SourcePos | null = null,
    private readonly fromDefine: string | undefined = undefined,
  ) {}

  pos(): SourcePos {
    return this.fixedPos ?? { file: this.file, line: this.line, col: this.col };
  }

  private ch(k = 0): number {
    const j = this.i + k;
    return j < this.text.length ? this.text.charCodeAt(j) : -1;
  }

  private adv(n = 1): void {
    for (let k = 0; k < n && this.i < this.text.length; k++) {
      if (this.text.charCodeAt(this.i) === 10) {
        this.line++;
        this.col = 1;
      } else {
        this.col++;
      }
      this.i++;
    }
  }

  /** Advance over n characters (line/column kept up to date). */
  skipChars(n: number): void {
    this.adv(n);
  }

  atEnd(): boolean {
    return this.i >= this.text.length;
  }

  /** Rest of the current line (continuations with a trailing backslash are joined); consumes the newline. */
  readLine(joinContinuations: boolean): string {
    let out = '';
    while (this.i < this.text.length) {
      const c = this.ch();
      if (c === 10) {
        this.adv();
        break;
      }
      if (joinContinuations && c === 92 && (this.ch(1) === 10 || (this.ch(1) === 13 && this.ch(2) === 10))) {
        this.adv(this.ch(1) === 13 ? 3 : 2);
        continue;
      }
      if (c !== 13) out += this.text[this.i];
      this.adv();
    }
    this.newline = true;
    this.space = true;
    return out;
  }

  skipBlanks(): void {
    while (this.ch() === 32 || this.ch() === 9 || this.ch() === 13) this.adv();
  }

  /** Identifier at the cursor (used by directives), or '' if none. */
  readWord(): string {
    const s = this.i;
    while (isIdChar(this.ch())) this.adv();
    return this.text.slice(s, this.i);
  }

  /** A quoted string at the cursor, for directive arguments; null if none. */
  readDirectiveString(): string | null {
    const c = this.ch();
    if (c !== 34 && c !== 39) return null;
    const t = c === 34 ? this.readDoubleQuoted(this.pos(), false) : this.readSingleQuoted(this.pos());
    return t;
  }

  /** Next lexeme, or null at end of input. */
  next(): Lexeme | null {
    // space/newline accumulate from the previous token (directives and skipped lines included)
    for (;;) {
      const c = this.ch();
      if (c === -1) return null;
      if (c === 32 || c === 9 || c === 13) {
        this.space = true;
        this.adv();
        continue;
      }
      if (c === 10) {
        this.space = true;
        this.newline = true;
        this.adv();
        continue;
      }
      if (c === 92 && (this.ch(1) === 10 || (this.ch(1) === 13 && this.ch(2) === 10))) {
        this.space = true;
        this.adv(this.ch(1) === 13 ? 3 : 2);
        continue;
      }
      if (c === 35 /* # */ || (c === 33 && this.ch(1) === 33) /* !! */) {
        if (this.ch(1) === 33 || c === 33) {
          const save = { i: this.i, line: this.line, col: this.col };
          const pos = this.pos();
          this.adv(2);
          const word = this.readWord();
          if (DIRECTIVES.has(word)) return { kind: 'directive', word, pos };
          if (c === 35) {
            // #!KAMAILIO-style headers and unknown #! words are comments, as in Kamailio.
            if (word !== '' && !HEADERS.has(word)) {
              this.diag.warn(pos, `unknown preprocessor directive '#!${word}' ignored (treated as a comment)`);
            }
            this.readLine(false);
            continue;
          }
          // `!!` not followed by a directive: two logical-not operators.
          this.i = save.i;
          this.line = save.line;
          this.col = save.col;
        } else {
          this.readLine(false);
          continue;
        }
      }
      if (c === 47 && this.ch(1) === 47) {
        this.readLine(false);
        continue;
      }
      if (c === 47 && this.ch(1) === 42) {
        this.skipBlockComment();
        this.space = true;
        continue;
      }
      break;
    }
    const c = this.ch();
    const pos = this.pos();
    const start = this.i;
    if (c === 34) {
      const v = this.readDoubleQuoted(pos, true);
      return this.tok('str', v ?? '', 0, start, pos);
    }
    if (c === 39) {
      const v = this.readSingleQuoted(pos);
      return this.tok('str', v ?? '', 0, start, pos);
    }
    if (isDigit(c)) return this.readNumber(pos);
    if (isIdStart(c)) {
      const word = this.readWord();
      if (word === 'include_file' || word === 'import_file') {
        return { kind: 'include', mode: word === 'include_file' ? 'include' : 'import', pos };
      }
      return this.tok('id', word, 0, start, pos);
    }
    if (c === 36) return this.readPv(pos);
    for (const op of OPS3) {
      if (this.text.startsWith(op, this.i)) {
        this.adv(op.length);
        return this.tok('op', op, 0, start, pos);
      }
    }
    for (const op of OPS2) {
      if (this.text.startsWith(op, this.i)) {
        this.adv(2);
        return this.tok('op', op, 0, start, pos);
      }
    }
    const op1 = this.text.charAt(start);
    if (op1 !== '' && OPS1.includes(op1)) {
      this.adv();
      return this.tok('op', op1, 0, start, pos);
    }
    this.adv();
    this.diag.error(pos, `unexpected character '${this.text[start]}'`);
    return this.next();
  }

  private tok(kind: Token['kind'], text: string, value: number, start: number, pos: SourcePos, numId = false): Lexeme {
    const tok: Token = {
      kind,
      text,
      value,
      raw: this.text.slice(start, this.i),
      pos,
      space: this.space,
      newline: this.newline,
      ...(numId ? { numId: true } : {}),
      ...(this.fromDefine ? { fromDefine: this.fromDefine } : {}),
    };
    this.space = false;
    this.newline = false;
    return { kind: 'token', tok };
  }

  private skipBlockComment(): void {
    // Kamailio nests /* */ comments.
    const pos = this.pos();
    let depth = 0;
    while (this.i < this.text.length) {
      if (this.ch() === 47 && this.ch(1) === 42) {
        depth++;
        this.adv(2);
      } else if (this.ch() === 42 && this.ch(1) === 47) {
        depth--;
        this.adv(2);
        if (depth === 0) return;
      } else {
        this.adv();
      }
    }
    this.diag.error(pos, 'unterminated comment: /* is never closed');
    this.diag.truncated = true;
  }

  /** "..." with C escapes; adjacent strings (separated only by blanks) are joined. */
  private readDoubleQuoted(pos: SourcePos, concat: boolean): string | null {
    let out = '';
    for (;;) {
      this.adv(); // opening quote
      let closed = false;
      while (this.i < this.text.length) {
        const c = this.ch();
        if (c === 34) {
          this.adv();
          closed = true;
          break;
        }
        if (c === 92) {
          const n = this.ch(1);
          const e = this.readEscape(n);
          if (e !== null) {
            out += e;
            continue;
          }
        }
        out += this.text[this.i];
        this.adv();
      }
      if (!closed) {
        this.diag.error(pos, 'unterminated string (missing closing ")');
        this.diag.truncated = true;
        return null;
      }
      if (!concat) return out;
      // STR_BETWEEN: only blanks and line breaks may separate concatenated strings.
      let j = this.i;
      while (j < this.text.length && ' \t\r\n'.includes(this.text.charAt(j))) j++;
      if (this.text.charCodeAt(j) !== 34) return out;
      while (this.i < j) this.adv();
    }
  }

  /** Decode one escape at the cursor (which is on the backslash); null = keep the backslash. */
  private readEscape(n: number): string | null {
    const simple: Record<number, string> = { 110: '\n', 114: '\r', 97: '\x07', 116: '\t', 34: '"', 92: '\\' };
    const s = simple[n];
    if (s !== undefined) {
      this.adv(2);
      return s;
    }
    if (n === 10) {
      this.adv(2);
      return '';
    }
    if (n === 13 && this.ch(2) === 10) {
      this.adv(3);
      return '';
    }
    if (n === 120 /* x */) {
      const m = /^[0-9a-fA-F]{1,2}/.exec(this.text.slice(this.i + 2, this.i + 4));
      if (m) {
        this.adv(2 + m[0].length);
        return String.fromCharCode(parseInt(m[0], 16));
      }
      return null;
    }
    if (n >= 48 && n <= 55) {
      const m = /^[0-7]{2,3}/.exec(this.text.slice(this.i + 1, this.i + 4));
      if (m) {
        this.adv(1 + m[0].length);
        return String.fromCharCode(parseInt(m[0], 8) & 0xff);
      }
    }
    return null;
  }

  /** '...' is taken verbatim (no escapes), as Kamailio's STRING2. */
  private readSingleQuoted(pos: SourcePos): string | null {
    this.adv();
    const s = this.i;
    while (this.i < this.text.length && this.ch() !== 39) this.adv();
    if (this.i >= this.text.length) {
      this.diag.error(pos, "unterminated string (missing closing ')");
      this.diag.truncated = true;
      return null;
    }
    const v = this.text.slice(s, this.i);
    this.adv();
    return v;
  }

  private readNumber(pos: SourcePos): Lexeme {
    const start = this.i;
    while (isIdChar(this.ch())) this.adv();
    const w = this.text.slice(start, this.i);
    let v: number | null = null;
    if (/^0[xX][0-9a-fA-F]+$/.test(w)) v = parseInt(w.slice(2), 16);
    else if (/^0[0-7]+$/.test(w)) v = parseInt(w.slice(1), 8);
    else if (/^[01]+b$/.test(w)) v = parseInt(w.slice(0, -1), 2);
    else if (/^(0|[1-9][0-9]*)$/.test(w)) v = parseInt(w, 10);
    if (v === null) return this.tok('id', w, 0, start, pos, true);
    return this.tok('num', w, v | 0, start, pos);
  }

  /** `$name`, `$name(inner)`, `$(...)`, `$?` — the text is parsed later by pv-syntax. */
  private readPv(pos: SourcePos): Lexeme {
    const start = this.i;
    this.adv();
    const c = this.ch();
    if (c === 63 /* ? */) {
      this.adv();
      return this.tok('pv', '$?', 0, start, pos);
    }
    if (c === 40 /* ( */) {
      if (!this.skipBalanced(pos)) return this.tok('pv', this.text.slice(start, this.i), 0, start, pos);
      return this.tok('pv', this.text.slice(start, this.i), 0, start, pos);
    }
    if (!isIdStart(c)) {
      this.diag.error(pos, "invalid pseudo-variable: '$' must be followed by a name");
      return this.tok('pv', '$', 0, start, pos);
    }
    while (isIdChar(this.ch())) this.adv();
    if (this.ch() === 40) this.skipBalanced(pos);
    return this.tok('pv', this.text.slice(start, this.i), 0, start, pos);
  }

  /** Cursor on '(' : advance past the matching ')' (nested (), {} and [] allowed). */
  private skipBalanced(pos: SourcePos): boolean {
    let depth = 0;
    while (this.i < this.text.length) {
      const c = this.ch();
      if (c === 40 || c === 123 || c === 91) depth++;
      else if (c === 41 || c === 125 || c === 93) {
        depth--;
        if (depth === 0) {
          this.adv();
          return true;
        }
      } else if (c === 10) break;
      this.adv();
    }
    this.diag.error(pos, 'unterminated pseudo-variable: missing )');
    return false;
  }
}
