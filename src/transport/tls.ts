/**
 * SIP over TLS (RFC 3261 §26.3.1, `listen=tls:IP:PORT`) with node:tls: a server per TLS
 * listen socket with its [server:IP:PORT] (or default) profile, outbound connections
 * with the [client:IP:PORT] (or default) profile's verification, one connection per peer
 * reused for every message, stream framing as for TCP. A handshake that fails is logged
 * with the peer and the reason, and reported up so the waiting branch fails at once.
 */
import type tls from 'node:tls';
import net, { isIP } from 'node:net';
import { StreamFramer, FramingError } from './framer';
import { closeAfterError, type LimitedConn } from './conn-limits';
import type { TlsProfiles } from './tls-profiles';
import type { TlsProfile } from './tls-config';
import {
  looksLikeHttp,
  peerIp,
  type LocalSocket,
  type PluggedEvents,
  type PluggedTransport,
  type Proto,
  type Source,
  type Target,
  type TcpConn,
} from './types';

/** node:tls, loaded when a TLS socket is opened: a start without TLS never pays it. */
const nodeTls = (): typeof tls => require('node:tls') as typeof tls;

export interface TlsConn extends TcpConn {
  readonly socket: tls.TLSSocket;
  readonly outbound: boolean;
  readonly createdAt: Date;
  /** tls.list "dom": the profile that served this connection. */
  profile: string;
  sni: string;
  established: boolean;
}

export interface TlsTransportOptions {
  maxStreamMessage: number;
  /** Connections idle this long are closed (Kamailio's tcp_connection_lifetime). */
  idleMs: number;
  /** A handshake not done by then fails (tls_handshake_timeout). */
  handshakeMs: number;
  log: { warn(msg: string): void; info(msg: string): void; debug(msg: string): void };
}

function handshakeKey(local: LocalSocket, s: net.Socket): string {
  return `${local.id}|${s.remoteAddress}|${s.remotePort}`;
}

function reasonOf(e: Error & { code?: string }): string {
  return e.code && !e.message.includes(e.code) ? `${e.message} (${e.code})` : e.message;
}

/** Length of the certificate chain the peer presented (leaf first). */
function chainDepth(s: tls.TLSSocket): number {
  let c = s.getPeerCertificate(true) as tls.DetailedPeerCertificate | null;
  let n = 0;
  const seen = new Set<string>();
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    n++;
    c = c.issuerCertificate;
  }
  return n;
}

export class TlsTransport implements PluggedTransport {
  readonly protos: readonly Proto[] = ['tls'];
  private readonly servers: Array<{ server: tls.Server; acceptor: net.Server; local: LocalSocket }> = [];
  private readonly out = new Map<string, TlsConn>();
  /** Accepted connections still in their handshake, already counted against the limits. */
  private readonly handshaking = new Map<string, { lim: LimitedConn; handle: { sock: net.Socket } }>();
  readonly conns = new Set<TlsConn>();
  private nextId = 1;
  private events: PluggedEvents | null = null;
  private sweep: NodeJS.Timeout | null = null;
  /** Handshakes completed, both ways (bench: handshakes per second). */
  handshakes = 0;
  handshakeFailures = 0;

  constructor(
    readonly profiles: TlsProfiles,
    private readonly opts: TlsTransportOptions,
  ) {}

  bind(local: LocalSocket, events: PluggedEvents): Promise<void> {
    this.events = events;
    const { profile, options } = this.profiles.server(local.ip, local.port);
    const server = nodeTls().createServer({ ...options, handshakeTimeout: this.opts.handshakeMs }, (s) =>
      this.accepted(s, local, profile),
    );
    server.on('tlsClientError', (e, s) => {
      this.handshakeFailures++;
      // a peer gone before the handshake has no address left to show: say so
      const peer = s.remoteAddress ? `${peerIp(s.remoteAddress)}:${s.remotePort}` : 'a peer that went away';
      this.opts.log.warn(`TLS handshake from ${peer} on ${local.text} failed: ${reasonOf(e)}`);
    });
    this.startSweep();
    // a plain TCP server accepts, so a connection refused by the limits never becomes a TLS socket
    const acceptor = net.createServer((raw) => {
      if (this.admit(raw, local, events)) server.emit('connection', raw);
    });
    return new Promise((resolve, reject) => {
      acceptor.once('error', reject);
      acceptor.listen({ port: local.port, host: local.ip, exclusive: true }, () => {
        acceptor.removeListener('error', reject);
        acceptor.on('error', (e) => this.opts.log.warn(`tls server ${local.text}: ${e.message}`));
        this.servers.push({ server, acceptor, local });
        resolve();
      });
    });
  }

