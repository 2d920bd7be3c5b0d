/**
 * Requests dsd writes itself rather than relays — tm's t_request and its hop-by-hop ACK
 * and CANCEL (RFC 3261 §17.1.1.3, §9.1). Keepalive probes, the requests faked for
 * event_route and the ACK/CANCEL of a branch are all written here, so there is one
 * place that knows how a request of ours looks.
 */
import type { SipMessage } from '../sip/message';
import { parseMessage } from '../sip/message';
import { viaTransport, type LocalSocket } from '../transport/types';

/** Our Via line for a request leaving by `local`. */
export function viaLine(local: LocalSocket, branch: string, eol = '\r\n'): string {
  return `Via: SIP/2.0/${viaTransport(local.proto)} ${local.advHost}:${local.advPort};branch=${branch}${eol}`;
}

export interface LocalRequest {
  method: string;
  ruri: string;
  /** From URI and tag. */
  from: string;
  fromTag: string;
  /** To URI (no tag: out of dialog). */
  to: string;
  callId: string;
  cseq: number;
  /** Max-Forwards; omitted when null. */
  maxForwards?: number | null;
  /** Whole `User-Agent: …` line; omitted when null/empty. */
  userAgentLine?: string | null;
}

/** An out-of-dialog request from `via` (tm's t_request / t_uac). */
export function buildLocalRequest(r: LocalRequest, via: LocalSocket, branch: string): Buffer {
  const mf = r.maxForwards === undefined ? 70 : r.maxForwards;
  const text =
    `${r.method} ${r.ruri} SIP/2.0\r\n` +
    viaLine(via, branch) +
    `To: <${r.to}>\r\n` +
    `From: <${r.from}>;tag=${r.fromTag}\r\n` +
    `Call-ID: ${r.callId}\r\n` +
    `CSeq: ${r.cseq} ${r.method}\r\n` +
    (mf !== null ? `Max-Forwards: ${mf}\r\n` : '') +
    (r.userAgentLine ? `${r.userAgentLine}\r\n` : '') +
    `Content-Length: 0\r\n\r\n`;
  return Buffer.from(text, 'latin1');
}

/** Lines of `msg` (a request we built) with these header names, verbatim. */
function lines(msg: SipMessage, names: readonly string[]): string {
  let s = '';
  for (const h of msg.headers) {
    if (names.includes(h.name)) s += msg.head.slice(h.lineStart, h.lineEnd);
  }
  return s;
}

function firstLine(msg: SipMessage, name: string): string {
  const h = msg.first(name);
  return h ? msg.head.slice(h.lineStart, h.lineEnd) : '';
}

/**
 * ACK for a non-2xx final reply (RFC 3261 §17.1.1.3): same R-URI, Via (ours only),
 * From, Call-ID, CSeq number and Route as the branch request; To from the reply.
 */
export function buildAck(branchReq: Buffer, reply: SipMessage): Buffer {
  const req = parseMessage(branchReq);
  return hopRequest(req, 'ACK', firstLine(reply, 'to'));
}

/** CANCEL for a branch (RFC 3261 §9.1): the INVITE's identifiers with method CANCEL. */
export function buildCancel(branchReq: Buffer): Buffer {
  const req = parseMessage(branchReq);
  return hopRequest(req, 'CANCEL', firstLine(req, 'to'));
}

function hopRequest(req: SipMessage, method: string, toLine: string): Buffer {
  const eol = '\r\n';
  const via = req.first('via');
  const topVia = req.topVia;
  let viaText = '';
  if (via && topVia) viaText = `Via: ${req.head.slice(topVia.start, topVia.end)}${eol}`;
  let s = `${method} ${req.ruri} SIP/2.0${eol}${viaText}`;
  s += firstLine(req, 'from');
  s += toLine.endsWith('\n') ? toLine : toLine + eol;
  s += firstLine(req, 'call-id');
  s += `CSeq: ${req.cseq ? req.cseq.seq : 1} ${method}${eol}`;
  s += lines(req, ['route']);
  s += `Max-Forwards: 70${eol}Content-Length: 0${eol}${eol}`;
  return Buffer.from(s, 'latin1');
}
