/**
 * The transport layer: binds every `listen` socket, hands each received message to one
 * callback, and sends to a target over UDP or TCP (reusing a connection to the same
 * peer, opening one when none exists). It knows nothing of transactions or routing.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { ConnectionLimits, CONN_LIMIT_DEFAULTS, ConnLimitConfig } from './conn-limits';
import { TcpTransport } from './tcp';
import type {
  ListenSpec,
  LocalSocket,
  Source,
  Target,
  Proto,
  PluggedTransport,
  PluggedEvents,
  HttpTaker,
  Transport,
  TransportEvents,
} from './types';
import { UDP_MAX_BUFFER_DEFAULT } from './rcvbuf';
import { setReceiving } from './udp-receiving';
import { type NativeUdp, loadUdpio } from './udp-native';
import { bindUdpListener } from './udp-listen';
import type { QueueWaitProbe } from './queue-wait';
import { LoopReaders, type LoopOptions } from './loop-readers';
import { hostForUri } from './types';
import { InboundHold } from './inbound-hold';

export interface TransportOptions {
  /** Largest message accepted on a stream (bytes). */
  maxStreamMessage: number;
  /** tcp_max_connections, tcp_connection_lifetime and the other stream deadlines. */
  limits?: ConnLimitConfig;
  log: { warn(msg: string): void; info(msg: string): void; debug(msg: string): void };
  /** false: stream listen sockets (TCP, TLS, WS) are known (Via, Record-Route) but not bound here (another worker holds them). */
  listenTcp?: boolean;
  /**
   * false: the UDP sockets are bound (shared with the other workers) but not read until
   * `receiveUdp()`: one worker reads at a time, and only once it is ready, so a datagram
   * taken from the shared socket never meets an engine still loading.
   */
  receiveUdp?: boolean;
  /**
   * true: start() binds only the UDP sockets; listenStreams() binds the rest later. A single
   * dsd binds UDP (held, receiveUdp false) before its warm-up, so datagrams sent meanwhile
   * wait in the kernel instead of meeting a closed port, and listens on TCP/TLS after it.
   */
  holdStreams?: boolean;
  /** The maxbuffer global: the most a UDP receive buffer is raised to (rcvbuf.ts). */
  udpMaxBuffer?: number;
}

/** Sends a stream (TCP, TLS, WS) message through the worker that holds the connections (src/workers). */
export type TcpRelay = (target: Target, buf: Buffer) => boolean;

/** Addresses we never send to: unspecified, broadcast, multicast. */
function forbiddenTarget(ip: string, family: number): boolean {
  if (ip === '0.0.0.0' || ip === '255.255.255.255' || ip === '::') return true;
  if (family === 4) return parseInt(ip, 10) >= 224; // parseInt reads the first octet
  return family === 6 && (ip.charCodeAt(0) | 0x20) === 0x66 && (ip.charCodeAt(1) | 0x20) === 0x66;
}

const NOBODY: TransportEvents = {
  onMessage(): void {
    /* not started */
  },
};

export class TransportLayer implements Transport {
  readonly sockets: LocalSocket[] = [];
  private readonly udp = new Map<number, dgram.Socket>();
  /** The UDP sockets read and written through native/udpio (udp-native.ts), by id. */
  private readonly native = new Map<number, NativeUdp>();
  /** Per UDP listen socket (by id): how long what is read now waited in its queue. */
  private readonly waits = new Map<number, QueueWaitProbe>();
  /** Plain TCP: its listeners and connections (tcp.ts). */
  private readonly tcp: TcpTransport;
  private closing = false;
  /** Set in a worker that holds no TCP connections: every TCP send goes through it. */
  tcpRelay: TcpRelay | null = null;
  private events = NOBODY;
  /** What receiveUdp() last asked for (a hold pauses reading without changing it). */
  private udpWanted = false;
  /** Arrivals kept from the core while held (the warm-up while idle; inbound-hold.ts). */
  readonly inbound = new InboundHold((paused) => this.readUdp(this.udpWanted && !paused));
  private readonly plugged: PluggedTransport[] = [];
  /** Takes TCP/TLS connections that speak HTTP (xhttp / WebSocket); null = they are not SIP. */
  http: HttpTaker | null = null;
  /** Shared with every stream transport (TLS, WebSocket) so they count against one limit. */
  readonly limits: ConnectionLimits;

  /**
   * Set in a loop twin, a layer that binds nothing (loopTwin(), for the warm-up): its UDP
   * listen sockets are loop readers (loop-readers.ts), and whatever it sends, datagram or
   * stream, goes to `loop.sent`. The warm core then runs this class's own code, down to
   * the module's send, with nothing on the wire.
   */
  private readonly loop: LoopOptions | null;
  private loopReaders: LoopReaders | null = null;

