/**
 * The lexical pieces of a message's first line and header names: the Request-Line split
 * (strictly, then leniently so a request with stray white space can still be answered),
 * the Status-Line code, and the small number and token readers the parser shares.
 */
import { isToken, isTokenChar } from './token';

/** The decimal number in s[from, to) (1 to 10 digits, nothing else), or -1. */
export function digits(s: string, from: number, to: number): number {
  if (to <= from || to - from > 10) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** A status line's code at `at`: three digits, 100-699, then SP or the end; else 0. */
export function statusCode(line: string, at: number): number {
  if (line.length > at + 3 && line.charCodeAt(at + 3) !== 32) return 0;
  const v = digits(line, at, Math.min(at + 3, line.length));
  return v >= 100 && v <= 699 && line.length >= at + 3 ? v : 0;
}

export function isTokenRange(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return to > from;
}

interface RequestLine {
  method: string;
  ruri: string;
  /** Offset of the R-URI within the line. */
  ruriAt: number;
  version: string;
  /** Exactly `method SP uri SP version`. */
  clean: boolean;
}

/**
 * Splits a Request-Line on single spaces; when that fails, on runs of white space, so a
 * request with stray spaces can still be answered (and is flagged unclean).
 */
export function splitRequestLine(line: string): RequestLine | null {
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 > 0 && sp2 > sp1 + 1 && line.indexOf(' ', sp2 + 1) < 0 && sp2 + 1 < line.length && line.indexOf('\t') < 0) {
    const method = line.slice(0, sp1);
    if (!isToken(method)) return null;
    return { method, ruri: line.slice(sp1 + 1, sp2), ruriAt: sp1 + 1, version: line.slice(sp2 + 1), clean: true };
  }
  const parts: Array<[number, number]> = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    const a = i;
    while (i < line.length && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
    if (i > a) parts.push([a, i]);
  }
  const [m, r] = parts;
  const last = parts[parts.length - 1];
  if (parts.length < 3 || !m || !r || !last) return null;
  const method = line.slice(m[0], m[1]);
  const version = line.slice(last[0], last[1]);
  if (!isToken(method) || !/^SIP\//i.test(version)) return null;
  return { method, ruri: line.slice(r[0], r[1]), ruriAt: r[0], version, clean: false };
}
