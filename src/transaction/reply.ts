/**
 * Replies generated here rather than relayed (RFC 3261 §8.2.6) and where replies go
 * (§18.2.2 with RFC 3581 rport). Server transactions and the stateless sl path share them.
 */
import type { SipMessage } from '../sip/message';
import type { Edit } from '../sip/editor';
import { buildReply, natEdits } from '../sip/reply';
import type { Source, Target } from '../transport/types';

/** received/rport for the top Via of a reply to `req`; none when that Via is malformed. */
function replyViaEdits(req: SipMessage, src: Source): Edit[] {
  try {
    const top = req.topVia;
    return top ? natEdits(top, src.ip, src.port) : [];
  } catch {
    return [];
  }
}

/** Where replies to `req` go: back on its stream connection, or to the source IP and the Via's port unless rport. */
export function replyTarget(req: SipMessage, src: Source): Target {
  if (src.proto !== 'udp') return { proto: src.proto, ip: src.ip, port: src.port, conn: src.conn, local: src.local };
  let port = src.port;
  try {
    const top = req.topVia;
    if (top && top.rport === null) port = top.port ?? 5060;
  } catch {
    /* malformed Via: answer the packet's source */
  }
  return { proto: 'udp', ip: src.ip, port, local: src.local };
}

export interface LocalReplyOptions {
  toTag?: string;
  headers?: readonly string[];
  server: string | null;
}

/** A reply of our own to `req` as received from `src`. */
export function localReply(req: SipMessage, src: Source, code: number, reason: string, o: LocalReplyOptions): Buffer {
  return buildReply(req, code, reason, {
    toTag: o.toTag,
    headers: o.headers,
    server: o.server,
    viaEdits: replyViaEdits(req, src),
  });
}
