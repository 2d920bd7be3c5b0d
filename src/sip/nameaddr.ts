/**
 * name-addr / addr-spec values (From, To, Contact, Route, Record-Route; RFC 3261 §20.10)
 * and comma-list splitting that respects quotes and angle brackets.
 */
import { findParam } from './uri';
import { isTokenChar, isWs } from './token';

export interface NameAddr {
  /** Display name as written (quotes kept), or "". */
  readonly display: string;
  /** The URI text (inside <> when bracketed). */
  readonly uri: string;
  readonly bracketed: boolean;
  /** Header parameters after the URI, without the leading ';' ("" when none). */
  readonly params: string;
  /** The `tag` parameter, or null. */
  readonly tag: string | null;
}

/**
 * Parses one name-addr or addr-spec. Returns null on the defects RFC 4475 wants
 * rejected: unbalanced quotes, white space just inside <>, unquoted display names
 * with non-token characters, an addr-spec carrying `?headers`.
 */
export function parseNameAddr(v: string): NameAddr | null {
  const len = v.length;
  let i = 0;
  while (i < len && isWs(v.charCodeAt(i))) i++;
  const lt = findUnquoted(v, '<', i);
  if (lt === -2) return null; // unbalanced quote
  if (lt >= 0) {
    const display = v.slice(i, lt).trim();
    if (!validDisplay(display)) return null;
    const gt = v.indexOf('>', lt + 1);
    if (gt < 0) return null;
    if (isWs(v.charCodeAt(lt + 1)) || isWs(v.charCodeAt(gt - 1))) return null;
    const uri = v.slice(lt + 1, gt);
    if (uri.length === 0) return null;
    const rest = v.slice(gt + 1).trim();
    if (rest.length > 0 && rest.charCodeAt(0) !== 59) return null;
    const params = rest.length > 0 ? rest.slice(1) : '';
    return { display, uri, bracketed: true, params, tag: findParam(params, 'tag') };
  }
  // addr-spec: the URI runs to white space or ';' (its own ;params would be header params)
  let e = i;
  while (e < len) {
    const c = v.charCodeAt(e);
    if (c === 59 || isWs(c)) break;
    if (c === 34 || c === 62) return null;
    e++;
  }
  const uri = v.slice(i, e);
  if (uri.length === 0) return null;
  if (uri !== '*' && uri.indexOf(':') < 0) return null;
  if (uri.indexOf('?') >= 0 || uri.indexOf(',') >= 0) return null;
  const rest = v.slice(e).trim();
  if (rest.length > 0 && rest.charCodeAt(0) !== 59) return null;
  const params = rest.length > 0 ? rest.slice(1) : '';
  return { display: '', uri, bracketed: false, params, tag: findParam(params, 'tag') };
}

/** Display name: empty, a quoted-string, or tokens separated by white space. */
function validDisplay(d: string): boolean {
  if (d.length === 0) return true;
  if (d.charCodeAt(0) === 34) {
    const end = quotedEnd(d, 0);
    return end === d.length;
  }
  for (let k = 0; k < d.length; k++) {
    const c = d.charCodeAt(k);
    if (!isTokenChar(c) && !isWs(c) && c < 0x80) return false;
  }
  return true;
}

/** Offset just past the closing quote of the quoted-string starting at `q`, or -1. */
export function quotedEnd(s: string, q: number): number {
  for (let k = q + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 92) k++;
    else if (c === 34) return k + 1;
  }
  return -1;
}

/** Index of `ch` outside quoted strings; -1 when absent, -2 on an unbalanced quote. */
function findUnquoted(s: string, ch: string, from: number): number {
  const code = ch.charCodeAt(0);
  for (let k = from; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 34) {
      const e = quotedEnd(s, k);
      if (e < 0) return -2;
      k = e - 1;
    } else if (c === code) return k;
  }
  return -1;
}

/**
 * Splits a comma-separated header value into [start, end) ranges relative to `s`,
 * ignoring commas inside quotes and <>. Empty elements are reported as such
 * (start === end after trimming) so callers can reject them.
 */
export function splitList(s: string, from = 0, to = s.length): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let elStart = from;
  let angle = false;
  for (let k = from; k <= to; k++) {
    const c = k < to ? s.charCodeAt(k) : 44;
    if (c === 34 && k < to) {
      const e = quotedEnd(s, k);
      if (e < 0 || e > to) {
        k = to - 1;
        continue;
      }
      k = e - 1;
    } else if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 44 && !angle) {
      let a = elStart,
        b = k;
      while (a < b && isWs(s.charCodeAt(a))) a++;
      while (b > a && isWs(s.charCodeAt(b - 1))) b--;
      out.push([a, b]);
      elStart = k + 1;
    }
  }
  return out;
}
