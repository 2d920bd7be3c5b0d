/**
 * A precise INVITE→200 timer. sipp measures response times with a coarse clock (steps of
 * a few ms), too coarse to compare proxies that answer in a fraction of a millisecond.
 * The probe places its own calls through the proxy next to sipp's load, a few per second,
 * times each INVITE→200 with process.hrtime, then completes the call (ACK and BYE along
 * the Record-Route) so the sipp destinations end every call cleanly.
 *
 * It runs in a worker thread (probe-worker.ts) so the bench's own work (reading /proc)
 * never delays the clock readings.
 */
import dgram from 'node:dgram';

export interface ProbeOptions {
  proxyIp: string;
  proxyPort: number;
  localPort: number;
  /** Calls per second. */
  rate: number;
}

export interface ProbeResult {
  sent: number;
  answered: number;
  completed: number;
  /** INVITE→200 in microseconds, in arrival order. */
  latencyUs: number[];
}

interface Call {
  n: number;
  callId: string;
  fromTag: string;
  t0: bigint;
  answered: boolean;
  done: boolean;
  ack: Buffer | null;
  bye: Buffer | null;
}

const SDP =
  'v=0\r\no=probe 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

const COMPACT: Record<string, string> = {
  i: 'call-id',
  f: 'from',
  t: 'to',
  m: 'contact',
  v: 'via',
  l: 'content-length',
};

interface Reply {
  status: number;
  callId: string;
  cseqMethod: string;
  to: string;
  contact: string;
  recordRoutes: string[];
}

/** Just what the probe needs from a response; headers are short and few. */
function parseReply(buf: Buffer): Reply | null {
  const text = buf.toString('latin1');
  if (!text.startsWith('SIP/2.0 ')) return null;
  const headEnd = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, headEnd < 0 ? text.length : headEnd).split('\r\n');
  const r: Reply = {
    status: Number((lines[0] ?? '').slice(8, 11)),
    callId: '',
    cseqMethod: '',
    to: '',
    contact: '',
    recordRoutes: [],
  };
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    const value = line.slice(colon + 1).trim();
    switch (name) {
      case 'call-id':
        r.callId = value;
        break;
      case 'cseq':
        r.cseqMethod = value.slice(value.indexOf(' ') + 1).trim();
        break;
      case 'to':
        r.to = value;
        break;
      case 'contact': {
        const lt = value.indexOf('<');
        r.contact = lt >= 0 ? value.slice(lt + 1, value.indexOf('>', lt)) : (value.split(';')[0] ?? '');
        break;
      }
      case 'record-route':
        for (const part of value.split(',')) r.recordRoutes.push(part.trim());
        break;
      default:
        break;
    }
  }
  return r;
}

export class Probe {
  private sock: dgram.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly calls = new Map<string, Call>();
  private n = 0;
  private readonly tag = Math.floor(Math.random() * 0xffffff).toString(16);
  readonly result: ProbeResult = { sent: 0, answered: 0, completed: 0, latencyUs: [] };

  constructor(private readonly o: ProbeOptions) {}

