/**
 * The warm-up's synthetic traffic on its wire (warmup-wire.ts: nothing is bound or sent): a
 * caller placing INVITE → ACK → BYE calls the way sipp's uac.xml does, and destinations
 * that answer 180/200 (or 500 first, so failure_route and the next destination run too).
 * Every message goes through the real ProxyCore and the compiled script; what the core
 * "sends" lands in a queue the driver answers from.
 */
import { parseMessage, SipMessage } from '../sip/message';
import { buildReply as buildPlainReply } from '../sip/reply';
import { StreamFramer } from '../transport/framer';
import type { LocalSocket, Proto, Source, Target } from '../transport/types';
import { Deadline, DeadlinePassed } from './warmup-deadline';
import { type WarmWire, nativeCopy } from './warmup-wire';

const SDP =
  'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
  'm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

interface Caller {
  readonly proto: Proto;
  readonly ip: string;
  readonly port: number;
  readonly local: LocalSocket;
}

/** What one synthetic call went through. */
export interface CallOutcome {
  /** The INVITE's final status at the caller (0: none reached it). */
  readonly status: number;
  /** ACK and BYE went through and the BYE got its 200. */
  readonly completed: boolean;
  /** The deadline passed mid-call: the call was left where it stood. */
  readonly cut: boolean;
}

function crlf(lines: string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'latin1');
}

/** buildReply with the reply's Via lines joined into one header ("Via: a, b"). */
function buildJoinedReply(...args: Parameters<typeof buildPlainReply>): Buffer {
  const buf = buildPlainReply(...args);
  const s = buf.toString('latin1');
  const end = s.indexOf('\r\n\r\n');
  const lines = s.slice(0, end).split('\r\n');
  const at = lines.findIndex((l) => l.startsWith('Via: '));
  const vias = lines.filter((l) => l.startsWith('Via: ')).map((l) => l.slice(5));
  if (vias.length < 2) return buf;
  const rest = lines.filter((l) => !l.startsWith('Via: '));
  rest.splice(at, 0, `Via: ${vias.join(', ')}`);
  return Buffer.from(rest.join('\r\n') + s.slice(end), 'latin1');
}

/** Route set of a 2xx as the caller uses it (Record-Route in order, RFC 3261 §12.1.2 for a UAC: reversed). */
function routeSet(reply: SipMessage): string[] {
  const out: string[] = [];
  for (const h of reply.all('record-route')) out.push(reply.value(h));
  return out.reverse();
}

function contactUri(m: SipMessage): string | null {
  const c = m.get('contact');
  if (!c) return null;
  const lt = c.indexOf('<');
  const gt = c.indexOf('>', lt + 1);
  return lt >= 0 && gt > lt ? c.slice(lt + 1, gt) : c.trim();
}

export class CallDriver {
  private readonly framer = new StreamFramer(65535);
  private seq = 0;
  private readonly tag = Math.floor(Math.random() * 0xffffff).toString(16);

  constructor(
    private readonly wire: WarmWire,
    /** Routes still running (async script functions): the driver waits for them. */
    private readonly pending: () => number,
    /** Checked before every message put into the core and after every one it sends. */
    private readonly deadline: Deadline,
  ) {}

  /** A caller on the listen socket `local` (over `proto`: ws/wss ride tcp/tls sockets), from a port of its own. */
  caller(local: LocalSocket, n: number, proto: Proto = local.proto): Caller {
    const ip = local.family === 6 ? '::1' : '127.0.0.1';
    return { proto, ip, port: 20000 + (n % 20000), local };
  }

  private inject(buf: Buffer, src: Source): void {
    this.deadline.check();
    // a datagram, or a WebSocket message (one frame carries one SIP message)
    if (src.proto === 'udp') {
      this.wire.datagram(buf, src);
      return;
    }
    if (src.proto === 'ws' || src.proto === 'wss') {
      this.wire.message(buf, src);
      return;
    }
    // a stream: through the framer, as a connection's bytes are
    for (const m of this.framer.push(nativeCopy(buf))) this.wire.message(m, src);
  }

