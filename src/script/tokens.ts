// Tokens produced by the lexer/preprocessor and consumed by the parser.
import type { SourcePos } from './errors';

type TokKind = 'id' | 'num' | 'str' | 'pv' | 'op' | 'eof';

export interface Token {
  readonly kind: TokKind;
  /** id name, operator symbol, pseudo-variable source text, or the decoded string value. */
  readonly text: string;
  /** Numeric value of a 'num' token (0 otherwise). */
  readonly value: number;
  /** Source text as written (quotes included for strings); used to rebuild addresses. */
  readonly raw: string;
  readonly pos: SourcePos;
  /** Whitespace, a comment or a line break precedes this token. */
  readonly space: boolean;
  /** A line break precedes this token. */
  readonly newline: boolean;
  /** An identifier that starts with a digit (Kamailio NUM_ID, e.g. a host label). */
  readonly numId?: boolean;
  /** Name of the #!define this token came from, if any. */
  readonly fromDefine?: string;
}

export function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of file';
    case 'str':
      return `string ${t.raw.length > 40 ? t.raw.slice(0, 37) + '..."' : t.raw}`;
    case 'num':
      return `number ${t.raw}`;
    case 'pv':
      return `'${t.text}'`;
    default:
      return `'${t.text}'`;
  }
}
