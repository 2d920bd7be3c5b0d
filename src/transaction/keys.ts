/**
 * Transaction matching keys (RFC 3261 §17.2.3). A request with an RFC 3261 branch is
 * matched by branch + sent-by + method (ACK matches its INVITE, CANCEL has its own
 * transaction); an RFC 2543 request (no magic cookie) falls back to the dialog-ish
 * identifiers, as RFC 3261 §17.2.3 allows.
 */
import type { SipMessage } from '../sip/message';
import { MAGIC_COOKIE } from '../sip/via';

/** Server transaction key; `asMethod` lets CANCEL look up the INVITE it cancels. */
export function serverKey(msg: SipMessage, asMethod?: string): string | null {
  const via = msg.topVia;
  if (!via) return null;
  let m = asMethod ?? msg.method;
  if (m === 'ACK') m = 'INVITE';
  const branch = via.branch;
  if (branch !== null && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length) {
    return `${branch}|${via.host.toLowerCase()}:${via.port ?? ''}|${m}`;
  }
  const cseq = msg.cseq;
  const from = msg.from;
  return `2543|${msg.callId}|${cseq ? cseq.seq : ''}|${from?.tag ?? ''}|${msg.ruri}|${via.host}:${via.port ?? ''}|${m}`;
}

/** Client transaction key of a response: our branch + CSeq method. */
export function clientKeyOfResponse(msg: SipMessage): string | null {
  const via = msg.topVia;
  const cseq = msg.cseq;
  if (!via || !via.branch || !cseq) return null;
  return `${via.branch}|${cseq.method}`;
}

export function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}
