/**
 * Requests a test's UAC sends, written out in full (independent of src/sip), and the ACK
 * and CANCEL that belong to them (RFC 3261 §17.1.1.3, §9.1).
 */
import { header } from './sip-peer';

let seq = 0;

export interface UacRequest {
  text: string;
  callId: string;
  branch: string;
  method: string;
  ruri: string;
  fromTag: string;
  cseq: number;
  /** The Via line as sent (ACK for a non-2xx and CANCEL reuse it). */
  via: string;
}

export function uacRequest(
  localPort: number,
  o: {
    method?: string;
    ruri?: string;
    transport?: 'UDP' | 'TCP';
    callId?: string;
    extra?: string[];
    body?: string;
    cseq?: number;
  } = {},
): UacRequest {
  const n = ++seq;
  const method = o.method ?? 'INVITE';
  const ruri = o.ruri ?? 'sip:bob@127.0.0.1';
  const branch = `z9hG4bK-uac-${process.pid}-${n}`;
  const callId = o.callId ?? `uac-${process.pid}-${n}-${Math.random().toString(36).slice(2)}`;
  const fromTag = `ft${n}`;
  const cseq = o.cseq ?? 1;
  const via = `Via: SIP/2.0/${o.transport ?? 'UDP'} 127.0.0.1:${localPort};branch=${branch};rport`;
  const body = o.body ?? '';
  const lines = [
    `${method} ${ruri} SIP/2.0`,
    via,
    'Max-Forwards: 70',
    `From: <sip:alice@127.0.0.1>;tag=${fromTag}`,
    `To: <${ruri}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:alice@127.0.0.1:${localPort}>`,
    ...(o.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
  ];
  return { text: lines.join('\r\n') + '\r\n\r\n' + body, callId, branch, method, ruri, fromTag, cseq, via };
}

/** The ACK for a non-2xx final response: same branch, To with the response's tag. */
export function ackFor(req: UacRequest, response: string): string {
  return (
    [
      `ACK ${req.ruri} SIP/2.0`,
      req.via,
      'Max-Forwards: 70',
      `From: <sip:alice@127.0.0.1>;tag=${req.fromTag}`,
      `To: ${header(response, 'to') ?? `<${req.ruri}>`}`,
      `Call-ID: ${req.callId}`,
      `CSeq: ${req.cseq} ACK`,
      'Content-Length: 0',
    ].join('\r\n') + '\r\n\r\n'
  );
}

/** CANCEL for a pending INVITE: same R-URI, Via branch, From, To, Call-ID and CSeq number. */
export function cancelFor(req: UacRequest): string {
  return (
    [
      `CANCEL ${req.ruri} SIP/2.0`,
      req.via,
      'Max-Forwards: 70',
      `From: <sip:alice@127.0.0.1>;tag=${req.fromTag}`,
      `To: <${req.ruri}>`,
      `Call-ID: ${req.callId}`,
      `CSeq: ${req.cseq} CANCEL`,
      'Content-Length: 0',
    ].join('\r\n') + '\r\n\r\n'
  );
}