  /**
   * Lets the core's work settle: answers what it sent to destinations, collects what it
   * sent to the caller. Async routes get event-loop turns, a bounded number of them.
   */
  private async pump(caller: Caller, got: SipMessage[]): Promise<void> {
    for (let turns = 0; turns < 50;) {
      this.deadline.check();
      const out = this.wire.queue.shift();
      if (!out) {
        // what a synchronous route did is all queued by now; an async one gets turns
        await null;
        if (this.wire.queue.length > 0) continue;
        if (this.pending() === 0) return;
        turns++;
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      let m: SipMessage;
      try {
        m = parseMessage(out.buf, { datagram: true });
      } catch {
        continue;
      }
      const t = out.target;
      if (t.port === caller.port && t.ip === caller.ip) {
        if (!m.isRequest) got.push(m);
        continue;
      }
      if (m.isRequest) this.answer(m, t);
    }
  }

  /** A destination answering the proxy: 180 + 200 to an INVITE (500 first when asked), 200 to the rest. */
  private answer(req: SipMessage, from: Target): void {
    const local = from.local ?? this.wire.sockets[0];
    if (!local) return;
    const src: Source = { proto: from.proto, ip: from.ip, port: from.port, local };
    const method = req.method;
    if (method === 'ACK') return;
    const toTag = `d${this.tag}${this.seq}`;
    // every other call's replies carry their Vias as one comma-separated header, as some
    // UAs send them, so the Via list's parser is warm too
    const buildReply = this.seq % 4 < 2 ? buildJoinedReply : buildPlainReply;
    if (method === 'INVITE') {
      if (this.failing === req.callId) {
        // the first branch fails: failure_route picks the next destination
        this.failing = null;
        this.inject(buildReply(req, 500, 'Server Error', { toTag }), src);
        return;
      }
      const rr = req.all('record-route').map((h) => `Record-Route: ${req.value(h)}`);
      // a Contact of its own per call, with transport= on every other one: the in-dialog
      // requests' hops then go through the whole of target.ts (a cache miss, the transport
      // parameter), as a new UA's do, not only through its cache
      const tp = this.seq % 2 === 1 ? `;transport=${from.proto}` : '';
      const contact = `Contact: <sip:b${this.seq}@${from.ip}:${from.port}${tp}>`;
      this.inject(buildReply(req, 180, 'Ringing', { toTag, headers: [...rr, contact] }), src);
      this.inject(
        buildReply(req, 200, 'OK', {
          toTag,
          headers: [...rr, contact],
          body: Buffer.from(SDP),
          contentType: 'application/sdp',
        }),
        src,
      );
      return;
    }
    this.inject(buildReply(req, 200, 'OK', { toTag }), src);
  }

  /** The Call-ID whose next INVITE branch gets a 500. */
  private failing: string | null = null;

  /** One call: INVITE, (500 → next destination,) 180, 200, ACK, BYE, 200; cut short at the deadline. */
  async call(caller: Caller, n: number, failFirst: boolean): Promise<CallOutcome> {
    try {
      return await this.place(caller, n, failFirst);
    } catch (e) {
      if (e instanceof DeadlinePassed) return { status: 0, completed: false, cut: true };
      throw e;
    } finally {
      this.failing = null;
    }
  }

  private async place(caller: Caller, n: number, failFirst: boolean): Promise<CallOutcome> {
    this.seq++;
    const local = caller.local;
    const host = local.family === 6 ? `[${caller.ip}]` : caller.ip;
    // rport on every other call: the proxy then writes rport=/received= values, which the
    // Via parser reads back in the replies
    const rport = n % 2 === 1 ? ';rport' : '';
    const via = (b: string) =>
      `Via: SIP/2.0/${caller.proto.toUpperCase()} ${host}:${caller.port};branch=z9hG4bK${b}${rport}`;
    const callId = `warmup-${this.tag}-${n}`;
    const from = `From: sipp <sip:sipp@${host}:${caller.port}>;tag=${this.tag}w${n}`;
    const proxyHost = `${local.advHost}:${local.advPort}`;
    const toBare = `To: service <sip:service@${proxyHost}>`;
    const src: Source = { proto: caller.proto, ip: caller.ip, port: caller.port, local };
    const got: SipMessage[] = [];
    this.failing = failFirst ? callId : null;
    this.inject(
      crlf(
        [
          `INVITE sip:service@${proxyHost} SIP/2.0`,
          via(`w${this.tag}i${n}`),
          from,
          toBare,
          `Call-ID: ${callId}`,
          'CSeq: 1 INVITE',
          `Contact: <sip:sipp@${host}:${caller.port}>`,
          'Max-Forwards: 70',
          'Subject: Performance Test',
          'Content-Type: application/sdp',
        ],
        SDP,
      ),
      src,
    );
    await this.pump(caller, got);
    const final = got.find((m) => m.status >= 200 && m.cseq?.method === 'INVITE');
    this.failing = null;
    if (!final) return { status: 0, completed: false, cut: false };
    const toTagged = `To: ${final.get('to') ?? ''}`;
    if (final.status >= 300) {
      // the hop-by-hop ACK of a negative final: same branch as the INVITE
      this.inject(
        crlf([
          `ACK sip:service@${proxyHost} SIP/2.0`,
          via(`w${this.tag}i${n}`),
          from,
          toTagged,
          `Call-ID: ${callId}`,
          'CSeq: 1 ACK',
          'Max-Forwards: 70',
        ]),
        src,
      );
      await this.pump(caller, got);
      return { status: final.status, completed: false, cut: false };
    }
    const ruri = contactUri(final) ?? `sip:service@${proxyHost}`;
    const routes = routeSet(final).map((r) => `Route: ${r}`);
    const inDialog = (method: string, cseq: number, b: string) =>
      crlf([
        `${method} ${ruri} SIP/2.0`,
        via(b),
        from,
        toTagged,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ${method}`,
        ...routes,
        `Contact: <sip:sipp@${host}:${caller.port}>`,
        'Max-Forwards: 70',
      ]);
    this.inject(inDialog('ACK', 1, `w${this.tag}a${n}`), src);
    await this.pump(caller, got);
    const before = got.length;
    this.inject(inDialog('BYE', 2, `w${this.tag}b${n}`), src);
    await this.pump(caller, got);
    const byeOk = got.slice(before).some((m) => m.status === 200 && m.cseq?.method === 'BYE');
    return { status: final.status, completed: byeOk, cut: false };
  }
}