  /**
   * An accepted TCP connection, before its handshake: refused when over the limits, else
   * counted from now on, so sockets that never finish a handshake use up
   * tcp_max_connections / tcp_accept_iplimit and cannot starve the limit unseen. The
   * handshake deadline is the server's handshakeTimeout (tls_handshake_timeout).
   */
  private admit(raw: net.Socket, local: LocalSocket, events: PluggedEvents): boolean {
    const limits = events.limits;
    if (!limits) return true;
    const ip = peerIp(raw.remoteAddress);
    const why = limits.refuseAccept(ip);
    if (why) {
      this.opts.log.warn(`tls ${local.text}: ${why}`);
      raw.destroy();
      return false;
    }
    // the handle closes the TLS socket once there is one (the raw one's handle is its)
    const handle = { sock: raw as net.Socket, destroy: (): void => void handle.sock.destroy() };
    const lim = limits.track(handle, ip, true, 'tls');
    const key = handshakeKey(local, raw);
    this.handshaking.set(key, { lim, handle });
    raw.once('close', () => {
      this.handshaking.delete(key);
      limits.release(lim);
    });
    return true;
  }

  /** tls.reload: new profiles for new handshakes; established connections stay. */
  reload(): void {
    this.profiles.load();
    for (const { server, local } of this.servers) {
      const { options } = this.profiles.server(local.ip, local.port);
      server.setSecureContext(options);
      // requestCert/rejectUnauthorized are server options, not context ones
      (server as unknown as { requestCert: boolean }).requestCert = options.requestCert ?? false;
      (server as unknown as { rejectUnauthorized: boolean }).rejectUnauthorized = options.rejectUnauthorized ?? false;
    }
  }

  private accepted(s: tls.TLSSocket, local: LocalSocket, profile: TlsProfile): void {
    const ip = peerIp(s.remoteAddress);
    const port = s.remotePort ?? 0;
    const current = this.profiles.server(local.ip, local.port).profile;
    const why = this.peerProblem(s, current, true);
    if (why) {
      this.handshakeFailures++;
      this.opts.log.warn(`TLS handshake from ${ip}:${port} on ${local.text} failed: ${why}`);
      s.destroy();
      return;
    }
    this.handshakes++;
    const pre = this.handshaking.get(handshakeKey(local, s));
    this.handshaking.delete(handshakeKey(local, s));
    if (pre) pre.handle.sock = s;
    const conn = this.adopt(s, local, ip, port, false, current.label ?? profile.label, pre?.lim);
    conn.established = true;
    conn.sni = (s as unknown as { servername?: string | false }).servername || 'N/A';
  }

  /** Checks node:tls leaves to us: an invalid certificate that was optional, verify_depth. */
  private peerProblem(s: tls.TLSSocket, p: TlsProfile, serverSide: boolean): string | null {
    const verify = p.verifyCertificate;
    if (!verify) return null;
    const cert = s.getPeerCertificate();
    const has = cert && Object.keys(cert).length > 0;
    if (serverSide && !has) return p.requireCertificate ? 'peer did not return a certificate' : null;
    if (has && !s.authorized) return `certificate not trusted: ${String(s.authorizationError)}`;
    if (has && chainDepth(s) - 1 > p.verifyDepth + 1)
      return `certificate chain longer than verify_depth ${p.verifyDepth}`;
    return null;
  }

  private adopt(
    s: tls.TLSSocket,
    local: LocalSocket,
    ip: string,
    port: number,
    outbound: boolean,
    profile: string,
    counted?: LimitedConn,
  ): TlsConn {
    const conn: TlsConn = {
      id: this.nextId++,
      socket: s,
      local,
      remoteIp: ip,
      remotePort: port,
      closed: false,
      lastUse: Date.now(),
      outbound,
      createdAt: new Date(),
      profile,
      sni: 'N/A',
      established: false,
    };
    this.conns.add(conn);
    const limits = this.events?.limits;
    const lim = counted ?? limits?.track(s, ip, !outbound, 'tls');
    conn.lim = lim;
    if (lim) limits!.watchDrain(s, lim);
    s.setNoDelay(true);
    const framer = new StreamFramer(this.opts.maxStreamMessage);
    const src: Source = { proto: 'tls', ip, port, local, conn };
    let broken = false;
    let first = !outbound;
    const onData = (chunk: Buffer): void => {
      if (broken) return;
      conn.lastUse = Date.now();
      if (first) {
        first = false;
        // read once: the layer's onHttp is a getter, present only while something takes HTTP
        const takeHttp = this.events?.onHttp;
        if (takeHttp && looksLikeHttp(chunk)) {
          // WSS: the TLS connection carries HTTP, then a WebSocket
          s.removeListener('data', onData);
          this.conns.delete(conn);
          lim?.received(0);
          takeHttp(s, chunk, local, true, () => {
            conn.lastUse = Date.now();
            lim?.touch();
          });
          return;
        }
      }
      let msgs: Buffer[];
      try {
        msgs = framer.push(chunk);
      } catch (e) {
        if (!(e instanceof FramingError)) throw e;
        broken = true;
        this.events?.onFramingError?.(e.partial, e.reason, src);
        closeAfterError(s);
        return;
      }
      lim?.received(framer.pending);
      for (const m of msgs) this.events?.onMessage(m, src);
    };
    s.on('data', onData);
    s.on('close', () => {
      if (lim) limits!.release(lim);
      this.drop(conn);
    });
    return conn;
  }

