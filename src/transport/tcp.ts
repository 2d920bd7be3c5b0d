/**
 * Plain TCP: listen sockets, the connections accepted and opened, and SIP framing on
 * them. A plugged transport like TLS and WebSocket (types.ts PluggedTransport); the layer
 * (layer.ts) owns it and decides when a message goes out over TCP. A connection is keyed
 * by the peer's address and port, so a reply or a later request to that peer reuses it,
 * whichever side opened it.
 */
import net from 'node:net';
import { StreamFramer, FramingError } from './framer';
import { ConnectionLimits, LimitedConn, closeAfterError } from './conn-limits';
import type { LocalSocket, PluggedEvents, PluggedTransport, Proto, Source, Target, TcpConn } from './types';
import { looksLikeHttp, peerIp } from './types';

export interface TcpTransportOptions {
  /** Largest message accepted on a connection (bytes). */
  maxStreamMessage: number;
  /** Shared with TLS and WebSocket: tcp_max_connections and the stream deadlines. */
  limits: ConnectionLimits;
  log: { warn(msg: string): void; debug(msg: string): void };
  /**
   * Where messages and framing errors go, and who takes a connection that speaks HTTP.
   * Given at construction, not at bind(): a connection this side opens (a send before, or
   * without, any TCP listener) reads replies too.
   */
  events: PluggedEvents;
}

function connKey(ip: string, port: number): string {
  return `${ip}|${port}`;
}

export class TcpTransport implements PluggedTransport {
  readonly protos: readonly Proto[] = ['tcp'];
  private readonly servers: net.Server[] = [];
  private readonly conns = new Map<string, TcpConn>();
  private nextConnId = 1;

  constructor(private readonly opts: TcpTransportOptions) {}

  bind(local: LocalSocket): Promise<void> {
    const server = net.createServer((s) => {
      const ip = peerIp(s.remoteAddress);
      const why = this.opts.limits.refuseAccept(ip);
      if (why) {
        this.opts.log.warn(`tcp ${local.text}: ${why}`);
        s.destroy();
        return;
      }
      this.adopt(s, local);
    });
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

  /** Over the connection the target names, else one to its address, else a new one from `local`. */
  send(target: Target, buf: Buffer, local: LocalSocket | null): boolean {
    let conn = target.conn && !target.conn.closed ? target.conn : this.conns.get(connKey(target.ip, target.port));
    if (conn && conn.closed) conn = undefined;
    if (!conn) {
      if (!local) return false;
      const limits = this.opts.limits;
      if (!limits.mayConnect()) return false;
      const socket = net.connect({ host: target.ip, port: target.port, localAddress: local.ip });
      conn = this.adopt(socket, local, target.ip, target.port, limits.trackConnect(socket, target.ip));
    }
    conn.lastUse = Date.now();
    conn.lim?.wrote(conn.socket.write(buf));
    return true;
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) c.socket.destroy();
    this.conns.clear();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.length = 0;
  }

  /** Registers a connected socket (accepted or opened) and starts framing its bytes. */
  private adopt(
    socket: net.Socket,
    local: LocalSocket,
    remoteIp?: string,
    remotePort?: number,
    opened?: LimitedConn,
  ): TcpConn {
    const { limits, events } = this.opts;
    const conn: TcpConn = {
      id: this.nextConnId++,
      socket,
      local,
      remoteIp: remoteIp ?? peerIp(socket.remoteAddress),
      remotePort: remotePort ?? socket.remotePort ?? 0,
      closed: false,
      lastUse: Date.now(),
      lim: opened,
    };
    socket.setNoDelay(true);
    const key = connKey(conn.remoteIp, conn.remotePort);
    this.conns.set(key, conn);
    const lim = conn.lim ?? limits.track(socket, conn.remoteIp, true);
    conn.lim = lim;
    limits.watchDrain(socket, lim);
    const framer = new StreamFramer(this.opts.maxStreamMessage, () => {
      if (!socket.destroyed) socket.write('\r\n');
    });
    const src: Source = { proto: 'tcp', ip: conn.remoteIp, port: conn.remotePort, local, conn };
    let broken = false;
    let first = true;
    const onData = (chunk: Buffer): void => {
      if (broken) return; // after a framing error nothing more is read or kept
      conn.lastUse = Date.now();
      if (first) {
        first = false;
        const takeHttp = events.onHttp; // a getter: read once
        if (takeHttp && looksLikeHttp(chunk)) {
          // HTTP (a WebSocket handshake): the connection leaves SIP framing for good
          socket.removeListener('data', onData);
          if (this.conns.get(key) === conn) this.conns.delete(key);
          lim.received(0);
          takeHttp(socket, chunk, local, false, () => lim.touch());
          return;
        }
      }
      let msgs: Buffer[];
      try {
        msgs = framer.push(chunk);
      } catch (e) {
        if (e instanceof FramingError) {
          broken = true;
          events.onFramingError?.(e.partial, e.reason, src);
          closeAfterError(socket);
          return;
        }
        throw e;
      }
      lim.received(framer.pending);
      for (const m of msgs) events.onMessage(m, src);
    };
    socket.on('data', onData);
    const drop = () => {
      conn.closed = true;
      limits.release(lim);
      if (this.conns.get(key) === conn) this.conns.delete(key);
    };
    socket.on('close', drop);
    socket.on('error', (e) => {
      this.opts.log.debug(`tcp connection ${conn.remoteIp}:${conn.remotePort}: ${e.message}`);
      drop();
    });
    return conn;
  }
}
