// Script values follow Kamailio's rvalue typing: a value is an int, a string, or
// undefined ($null). Ints are 32-bit; strings convert to ints like str2sint
// (whole string, optional sign, or 0x hex), anything else converts to 0.

export type Val = string | number | null;

/** Kamailio's textual rendering of a null pseudo-variable inside format strings. */
const PV_NULL_TEXT = '<null>';

export function strToInt(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  let i = 0;
  let neg = false;
  const c0 = s.charCodeAt(0);
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    i = 1;
    if (n === 1) return 0;
  }
  let v = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return hexOrZero(s);
    v = v * 10 + c;
  }
  return (neg ? -v : v) | 0;
}

function hexOrZero(s: string): number {
  if (s.length > 2 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X') && /^[0-9a-fA-F]+$/.test(s.slice(2))) {
    return parseInt(s.slice(2), 16) | 0;
  }
  return 0;
}

export function toInt(v: Val): number {
  if (typeof v === 'number') return v;
  if (v === null) return 0;
  return strToInt(v);
}

/** String conversion in expressions: null becomes the empty string. */
export function toStr(v: Val): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  return String(v);
}

/** String conversion inside format strings: null prints as "<null>". */
export function toFmt(v: Val): string {
  if (typeof v === 'string') return v;
  if (v === null) return PV_NULL_TEXT;
  return String(v);
}

/** True for Promise-like results; cheap on the sync path (numbers, strings, null). */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as PromiseLike<unknown>).then === 'function';
}
