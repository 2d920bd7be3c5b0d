/**
 * The transport layer: binds every `listen` socket, hands each received message to one
 * callback, and sends to a target over UDP or TCP (reusing a connection to the same
 * peer, opening one when none exists). It knows nothing of transactions or routing.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { isIP } from 'node:net';
import { StreamFramer, FramingError } from './framer';
import type { ListenSpec, LocalSocket, Source, Target, TcpConn, Proto } from './types';
import { hostForUri } from './types';

export interface TransportEvents {
  /** A complete message (datagram, or framed stream message). */
  onMessage(buf: Buffer, src: Source): void;
  /** A stream message that could not be framed; the connection is closed after. */
  onFramingError?(partial: Buffer, reason: string, src: Source): void;
}

export interface TransportOptions {
  /** Largest message accepted on a stream (bytes). */
  maxStreamMessage: number;
  /** Idle TCP connections are closed after this many ms. */
  tcpIdleMs: number;
  log: { warn(msg: string): void; debug(msg: string): void };
  /** false: TCP listen sockets are known (Via, Record-Route) but not bound here (another worker holds them). */
  listenTcp?: boolean;
  /**
   * false: the UDP sockets are bound (shared with the other workers, for sending) but
   * never read here: one worker reads, so the messages of a call keep their order.
   */
  receiveUdp?: boolean;
}

/** Sends a TCP message through the worker that holds TCP connections (src/workers). */
export type TcpRelay = (target: Target, buf: Buffer) => boolean;

/** Addresses we never send to: unspecified, broadcast, multicast. */
function forbiddenTarget(ip: string): boolean {
  if (ip === '0.0.0.0' || ip === '255.255.255.255' || ip === '::') return true;
  const first = Number(ip.split('.')[0]);
  if (isIP(ip) === 4 && first >= 224) return true;
  if (isIP(ip) === 6 && ip.toLowerCase().startsWith('ff')) return true;
  return false;
}

function connKey(ip: string, port: number): string {
  return `${ip}|${port}`;
}

export class TransportLayer {
  readonly sockets: LocalSocket[] = [];
  private readonly udp = new Map<number, dgram.Socket>();
  private readonly servers: net.Server[] = [];
  private readonly conns = new Map<string, TcpConn>();
  private nextConnId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  private closing = false;
  /** Set in a worker that holds no TCP connections: every TCP send goes through it. */
  tcpRelay: TcpRelay | null = null;

  constructor(
    private readonly specs: readonly ListenSpec[],
    private readonly events: TransportEvents,
    private readonly opts: TransportOptions,
  ) {}

  async start(): Promise<void> {
    let id = 0;
    for (const spec of this.specs) {
      const family: 4 | 6 = isIP(spec.host) === 6 ? 6 : 4;
      const advHost = spec.advertise ?? hostForUri(spec.host, family);
      const local: LocalSocket = {
        id: id++, proto: spec.proto, ip: spec.host, port: spec.port, family,
        advHost, advPort: spec.advertisePort ?? spec.port, name: spec.name,
        text: `${spec.proto}:${hostForUri(spec.host, family)}:${spec.port}`,
      };
      if (spec.proto === 'udp') await this.bindUdp(local);
      else if (this.opts.listenTcp !== false) await this.bindTcp(local);
      this.sockets.push(local);
    }
    this.idleTimer = setInterval(() => this.sweepIdle(), Math.max(1000, this.opts.tcpIdleMs / 4));
    this.idleTimer.unref();
  }

