/**
 * Semantic checks a proxy must make before routing (RFC 3261 §16.3) plus the defects
 * RFC 4475 expects to be caught. Returns the rejection to send, or null when the
 * request may be processed.
 */
import type { SipMessage } from './message';
import { SINGLE_INSTANCE } from './headers';
import type { HeaderField } from './headers';
import { parseUri } from './uri';
import { parseNameAddr, splitList } from './nameaddr';
import { SipParseError } from './errors';

export interface Rejection {
  readonly code: number;
  readonly reason: string;
  /** Extra header lines (without CRLF) for the reply, e.g. Unsupported for a 420. */
  readonly headers?: string[];
}

const REQUIRED: Array<[string, string]> = [
  ['via', 'Via'],
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
];

/** A bit per header name the checks below look at: the required ones and the single-instance ones. */
const BIT = new Map<string, number>();
for (const n of [...REQUIRED.map(([name]) => name), ...SINGLE_INSTANCE]) if (!BIT.has(n)) BIT.set(n, 1 << BIT.size);
const REQUIRED_BITS = REQUIRED.map(([name, print]) => [BIT.get(name)!, print] as const);
const CONTENT_LENGTH_BIT = BIT.get('content-length')!;
const RESPONSE_BITS = BIT.get('call-id')! | BIT.get('from')! | BIT.get('to')!;

/** Which of the BIT names a message has, and which of the single-instance ones it has more than once. */
interface Census {
  present: number;
  repeated: number;
}

/** One pass over the headers (a request has ~10–15; counting per name would be quadratic). */
function census(headers: readonly HeaderField[]): Census {
  let present = 0;
  let repeated = 0;
  for (const h of headers) {
    const b = BIT.get(h.name);
    if (b === undefined) continue;
    if (present & b && SINGLE_INSTANCE.has(h.name)) repeated |= b;
    present |= b;
  }
  return { present, repeated };
}

/** The first header, in message order, whose name is among `bits`. */
function firstOf(headers: readonly HeaderField[], bits: number): HeaderField | undefined {
  for (const h of headers) if ((BIT.get(h.name) ?? 0) & bits) return h;
  return undefined;
}

export function validateRequest(msg: SipMessage): Rejection | null {
  const c = census(msg.headers);
  for (const [bit, print] of REQUIRED_BITS) {
    if (!(c.present & bit)) return { code: 400, reason: `Missing ${print}` };
  }
  const dup = c.repeated & ~CONTENT_LENGTH_BIT;
  if (dup !== 0) return { code: 400, reason: `Duplicate ${firstOf(msg.headers, dup)!.name} header` };
  try {
    if (msg.vias.length === 0) return { code: 400, reason: 'Missing Via' };
  } catch (e) {
    if (e instanceof SipParseError) return { code: 400, reason: e.reason };
    throw e;
  }
  const cseq = msg.cseq;
  if (!cseq) return { code: 400, reason: 'Bad CSeq' };
  if (cseq.method !== msg.method) return { code: 400, reason: 'CSeq method does not match request method' };
  if (!msg.from) return { code: 400, reason: 'Bad From' };
  if (!msg.to) return { code: 400, reason: 'Bad To' };
  if (msg.callId.length === 0) return { code: 400, reason: 'Bad Call-ID' };
  const mf = msg.maxForwards;
  if (mf !== null && Number.isNaN(mf)) return { code: 400, reason: 'Bad Max-Forwards' };
  for (const h of msg.all('contact')) {
    const v = msg.value(h);
    if (v === '*') continue;
    for (const [a, b] of splitList(v)) {
      if (a === b || !parseNameAddr(v.slice(a, b))) return { code: 400, reason: 'Bad Contact' };
    }
  }
  const colon = msg.ruri.indexOf(':');
  const scheme = colon > 0 ? msg.ruri.slice(0, colon).toLowerCase() : '';
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
    if (colon > 0 && /^[a-z][a-z0-9+.-]*$/.test(scheme)) {
      return { code: 416, reason: 'Unsupported URI Scheme' };
    }
    return { code: 400, reason: 'Bad Request-URI' };
  }
  const ru = parseUri(msg.ruri);
  if (!ru) return { code: 400, reason: 'Bad Request-URI' };
  if (ru.headers !== null) return { code: 400, reason: 'Headers not allowed in Request-URI' };
  if (msg.method !== 'ACK' && msg.method !== 'CANCEL') {
    const pr = msg.all('proxy-require');
    if (pr.length) {
      const tags: string[] = [];
      for (const h of pr) for (const t of msg.value(h).split(',')) if (t.trim()) tags.push(t.trim());
      return { code: 420, reason: 'Bad Extension', headers: [`Unsupported: ${tags.join(', ')}`] };
    }
  }
  return null;
}

/** Checks a response enough to route it: a Via we can read and a CSeq. */
export function validateResponse(msg: SipMessage): boolean {
  try {
    if (msg.vias.length === 0) return false;
  } catch {
    return false;
  }
  const c = census(msg.headers);
  return !!msg.cseq && (c.present & RESPONSE_BITS) === RESPONSE_BITS && c.repeated === 0;
}
