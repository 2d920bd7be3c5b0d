/**
 * A raw SIP peer for tests: bound to a loopback address/port over UDP (or a TCP
 * connection / listener), it sends bytes exactly as given and records every message it
 * receives with a timestamp. As a "recording backend" it can also answer requests.
 *
 * Deliberately independent of src/sip: the peer is the oracle the proxy is checked
 * against, so its tiny header reader is plain text handling, not dsd's parser.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface Received {
  /** The bytes as they arrived (one datagram, or one framed stream message). */
  readonly data: Buffer;
  /** latin1 view of `data` (1:1 with the bytes). */
  readonly text: string;
  /** Date.now() at arrival. */
  readonly at: number;
  readonly from: { ip: string; port: number };
  readonly proto: 'udp' | 'tcp';
  /** Local port the message arrived on. */
  readonly localPort: number;
}

// ---- a minimal, independent reading of a received message ----------------------

const COMPACT: Record<string, string> = {
  i: 'call-id',
  f: 'from',
  t: 'to',
  v: 'via',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
};

/** The header section (without the blank line), unfolded, as [name, value] pairs. */
export function headerLines(text: string): Array<[string, string]> {
  let end = text.indexOf('\r\n\r\n');
  if (end < 0) end = text.length;
  const lines = text.slice(0, end).split('\r\n');
  const out: Array<[string, string]> = [];
  for (const l of lines.slice(1)) {
    const prev = out[out.length - 1];
    if ((l.startsWith(' ') || l.startsWith('\t')) && prev) {
      prev[1] += ' ' + l.trim();
      continue;
    }
    const c = l.indexOf(':');
    if (c <= 0) continue;
    const raw = l.slice(0, c).trim().toLowerCase();
    out.push([COMPACT[raw] ?? raw, l.slice(c + 1).trim()]);
  }
  return out;
}

/** Every value of a header (canonical lower-case long name). */
export function headerValues(text: string, name: string): string[] {
  return headerLines(text)
    .filter(([n]) => n === name)
    .map(([, v]) => v);
}

export function header(text: string, name: string): string | undefined {
  return headerValues(text, name)[0];
}

export function startLine(text: string): string {
  const e = text.indexOf('\r\n');
  return e < 0 ? text : text.slice(0, e);
}

/** Status code of a response, 0 for a request. */
export function statusOf(text: string): number {
  if (!text.startsWith('SIP/2.0 ')) return 0;
  return Number(text.slice(8, 11)) || 0;
}

export function methodOf(text: string): string {
  if (text.startsWith('SIP/2.0 ')) return '';
  return text.slice(0, text.indexOf(' '));
}

export function callIdOf(text: string): string | undefined {
  return header(text, 'call-id');
}

/** The body: bytes after the blank line (the whole rest of the datagram). */
export function bodyOf(data: Buffer): Buffer {
  const e = data.indexOf('\r\n\r\n');
  return e < 0 ? Buffer.alloc(0) : data.subarray(e + 4);
}

/**
 * A response to `req` built from its Via/From/To/Call-ID/CSeq lines (folding kept
 * out: values are re-emitted unfolded), with a To tag added when missing (`toTag`, by
 * default one per status code; a UAS that answers one request twice passes its own).
 */
export function makeResponse(
  req: string,
  code: number,
  reason: string,
  extra: string[] = [],
  toTag = `peer${code}`,
): Buffer {
  let s = `SIP/2.0 ${code} ${reason}\r\n`;
  for (const [n, v] of headerLines(req)) {
    if (n === 'via') s += `Via: ${v}\r\n`;
    else if (n === 'from') s += `From: ${v}\r\n`;
    else if (n === 'call-id') s += `Call-ID: ${v}\r\n`;
    else if (n === 'cseq') s += `CSeq: ${v}\r\n`;
    else if (n === 'to') s += `To: ${v}${/;\s*tag=/i.test(v) || code === 100 ? '' : `;tag=${toTag}`}\r\n`;
  }
  for (const l of extra) s += l + '\r\n';
  return Buffer.from(s + 'Content-Length: 0\r\n\r\n', 'latin1');
}