  private bindUdp(local: LocalSocket): Promise<void> {
    const sock = dgram.createSocket({ type: local.family === 6 ? 'udp6' : 'udp4', reuseAddr: false });
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(local.port, local.ip, () => {
        sock.removeListener('error', reject);
        sock.on('error', (e) => this.opts.log.warn(`udp socket ${local.text}: ${e.message}`));
        try {
          sock.setRecvBufferSize(4 * 1024 * 1024);
          sock.setSendBufferSize(4 * 1024 * 1024);
        } catch { /* the kernel may cap these; the defaults still work */ }
        if (this.opts.receiveUdp === false && !stopReceiving(sock)) {
          this.opts.log.warn(`udp socket ${local.text}: cannot leave reading to the first worker; this one reads too`);
        }
        sock.on('message', (buf, rinfo) => {
          this.events.onMessage(buf, { proto: 'udp', ip: rinfo.address, port: rinfo.port, local });
        });
        this.udp.set(local.id, sock);
        resolve();
      });
    });
  }

  private bindTcp(local: LocalSocket): Promise<void> {
    const server = net.createServer((s) => this.adopt(s, local));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: local.port, host: local.ip, exclusive: true }, () => {
        server.removeListener('error', reject);
        server.on('error', (e) => this.opts.log.warn(`tcp server ${local.text}: ${e.message}`));
        this.servers.push(server);
        resolve();
      });
    });
  }

  /** Registers a connected socket (accepted or opened) and starts framing its bytes. */
  private adopt(socket: net.Socket, local: LocalSocket, remoteIp?: string, remotePort?: number): TcpConn {
    const conn: TcpConn = {
      id: this.nextConnId++, socket, local,
      remoteIp: remoteIp ?? normalizeIp(socket.remoteAddress ?? ''),
      remotePort: remotePort ?? socket.remotePort ?? 0,
      closed: false, lastUse: Date.now(),
    };
    socket.setNoDelay(true);
    const key = connKey(conn.remoteIp, conn.remotePort);
    this.conns.set(key, conn);
    const framer = new StreamFramer(this.opts.maxStreamMessage);
    const src: Source = { proto: 'tcp', ip: conn.remoteIp, port: conn.remotePort, local, conn };
    socket.on('data', (chunk: Buffer) => {
      conn.lastUse = Date.now();
      let msgs: Buffer[];
      try {
        msgs = framer.push(chunk);
      } catch (e) {
        if (e instanceof FramingError) {
          this.events.onFramingError?.(e.partial, e.reason, src);
          socket.end();
          return;
        }
        throw e;
      }
      for (const m of msgs) this.events.onMessage(m, src);
    });
    const drop = () => {
      conn.closed = true;
      if (this.conns.get(key) === conn) this.conns.delete(key);
    };
    socket.on('close', drop);
    socket.on('error', (e) => {
      this.opts.log.debug(`tcp connection ${conn.remoteIp}:${conn.remotePort}: ${e.message}`);
      drop();
    });
    return conn;
  }

  /** The listen socket to send from for this protocol and address family. */
  selectSocket(proto: Proto, family: 4 | 6): LocalSocket | null {
    for (const s of this.sockets) if (s.proto === proto && s.family === family) return s;
    return null;
  }

  /** Sends one message; returns false when it could not be handed to the kernel. */
  send(target: Target, buf: Buffer): boolean {
    if (this.closing || forbiddenTarget(target.ip)) return false;
    if (target.proto === 'udp') {
      const family: 4 | 6 = isIP(target.ip) === 6 ? 6 : 4;
      const local = target.local && target.local.proto === 'udp' && target.local.family === family
        ? target.local : this.selectSocket('udp', family);
      if (!local) return false;
      const sock = this.udp.get(local.id);
      if (!sock) return false;
      sock.send(buf, target.port, target.ip);
      return true;
    }
    if (this.tcpRelay !== null) return this.tcpRelay(target, buf);
    let conn = target.conn && !target.conn.closed ? target.conn : this.conns.get(connKey(target.ip, target.port));
    if (conn && conn.closed) conn = undefined;
    if (!conn) {
      const family: 4 | 6 = isIP(target.ip) === 6 ? 6 : 4;
      const local = target.local && target.local.proto === 'tcp' ? target.local : this.selectSocket('tcp', family);
      if (!local) return false;
      const socket = net.connect({ host: target.ip, port: target.port, localAddress: local.ip });
      conn = this.adopt(socket, local, target.ip, target.port);
    }
    conn.lastUse = Date.now();
    conn.socket.write(buf);
    return true;
  }

  private sweepIdle(): void {
    const limit = Date.now() - this.opts.tcpIdleMs;
    for (const c of this.conns.values()) if (c.lastUse < limit) c.socket.destroy();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    for (const s of this.udp.values()) s.close();
    this.udp.clear();
    for (const c of this.conns.values()) c.socket.destroy();
    this.conns.clear();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/**
 * Stops reading a bound datagram socket, keeping it for sending. Node has no public call
 * for this (dgram.Socket reads from bind to close), so it reaches the handle the way
 * dgram's own close() does; false when that is not there (another Node version).
 */
function stopReceiving(sock: dgram.Socket): boolean {
  const sym = Object.getOwnPropertySymbols(sock).find((x) => x.description === 'state symbol');
  const state = sym ? (sock as unknown as Record<symbol, { handle?: { recvStop?: () => number }; receiving?: boolean }>)[sym] : undefined;
  if (typeof state?.handle?.recvStop !== 'function') return false;
  state.handle.recvStop();
  state.receiving = false;
  return true;
}

function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.indexOf('.') > 0 ? ip.slice(7) : ip;
}