  constructor(
    private readonly specs: readonly ListenSpec[],
    private readonly opts: TransportOptions,
    loop: LoopOptions | null = null,
  ) {
    this.loop = loop;
    this.limits = new ConnectionLimits(opts.limits ?? CONN_LIMIT_DEFAULTS, opts.log);
    this.tcp = new TcpTransport({
      maxStreamMessage: opts.maxStreamMessage,
      limits: this.limits,
      log: opts.log,
      events: this.pluggedEvents(),
    });
    // known before binding: the dispatcher's list (socket= attributes) and the warm-up use them
    let id = 0;
    for (const spec of specs) {
      const family: 4 | 6 = isIP(spec.host) === 6 ? 6 : 4;
      this.sockets.push({
        id: id++,
        proto: spec.proto,
        ip: spec.host,
        port: spec.port,
        family,
        advHost: spec.advertise ?? hostForUri(spec.host, family),
        advPort: spec.advertisePort ?? spec.port,
        name: spec.name,
        text: `${spec.proto}:${hostForUri(spec.host, family)}:${spec.port}`,
      });
    }
  }

  /** Adds a transport for more protocols (TLS, WS); call before start(). */
  plug(t: PluggedTransport): void {
    this.plugged.push(t);
  }

  private pluggedFor(proto: Proto): PluggedTransport | undefined {
    return this.plugged.find((t) => t.protos.includes(proto));
  }

  /** The events a plugged transport (and the WebSocket hand-over) delivers through. */
  pluggedEvents(): PluggedEvents {
    const taker = (): HttpTaker | null => this.http;
    const inbound = this.inbound;
    return {
      onMessage: (b, s) => this.accept(b, s),
      onFramingError: (p, r, s) => this.events.onFramingError?.(p, r, s),
      onSendError: (t, r) => this.events.onSendError?.(t, r),
      // present only while something takes HTTP: otherwise a stream's bytes stay SIP (and get their 400)
      get onHttp(): HttpTaker | undefined {
        const http = taker();
        return http === null ? undefined : (s, f, l, sec, touch) => inbound.run(() => http(s, f, l, sec, touch));
      },
      limits: this.limits,
    };
  }

  /** Binds every listen socket (streams: unless held); received messages go to `events` from then on. */
  async start(events: TransportEvents): Promise<void> {
    this.events = events;
    if (this.loop !== null) return this.startLoop(this.loop);
    for (const local of this.sockets) if (local.proto === 'udp') await this.bindUdp(local);
    if (this.opts.holdStreams !== true) await this.listenStreams();
  }

  /**
   * A layer like this one (the same listen sockets and options) that binds nothing: the
   * warm-up's (LoopOptions). Null without native/udpio (the warm-up then uses its in-memory
   * transport).
   */
  loopTwin(loop: LoopOptions): TransportLayer | null {
    if (!loadUdpio().mod) return null;
    const twin = new TransportLayer(this.specs, this.opts, loop);
    // WebSocket's views of the stream sockets (selectSocket) exist where HTTP is taken
    twin.http = this.http;
    return twin;
  }

  private startLoop(loop: LoopOptions): void {
    const readers = new LoopReaders(this.sockets, this, this.opts.log, loop);
    for (const [id, r] of readers.byId) {
      this.native.set(id, r.nat);
      this.waits.set(id, r.probe);
    }
    this.loopReaders = readers;
    // stream sends: where a worker without the connections sends them, to the loop here
    this.tcpRelay = (target, buf) => {
      loop.sent(target, buf);
      return true;
    };
  }

  /** A loop twin reads `buf` on its UDP socket `local` from ip:port (loop-readers.ts); false: no loop reader there. */
  inject(local: LocalSocket, buf: Buffer, ip: string, port: number): boolean {
    return this.loopReaders !== null && this.loopReaders.inject(local, buf, ip, port);
  }

  /** Binds the stream listen sockets (TCP, TLS; WebSocket rides them); with `holdStreams`, after start(). */
  async listenStreams(): Promise<void> {
    // listenTcp false: another worker holds the stream listeners
    if (this.opts.listenTcp === false) return;
    for (const local of this.sockets) {
      if (local.proto === 'udp') continue;
      if (local.proto === 'tcp') await this.tcp.bind(local);
      else {
        const p = this.pluggedFor(local.proto);
        if (!p) throw new Error(`no transport for ${local.text}`);
        await p.bind(local, this.pluggedEvents());
      }
    }
  }