// ---- the inbox shared by UDP and TCP peers ---------------------------------------

export type Predicate = (m: Received) => boolean;

/** What a recording backend does with a request: bytes to send back, or nothing. */
export type Answerer = (req: Received) => Buffer | null;

/** A final `code` to every request but ACK (ACKs get no response). */
export function answerWith(code: number, reason: string): Answerer {
  return (req) =>
    methodOf(req.text) === 'ACK' || statusOf(req.text) !== 0 ? null : makeResponse(req.text, code, reason);
}

/** 200 OK to every request but ACK. */
export const answer200: Answerer = answerWith(200, 'OK');

abstract class Inbox {
  readonly received: Received[] = [];
  private waiters: Array<{ pred: Predicate; from: number; resolve: (m: Received) => void }> = [];
  answerer: Answerer | null = null;
  private readonly taps: Array<(m: Received) => void> = [];

  /** Calls `fn` for every message received from now on (before any auto-answer). */
  onMessage(fn: (m: Received) => void): void {
    this.taps.push(fn);
  }

  protected deliver(m: Received): void {
    this.received.push(m);
    for (const t of this.taps) t(m);
    const idx = this.received.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (idx >= w.from && w.pred(m)) {
        w.resolve(m);
        return false;
      }
      return true;
    });
    if (this.answerer && statusOf(m.text) === 0) {
      const out = this.answerer(m);
      if (out) this.reply(m, out);
    }
  }

  protected abstract reply(to: Received, data: Buffer): void;

  /** Received messages (optionally those after index `from`) matching `pred`. */
  matching(pred: Predicate, from = 0): Received[] {
    return this.received.slice(from).filter(pred);
  }

  /**
   * The first message at index >= `from` matching `pred` (already received or still
   * to come); rejects after `ms`.
   */
  waitFor(pred: Predicate, ms: number, from = 0): Promise<Received> {
    const had = this.received.slice(from).find(pred);
    if (had) return Promise.resolve(had);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        from,
        resolve: (m: Received) => {
          clearTimeout(t);
          resolve(m);
        },
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no matching message within ${ms} ms (${this.received.length} received)`));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** Like waitFor but resolves null on timeout. */
  async maybe(pred: Predicate, ms: number, from = 0): Promise<Received | null> {
    try {
      return await this.waitFor(pred, ms, from);
    } catch {
      return null;
    }
  }
}

// ---- UDP ---------------------------------------------------------------------------

export interface UdpPeerOptions {
  host: string;
  /** 0 for any free port. */
  port: number;
  /** Answer requests (recording backend). */
  answer?: Answerer;
  /**
   * SO_REUSEADDR: lets the peer bind a specific address on a port that another
   * process holds on the wildcard address (the kernel then delivers to the most
   * specific bind).
   */
  reuseAddr?: boolean;
}

export class UdpPeer extends Inbox {
  private constructor(
    readonly sock: dgram.Socket,
    readonly host: string,
    readonly port: number,
  ) {
    super();
    sock.on('message', (data, rinfo) =>
      this.deliver({
        data,
        text: data.toString('latin1'),
        at: Date.now(),
        from: { ip: rinfo.address, port: rinfo.port },
        proto: 'udp',
        localPort: this.port,
      }),
    );
  }

  static open(o: UdpPeerOptions): Promise<UdpPeer> {
    const sock = dgram.createSocket({ type: o.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: o.reuseAddr ?? false });
    return new Promise((resolve, reject) => {
      sock.once('error', (e) => {
        sock.close();
        reject(e);
      });
      sock.bind(o.port, o.host, () => {
        sock.removeAllListeners('error');
        sock.on('error', () => {
          /* ICMP unreachable and the like: nothing to do in a test */
        });
        const p = new UdpPeer(sock, o.host, sock.address().port);
        p.answerer = o.answer ?? null;
        resolve(p);
      });
    });
  }

  send(data: Buffer | string, port: number, host = '127.0.0.1'): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    return new Promise((resolve, reject) => this.sock.send(buf, port, host, (e) => (e ? reject(e) : resolve())));
  }

  protected override reply(to: Received, data: Buffer): void {
    this.sock.send(data, to.from.port, to.from.ip);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.sock.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

// ---- TCP ---------------------------------------------------------------------------

/** Splits a byte stream into SIP messages by Content-Length (absent = 0). */
class Framer {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      let s = 0;
      while (s < this.buf.length && (this.buf[s] === 13 || this.buf[s] === 10)) s++;
      this.buf = this.buf.subarray(s);
      const he = this.buf.indexOf('\r\n\r\n');
      if (he < 0) break;
      const cl = Number(header(this.buf.toString('latin1', 0, he + 4), 'content-length') ?? 0) || 0;
      if (this.buf.length < he + 4 + cl) break;
      out.push(Buffer.from(this.buf.subarray(0, he + 4 + cl)));
      this.buf = this.buf.subarray(he + 4 + cl);
    }
    return out;
  }
}

/**
 * A TCP peer: either one outgoing connection (`connect`) or a listener collecting the
 * messages of every accepted connection (`listen`). Replies of a recording backend go
 * back on the connection the request came on.
 */
export class TcpPeer extends Inbox {
  private readonly sockets = new Set<net.Socket>();
  private readonly socketOf = new WeakMap<Received, net.Socket>();
  private server: net.Server | null = null;
  /** The outgoing connection (connect mode). */
  conn: net.Socket | null = null;
  closedByPeer = false;

  private adopt(s: net.Socket): void {
    this.sockets.add(s);
    const framer = new Framer();
    s.on('data', (chunk) => {
      for (const data of framer.push(chunk)) {
        const m: Received = {
          data,
          text: data.toString('latin1'),
          at: Date.now(),
          from: { ip: s.remoteAddress ?? '', port: s.remotePort ?? 0 },
          proto: 'tcp',
          localPort: s.localPort ?? 0,
        };
        this.socketOf.set(m, s);
        this.deliver(m);
      }
    });
    s.on('error', () => {
      /* reset by the peer: visible as close */
    });
    s.on('close', () => {
      this.sockets.delete(s);
      if (s === this.conn) this.closedByPeer = true;
    });
  }

  static connect(o: { host: string; port: number; localAddress?: string; localPort?: number }): Promise<TcpPeer> {
    const p = new TcpPeer();
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress, localPort: o.localPort });
      s.once('error', reject);
      s.once('connect', () => {
        s.removeListener('error', reject);
        p.conn = s;
        p.adopt(s);
        resolve(p);
      });
    });
  }

  static listen(o: { host: string; port: number; answer?: Answerer }): Promise<TcpPeer> {
    const p = new TcpPeer();
    p.answerer = o.answer ?? null;
    const srv = net.createServer((s) => p.adopt(s));
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(o.port, o.host, () => {
        p.server = srv;
        resolve(p);
      });
    });
  }

  /** Writes on the outgoing connection; resolves when the bytes are handed to the kernel. */
  send(data: Buffer | string): Promise<void> {
    const c = this.conn;
    if (!c) return Promise.reject(new Error('not connected'));
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    return new Promise((resolve, reject) => c.write(buf, (e) => (e ? reject(e) : resolve())));
  }

  protected override reply(to: Received, data: Buffer): void {
    const s = this.socketOf.get(to);
    if (s && !s.destroyed) s.write(data);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const srv = this.server;
    return srv ? new Promise((r) => srv.close(() => r())) : Promise.resolve();
  }
}

/** wait.ts's pause, under the name older tests import. */
export { pause as sleep } from './wait';