  async start(): Promise<void> {
    const sock = dgram.createSocket('udp4');
    this.sock = sock;
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.o.localPort, '127.0.0.1', () => {
        sock.removeListener('error', reject);
        resolve();
      });
    });
    sock.on('message', (buf) => this.onMessage(buf));
    sock.on('error', () => {
      /* a refused datagram: the call counts as unanswered */
    });
    const every = Math.max(1, Math.round(1000 / Math.max(1, this.o.rate)));
    this.timer = setInterval(() => this.sendInvite(), every);
  }

  /** Stops placing calls, lets those in flight finish (bounded), closes the socket. */
  async stop(graceMs = 3000): Promise<ProbeResult> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const until = Date.now() + graceMs;
    let lastResend = Date.now();
    while (Date.now() < until && [...this.calls.values()].some((c) => !c.done)) {
      await new Promise((r) => setTimeout(r, 50));
      if (Date.now() - lastResend >= 500) {
        // a BYE (or its 200) lost on a saturated socket: send it again, once per 500 ms
        lastResend = Date.now();
        for (const c of this.calls.values()) if (c.answered && !c.done && c.bye) this.send(c.bye);
      }
    }
    this.sock?.close();
    this.sock = null;
    return this.result;
  }

  private send(buf: Buffer): void {
    this.sock?.send(buf, this.o.proxyPort, this.o.proxyIp);
  }

  private sendInvite(): void {
    const n = ++this.n;
    const lp = this.o.localPort;
    const callId = `probe-${this.tag}-${n}@127.0.0.1`;
    const fromTag = `pf${this.tag}${n}`;
    const target = `${this.o.proxyIp}:${this.o.proxyPort}`;
    const msg =
      `INVITE sip:probe@${target} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bK-pi${this.tag}${n};rport\r\n` +
      `From: probe <sip:probe@127.0.0.1:${lp}>;tag=${fromTag}\r\n` +
      `To: probe <sip:probe@${target}>\r\n` +
      `Call-ID: ${callId}\r\n` +
      `CSeq: 1 INVITE\r\n` +
      `Contact: <sip:probe@127.0.0.1:${lp}>\r\n` +
      `Max-Forwards: 70\r\n` +
      `Subject: Latency probe\r\n` +
      `Content-Type: application/sdp\r\n` +
      `Content-Length: ${SDP.length}\r\n\r\n${SDP}`;
    const call: Call = {
      n,
      callId,
      fromTag,
      t0: process.hrtime.bigint(),
      answered: false,
      done: false,
      ack: null,
      bye: null,
    };
    this.calls.set(callId, call);
    this.result.sent++;
    this.send(Buffer.from(msg, 'latin1'));
  }

  private onMessage(buf: Buffer): void {
    const now = process.hrtime.bigint();
    const r = parseReply(buf);
    if (!r) return;
    const call = this.calls.get(r.callId);
    if (!call) return;
    if (r.cseqMethod === 'INVITE' && r.status >= 200 && r.status < 300) {
      if (call.answered) {
        if (call.ack) this.send(call.ack); // 200 retransmitted: our ACK was lost
        return;
      }
      call.answered = true;
      this.result.answered++;
      this.result.latencyUs.push(Number(now - call.t0) / 1000);
      this.finishCall(call, r);
      return;
    }
    if (r.cseqMethod === 'INVITE' && r.status >= 300) {
      call.done = true; // failed call: nothing to tear down
      return;
    }
    if (r.cseqMethod === 'BYE' && r.status >= 200) {
      if (!call.done) this.result.completed++;
      call.done = true;
      this.calls.delete(call.callId);
    }
  }

  /** ACK and BYE through the route set (Record-Route reversed for the caller). */
  private finishCall(call: Call, r: Reply): void {
    const lp = this.o.localPort;
    const route = r.recordRoutes.length ? `Route: ${[...r.recordRoutes].reverse().join(', ')}\r\n` : '';
    const ruri = r.contact || `sip:probe@${this.o.proxyIp}:${this.o.proxyPort}`;
    const build = (method: string, seq: number, b: string) =>
      Buffer.from(
        `${method} ${ruri} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bK-p${b}${this.tag}${call.n};rport\r\n` +
          route +
          `From: probe <sip:probe@127.0.0.1:${lp}>;tag=${call.fromTag}\r\n` +
          `To: ${r.to}\r\n` +
          `Call-ID: ${call.callId}\r\n` +
          `CSeq: ${seq} ${method}\r\n` +
          `Max-Forwards: 70\r\n` +
          `Content-Length: 0\r\n\r\n`,
        'latin1',
      );
    call.ack = build('ACK', 1, 'a');
    call.bye = build('BYE', 2, 'b');
    this.send(call.ack);
    this.send(call.bye);
  }
}