  private async bindUdp(local: LocalSocket): Promise<void> {
    const u = await bindUdpListener(local, {
      maxBuffer: this.opts.udpMaxBuffer ?? UDP_MAX_BUFFER_DEFAULT,
      reading: this.opts.receiveUdp !== false,
      log: this.opts.log,
      to: this,
    });
    this.waits.set(local.id, u.probe);
    if (u.nat) this.native.set(local.id, u.nat);
    this.udp.set(local.id, u.sock);
  }

  /** A message received, from any listen socket (a UDP socket's DatagramSink among them): to the core, or held. */
  accept(buf: Buffer, src: Source): void {
    // no closure per message unless held
    if (this.inbound.holding) this.inbound.run(() => this.events.onMessage(buf, src));
    else this.events.onMessage(buf, src);
  }

  /** Starts (or stops) reading the UDP sockets; see `TransportOptions.receiveUdp`. */
  receiveUdp(on = true): void {
    this.udpWanted = on;
    // held after an arrival: reading resumes at release()
    this.readUdp(on && !this.inbound.paused);
    for (const w of this.waits.values()) w.setReading(on);
  }

  private readUdp(on: boolean): void {
    for (const [id, sock] of this.udp) {
      const nat = this.native.get(id);
      if (nat) nat.setReading(on);
      else setReceiving(sock, on);
    }
  }

  /** Per UDP socket, how long (ms) the last probe waited in its queue; 0 while idle or not read here. */
  queueWaits(): Array<{ socket: string; ms: number }> {
    const out: Array<{ socket: string; ms: number }> = [];
    for (const l of this.sockets) {
      const w = this.waits.get(l.id);
      if (w) out.push({ socket: l.text, ms: w.stats.lastWait });
    }
    return out;
  }

  /** A lower bound (ms) of how long the datagram read now on `local` waited in its queue (queue-wait.ts). */
  queueWait(local: LocalSocket): number {
    return this.waits.get(local.id)?.wait() ?? 0;
  }

  /** The listen socket to send from for this protocol and address family. */
  selectSocket(proto: Proto, family: 4 | 6): LocalSocket | null {
    for (const s of this.sockets) if (s.proto === proto && s.family === family) return s;
    if ((proto === 'ws' || proto === 'wss') && this.http) {
      // WebSocket lives on the TCP (ws) and TLS (wss) listen sockets: a view of one with
      // the WebSocket protocol, so Via and Record-Route say WS/WSS
      const base = this.selectSocket(proto === 'ws' ? 'tcp' : 'tls', family);
      if (!base) return null;
      let v = this.wsViews.get(base.id * 2 + (proto === 'wss' ? 1 : 0));
      if (!v) {
        v = { ...base, proto, id: -1 - base.id, text: `${proto}:${base.text.slice(base.text.indexOf(':') + 1)}` };
        this.wsViews.set(base.id * 2 + (proto === 'wss' ? 1 : 0), v);
      }
      return v;
    }
    return null;
  }

  private readonly wsViews = new Map<number, LocalSocket>();

  /** Sends one message; returns false when it could not be handed to the kernel. */
  send(target: Target, buf: Buffer): boolean {
    // one isIP per send: it is a regular expression, and this runs for every datagram
    const ipFamily = isIP(target.ip);
    if (this.closing || forbiddenTarget(target.ip, ipFamily)) return false;
    const family: 4 | 6 = ipFamily === 6 ? 6 : 4;
    if (target.proto === 'udp') {
      const local =
        target.local && target.local.proto === 'udp' && target.local.family === family
          ? target.local
          : this.selectSocket('udp', family);
      if (!local) return false;
      const nat = this.native.get(local.id);
      if (nat) {
        nat.send(buf, target.port, target.ip, family);
        return true;
      }
      const sock = this.udp.get(local.id);
      if (!sock) return false;
      sock.send(buf, target.port, target.ip);
      return true;
    }
    if (this.tcpRelay !== null) return this.tcpRelay(target, buf);
    if (target.proto !== 'tcp') {
      const p = this.pluggedFor(target.proto);
      const local = target.local ?? this.selectSocket(target.proto, family);
      return p !== undefined && p.send(target, buf, local);
    }
    return this.tcp.send(
      target,
      buf,
      target.local && target.local.proto === 'tcp' ? target.local : this.selectSocket('tcp', family),
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    this.limits.stop();
    for (const w of this.waits.values()) w.close();
    this.waits.clear();
    for (const n of this.native.values()) n.close();
    this.native.clear();
    for (const s of this.udp.values()) s.close();
    this.udp.clear();
    await this.tcp.close();
    await Promise.all(this.plugged.map((t) => t.close()));
  }
}