  private drop(conn: TlsConn): void {
    conn.closed = true;
    this.conns.delete(conn);
    const key = `${conn.remoteIp}|${conn.remotePort}`;
    if (this.out.get(key) === conn) this.out.delete(key);
  }

  send(target: Target, buf: Buffer, local: LocalSocket | null): boolean {
    let conn =
      target.conn && !target.conn.closed && this.conns.has(target.conn as TlsConn)
        ? (target.conn as TlsConn)
        : undefined;
    conn ??= this.out.get(`${target.ip}|${target.port}`);
    if (conn && conn.closed) conn = undefined;
    if (!conn) {
      if (target.conn || !local || local.proto !== 'tls') return false; // a reply's connection is gone
      if (this.events?.limits && !this.events.limits.mayConnect()) return false;
      conn = this.connect(target, local);
    }
    conn.lastUse = Date.now();
    const flushed = conn.socket.write(buf);
    conn.lim?.wrote(flushed);
    return true;
  }

  private connect(target: Target, local: LocalSocket): TlsConn {
    const { profile, context } = this.profiles.client(target.ip, target.port);
    const name = profile.serverName;
    const raw = net.connect({ host: target.ip, port: target.port, localAddress: local.ip });
    const s = nodeTls().connect({
      socket: raw,
      host: target.ip,
      port: target.port,
      secureContext: context,
      servername: name ?? (isIP(target.ip) ? undefined : target.ip),
      rejectUnauthorized: profile.verifyCertificate,
      // Kamailio checks the chain only; with server_name set we also check the name
      checkServerIdentity: (_host, cert) => (name ? nodeTls().checkServerIdentity(name, cert) : undefined),
    });
    raw.on('error', (e) => s.destroy(e));
    const conn = this.adopt(s, local, target.ip, target.port, true, profile.label);
    this.out.set(`${target.ip}|${target.port}`, conn);
    const peer = `${target.ip}:${target.port}`;
    const timer = setTimeout(
      () => s.destroy(new Error(`handshake not done within ${this.opts.handshakeMs} ms`)),
      this.opts.handshakeMs,
    );
    timer.unref();
    let failed = false;
    const fail = (reason: string): void => {
      if (failed) return;
      failed = true;
      // TLS 1.3 reports a refused client certificate only after our side finished
      if (!conn.established || Date.now() - conn.createdAt.getTime() < this.opts.handshakeMs) this.handshakeFailures++;
      this.opts.log.warn(`TLS ${conn.established ? 'connection' : 'handshake'} with ${peer} failed: ${reason}`);
      this.events?.onSendError?.({ proto: 'tls', ip: target.ip, port: target.port }, reason);
    };
    s.once('secureConnect', () => {
      clearTimeout(timer);
      const why = this.peerProblem(s, profile, false);
      if (why) {
        fail(why);
        s.destroy();
        return;
      }
      conn.established = true;
      conn.sni = name ?? 'N/A';
      this.handshakes++;
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      this.drop(conn);
      fail(reasonOf(e));
    });
    return conn;
  }

  private startSweep(): void {
    if (this.sweep) return;
    this.sweep = setInterval(
      () => {
        const limit = Date.now() - this.opts.idleMs;
        for (const c of this.conns) if (c.lastUse < limit) c.socket.destroy();
      },
      Math.max(1000, this.opts.idleMs / 4),
    );
    this.sweep.unref();
  }

  async close(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
    this.out.clear();
    await Promise.all(this.servers.map(({ acceptor }) => new Promise<void>((r) => acceptor.close(() => r()))));
  }
}
