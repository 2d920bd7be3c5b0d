/**
 * Transaction matching keys (RFC 3261 §17.2.3). A request with an RFC 3261 branch is
 * matched by branch + sent-by + method (ACK matches its INVITE, CANCEL has its own
 * transaction), guarded by Call-ID and CSeq number; an RFC 2543 request (no magic cookie) falls back to the dialog-ish
 * identifiers, as RFC 3261 §17.2.3 allows.
 *
 * Keys that a transaction keeps are built with join(), not `+` or a template: V8 makes
 * those a tree of concatenated strings that keeps every piece — and the branch and Call-ID
 * are slices of the received message, so a lingering transaction's key kept that whole
 * message text alive for wt_timer (~0.4 KB a transaction). join() copies into one flat string.
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
  const cseq = msg.cseq;
  if (branch !== null && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length) {
    // Call-ID and CSeq number too: a client that reuses a branch for a new request (RFC 4475
    // §3.3.12/13 do) must not have it taken for a retransmission; real ones share both.
    return [branch, `${via.host.toLowerCase()}:${via.port ?? ''}`, m, msg.callId, cseq ? cseq.seq : ''].join('|');
  }
  const from = msg.from;
  return ['2543', msg.callId, cseq ? cseq.seq : '', from?.tag ?? '', msg.ruri, `${via.host}:${via.port ?? ''}`, m].join(
    '|',
  );
}

/** Client transaction key of a response: our branch + CSeq method. */
export function clientKeyOfResponse(msg: SipMessage): string | null {
  const via = msg.topVia;
  const cseq = msg.cseq;
  if (!via || !via.branch || !cseq) return null;
  return `${via.branch}|${cseq.method}`;
}

export function clientKey(branch: string, method: string): string {
  return [branch, method].join('|');
}
