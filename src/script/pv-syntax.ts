// Syntax of pseudo-variable references, as Kamailio's pv_parse_spec2():
//   $name  $name(inner)  $(name)  $(name(inner))  $(name(inner)[index])
//   $(name(inner){tr1}{tr2})  $$ (a literal '$')
// and of format strings ("$rU@$rd"), which interleave text and references.
import { DsdError } from '../core/errors';

export interface PvSyntax {
  /** PV class name ('ru', 'var', 'xavp', ...) or '$' for the literal marker. */
  readonly name: string;
  readonly inner: string | null;
  readonly index: string | null;
  /** Transformation bodies without braces, e.g. ['s.len'], ['s.substr,0,3']. */
  readonly transforms: readonly string[];
  /** Source text of the whole reference. */
  readonly text: string;
}

export class PvSyntaxError extends DsdError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super('DSD_ERR_PV_SYNTAX', message);
  }
}

function isPvNameChar(c: string): boolean {
  return /[A-Za-z0-9_.?]/.test(c);
}

/** Index just after the bracket closing the one at `open` (nesting of the same pair). */
function scanClose(s: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === o) depth++;
    else if (s[i] === c) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Parse one reference starting at s[start] === '$'; returns it and the index after it. */
function parsePvAt(s: string, start: number): { pv: PvSyntax; end: number } {
  let p = start + 1;
  const bracketed = s[p] === '(';
  if (bracketed) p++;
  if (s[p] === '$') {
    p++;
    if (bracketed) {
      if (s[p] !== ')') throw new PvSyntaxError(`invalid pseudo-variable '${s.slice(start, p + 1)}'`, start);
      p++;
    }
    return { pv: { name: '$', inner: null, index: null, transforms: [], text: s.slice(start, p) }, end: p };
  }
  const nameStart = p;
  while (p < s.length && isPvNameChar(s.charAt(p))) p++;
  const name = s.slice(nameStart, p);
  if (name === '') {
    throw new PvSyntaxError(`invalid pseudo-variable: '$' must be followed by a name (in "${s}")`, start);
  }
  let inner: string | null = null;
  let index: string | null = null;
  const transforms: string[] = [];
  const need = (ch: string, what: string): void => {
    if (s[p] !== ch)
      throw new PvSyntaxError(
        `invalid pseudo-variable '${s.slice(start, Math.min(s.length, p + 1))}': expected '${ch}' ${what}`,
        start,
      );
  };
  if (s[p] === '(') {
    const close = scanClose(s, p, '(', ')');
    if (close < 0) throw new PvSyntaxError(`unterminated pseudo-variable '${s.slice(start)}': missing ')'`, start);
    inner = s.slice(p + 1, close);
    if (inner === '') throw new PvSyntaxError(`pseudo-variable $${name}() has an empty name`, start);
    p = close + 1;
  }
  if (bracketed) {
    if (s[p] === '[') {
      const close = scanClose(s, p, '[', ']');
      if (close < 0) throw new PvSyntaxError(`unterminated index in '${s.slice(start)}'`, start);
      index = s.slice(p + 1, close);
      if (index === '') throw new PvSyntaxError(`empty index in '${s.slice(start, close + 1)}'`, start);
      p = close + 1;
    }
    while (s[p] === '{') {
      const close = scanClose(s, p, '{', '}');
      if (close < 0) throw new PvSyntaxError(`unterminated transformation in '${s.slice(start)}'`, start);
      transforms.push(s.slice(p + 1, close));
      p = close + 1;
    }
    need(')', 'to close $(...)');
    p++;
  }
  return { pv: { name, inner, index, transforms, text: s.slice(start, p) }, end: p };
}

/** Parse a whole token such as "$var(x)"; trailing characters are an error. */
export function parsePvText(s: string): PvSyntax {
  const { pv, end } = parsePvAt(s, 0);
  if (end !== s.length) throw new PvSyntaxError(`unexpected '${s.slice(end)}' after pseudo-variable ${pv.text}`, end);
  return pv;
}

export type FormatPart = string | PvSyntax;

/** Split a format string into literal text and references. */
export function parseFormat(s: string): FormatPart[] {
  const parts: FormatPart[] = [];
  let text = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== '$') {
      text += c;
      i++;
      continue;
    }
    const { pv, end } = parsePvAt(s, i);
    if (pv.name === '$') {
      text += '$';
    } else {
      if (text) parts.push(text);
      text = '';
      parts.push(pv);
    }
    i = end;
  }
  if (text) parts.push(text);
  return parts;
}
