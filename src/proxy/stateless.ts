/**
 * What the proxy does without a transaction (sl): replies with a To tag that stays the
 * same for a request's retransmissions, and the next hop of a reply whose transaction
 * is gone (RFC 3261 §16.7, §18.1.2).
 */
import type { SipMessage } from '../sip/message';
import { bareHost } from '../sip/uri';
import type { Proto, Source, Target, Transport } from '../transport/types';
import type { TxnLayer } from '../transaction/layer';
import { localReply, replyTarget } from '../transaction/reply';
import { fnv1a } from './hash';

const REPLY_PROTOS: readonly string[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

export class StatelessReplies {
  private readonly tagPrefix = Math.floor(Math.random() * 0xffffffff).toString(16);

  constructor(
    private readonly transport: Transport,
    private readonly txns: TxnLayer,
    private readonly serverHeader: string | null,
  ) {}

  /** A stable To tag for stateless replies, so retransmissions get the same one. */
  tag(req: SipMessage): string {
    let branch = '';
    try {
      branch = req.topVia?.branch ?? '';
    } catch {
      /* a broken Via: the tag still has to be stable, so leave the branch out */
    }
    // join: one flat string (a server transaction keeps it; see transaction/keys.ts)
    return [this.tagPrefix, fnv1a(`${req.callId}|${req.from?.tag ?? ''}|${branch}`).toString(16)].join('-');
  }

  /** sl_send_reply: a reply without a transaction. */
  send(req: SipMessage, src: Source, code: number, reason: string, headers?: string[]): void {
    if (req.method === 'ACK') return;
    const buf = localReply(req, src, code, reason, { toTag: this.tag(req), headers, server: this.serverHeader });
    this.txns.stats.rplGenerated++;
    this.transport.send(replyTarget(req, src), buf);
  }
}

/**
 * Where a reply without a transaction goes once our Via is off: the Via below it, by
 * the transport that Via names (a TLS/WS one is never downgraded); null when there is
 * no such Via or its transport is unknown.
 */
export function statelessReplyHop(msg: SipMessage): Target | null {
  const next = msg.vias[1];
  if (!next) return null;
  const proto = next.transport.toLowerCase();
  if (!REPLY_PROTOS.includes(proto)) return null;
  const ip = bareHost(next.received ?? next.host);
  const port = next.rport ? Number(next.rport) : (next.port ?? 5060);
  return { proto: proto as Proto, ip, port };
}
