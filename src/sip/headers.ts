/**
 * Header names: compact forms (RFC 3261 §7.3.3 and later RFCs) map to their long form,
 * and every name is compared lower-cased. Names are kept as written in the message for
 * forwarding; only the index uses the canonical form.
 */

/** One header line of a message, as offsets into its head. */
export interface HeaderField {
  /** Canonical lower-case long name. */
  readonly name: string;
  /** Offset of the first byte of the header line. */
  readonly lineStart: number;
  /** Offset just past the line's terminator (covers folded continuation lines). */
  readonly lineEnd: number;
  /** Offset of the first value byte (after the colon and white space). */
  readonly valueStart: number;
  /** Offset just past the last non-white value byte. */
  readonly valueEnd: number;
}

const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  r: 'refer-to',
  b: 'referred-by',
  o: 'event',
  u: 'allow-events',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
  n: 'identity-info',
};

/**
 * Names the parser meets in nearly every message. Their canonical form is handed out as
 * the one string below, so the parser allocates nothing for them (no slice, no
 * lower-casing) and `h.name === 'via'` compares two identical internalized strings.
 */
const KNOWN = [
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'max-forwards',
  'content-length',
  'content-type',
  'route',
  'record-route',
  'subject',
  'user-agent',
  'server',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'expires',
  'date',
  'accept',
  'session-expires',
  'min-se',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'privacy',
  'p-asserted-identity',
  'reason',
  'event',
  'allow-events',
  'content-disposition',
  'organization',
  'warning',
];

/**
 * KNOWN (and the compact forms' long names) by shape: slot `length * 32 + (first & 31)`
 * holds the few names a header name of that length and first letter can be. An array,
 * not a Map: this runs for every header line of every message.
 */
const SHAPED = [...KNOWN, ...Object.values(COMPACT)];
const MAX_KNOWN = Math.max(...SHAPED.map((n) => n.length));
const BY_SHAPE: Array<string[] | undefined> = [];
for (const n of SHAPED) {
  const k = n.length * 32 + (n.charCodeAt(0) & 31);
  const list = (BY_SHAPE[k] ??= []);
  if (!list.includes(n)) list.push(n);
}
for (let k = 0; k < (MAX_KNOWN + 1) * 32; k++) BY_SHAPE[k] ??= undefined;

/**
 * Compact forms by lower-cased letter (a–z); the letter itself when it has none.
 * Indexed by char code − 97.
 */
const ONE_LETTER: string[] = [];
for (let c = 97; c <= 122; c++) ONE_LETTER.push(COMPACT[String.fromCharCode(c)] ?? String.fromCharCode(c));

/**
 * The KNOWN (or compact) name spelled by s[from, to) in any case, or null. A character
 * matches as it is, or as an upper-case letter lower-cased: `| 0x20` alone would also
 * turn CR into '-' and control characters into digits, for callers that pass more than a
 * token (a cfg's header name).
 */
function knownName(s: string, from: number, to: number): string | null {
  const len = to - from;
  if (len === 1) {
    const c = s.charCodeAt(from) | 0x20;
    return c >= 97 && c <= 122 ? ONE_LETTER[c - 97]! : null;
  }
  if (len > MAX_KNOWN) return null;
  const list = BY_SHAPE[len * 32 + (s.charCodeAt(from) & 31)];
  if (list === undefined) return null;
  // the slot does not tell a letter from some digits and signs: compare from the first character
  for (const n of list) {
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(from + i);
      const want = n.charCodeAt(i);
      if (c !== want && (c < 65 || c > 90 || (c | 0x20) !== want)) break;
    }
    if (i === len) return n;
  }
  return null;
}

/** Canonical lower-case long form of the header name s[from, to) (a token). */
export function canonicalNameAt(s: string, from: number, to: number): string {
  return knownName(s, from, to) ?? canonicalName(s.slice(from, to));
}

/** Canonical lower-case long form of a header name. */
export function canonicalName(name: string): string {
  const known = knownName(name, 0, name.length);
  if (known !== null) return known;
  const lower = name.toLowerCase();
  if (lower.length === 1) return COMPACT[lower] ?? lower;
  return lower;
}

/**
 * Headers that may appear once only; a request carrying two of any of these is
 * malformed (RFC 4475 §3.1.2.17 multi01) and gets a 400.
 */
export const SINGLE_INSTANCE = new Set([
  'call-id',
  'from',
  'to',
  'cseq',
  'max-forwards',
  'content-length',
  'content-type',
]);
