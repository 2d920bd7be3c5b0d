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

/** Canonical lower-case long form of a header name. */
export function canonicalName(name: string): string {
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
