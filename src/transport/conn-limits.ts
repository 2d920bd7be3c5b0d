/**
 * Connection limits for every stream transport (TCP today; TLS and WebSocket share the
 * same instance so their connections count against one tcp_max_connections, as in
 * Kamailio). It admits or refuses new connections and closes the ones that overstay:
 * idle past tcp_connection_lifetime, silent after accept past tcp_msg_data_timeout,
 * a message begun and not finished within tcp_msg_read_timeout, a connect that does not
 * complete within tcp_connect_timeout, a write queue that does not drain within
 * tcp_send_timeout. A transport registers each connection with track() and reports
 * activity through the returned handle; the limits module never reads or writes bytes.
 */
import type { Socket } from 'node:net';

export interface ConnLimitConfig {
  /** tcp_max_connections: open stream connections, both directions (Kamailio: 2048). */
  maxConnections: number;
  /** tcp_accept_iplimit: accepted connections per source IP, 0 = none (Kamailio 5.8+: 1024). */
  maxPerIp: number;
  /** tcp_connection_lifetime: idle connections are closed after this (Kamailio: 120 s). */
  lifetimeMs: number;
  /** tcp_connect_timeout (Kamailio: 10 s). */
  connectTimeoutMs: number;
  /** tcp_send_timeout: a write that cannot drain for this long closes the connection (10 s). */
  sendTimeoutMs: number;
  /** tcp_msg_read_timeout: a message must be complete this long after its first byte (20 s). */
  readTimeoutMs: number;
  /** tcp_msg_data_timeout: an accepted connection must send something within this (20 s). */
  dataTimeoutMs: number;
}

export const CONN_LIMIT_DEFAULTS: Readonly<ConnLimitConfig> = {
  maxConnections: 2048,
  maxPerIp: 1024,
  lifetimeMs: 120_000,
  connectTimeoutMs: 10_000,
  sendTimeoutMs: 10_000,
  readTimeoutMs: 20_000,
  dataTimeoutMs: 20_000,
};

/** What a transport must offer for a connection to be watched. */
export interface Closable {
  destroy(): void;
}

/** The handle a transport keeps per connection and reports activity on. */
export class LimitedConn {
  lastUse = Date.now();
  /** When the first byte of a message not yet complete arrived; 0 = none pending. */
  partialSince = 0;
  gotData = false;
  /** When a write started waiting for the kernel buffer to drain; 0 = not waiting. */
  blockedSince = 0;
  connecting = false;
  readonly openedAt = Date.now();
  released = false;

  constructor(
    readonly sock: Closable,
    readonly ip: string,
    readonly accepted: boolean,
    readonly label: string,
  ) {}

  /** Bytes went in or out. */
  touch(): void {
    this.lastUse = Date.now();
  }

  /** After framing: `pending` bytes of an unfinished message are buffered. */
  received(pending: number): void {
    const now = Date.now();
    this.lastUse = now;
    this.gotData = true;
    if (pending === 0) this.partialSince = 0;
    else if (this.partialSince === 0) this.partialSince = now;
  }

  /** After a write: `queued` is false when the write had to be buffered in user space. */
  wrote(flushed: boolean): void {
    this.lastUse = Date.now();
    if (!flushed && this.blockedSince === 0) this.blockedSince = this.lastUse;
  }

  drained(): void {
    this.blockedSince = 0;
  }
}

export interface LimitsLog {
  warn(msg: string): void;
  debug(msg: string): void;
}

export class ConnectionLimits {
  private readonly conns = new Set<LimitedConn>();
  private readonly perIp = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Connections refused at accept or connect (tcp_max_connections / tcp_accept_iplimit). */
  refused = 0;
  /** Connections closed by a deadline. */
  expired = 0;

  constructor(
    readonly cfg: ConnLimitConfig,
    private readonly log: LimitsLog,
  ) {}

  get count(): number {
    return this.conns.size;
  }

  /**
   * An accepted connection from `ip`: returns null when admitted, else why not (the caller
   * closes the socket at once, as Kamailio closes the accepted fd).
   */
  refuseAccept(ip: string): string | null {
    if (this.conns.size >= this.cfg.maxConnections) {
      this.refused++;
      return `maximum number of connections exceeded: ${this.conns.size}/${this.cfg.maxConnections}`;
    }
    if (this.cfg.maxPerIp > 0 && (this.perIp.get(ip) ?? 0) >= this.cfg.maxPerIp) {
      this.refused++;
      return `hit the limit of connections per source IP (${ip}) - rejecting`;
    }
    return null;
  }

  /** An outgoing connection may be opened (tcp_max_connections counts both directions). */
  mayConnect(): boolean {
    if (this.conns.size < this.cfg.maxConnections) return true;
    this.refused++;
    this.log.warn(`maximum number of connections exceeded: ${this.conns.size}/${this.cfg.maxConnections}`);
    return false;
  }

  /** Starts watching a connection; release() it when it closes. */
  track(sock: Closable, ip: string, accepted: boolean, label = 'tcp'): LimitedConn {
    const c = new LimitedConn(sock, ip, accepted, label);
    this.conns.add(c);
    if (accepted) this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    this.ensureSweep();
    return c;
  }

  /** An outgoing net.Socket: closed when not connected within tcp_connect_timeout. */
  trackConnect(sock: Socket, ip: string, label = 'tcp'): LimitedConn {
    const c = this.track(sock, ip, false, label);
    c.connecting = true;
    sock.once('connect', () => {
      c.connecting = false;
      c.touch();
    });
    return c;
  }

  /** A net.Socket's writes: closed when its queue does not drain within tcp_send_timeout. */
  watchDrain(sock: Socket, c: LimitedConn): void {
    sock.on('drain', () => c.drained());
  }

  release(c: LimitedConn): void {
    if (c.released) return;
    c.released = true;
    this.conns.delete(c);
    if (c.accepted) {
      const n = (this.perIp.get(c.ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(c.ip);
      else this.perIp.set(c.ip, n);
    }
  }

  private ensureSweep(): void {
    if (this.sweepTimer) return;
    const cfg = this.cfg;
    const shortest = Math.min(
      cfg.lifetimeMs,
      cfg.connectTimeoutMs,
      cfg.sendTimeoutMs,
      cfg.readTimeoutMs,
      cfg.dataTimeoutMs,
    );
    // a deadline is kept to within a quarter of itself, never polled faster than 4 times a second
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(250, Math.min(1000, shortest / 4)));
    this.sweepTimer.unref();
  }

  /** Why `c` must be closed now, or null. */
  private overdue(c: LimitedConn, now: number): string | null {
    const cfg = this.cfg;
    if (c.connecting) return now - c.openedAt >= cfg.connectTimeoutMs ? 'connect timeout (tcp_connect_timeout)' : null;
    if (c.blockedSince && now - c.blockedSince >= cfg.sendTimeoutMs) return 'send timeout (tcp_send_timeout)';
    if (c.partialSince && now - c.partialSince >= cfg.readTimeoutMs)
      return 'message read timeout (tcp_msg_read_timeout)';
    if (c.accepted && !c.gotData && now - c.openedAt >= cfg.dataTimeoutMs)
      return 'no data after accept (tcp_msg_data_timeout)';
    if (now - c.lastUse >= cfg.lifetimeMs) return 'idle (tcp_connection_lifetime)';
    return null;
  }

  sweep(now = Date.now()): void {
    for (const c of this.conns) {
      const why = this.overdue(c, now);
      if (!why) continue;
      this.expired++;
      this.log.debug(`${c.label} connection from/to ${c.ip} closed: ${why}`);
      this.release(c);
      c.sock.destroy();
    }
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }
}

/**
 * After a framing error: a best-effort reply may already be queued, so half-close, stop
 * reading (the peer's further bytes stay in the kernel, not in our heap) and destroy
 * shortly after whatever happens.
 */
export function closeAfterError(sock: Socket, graceMs = 1000): void {
  sock.end();
  sock.pause();
  setTimeout(() => sock.destroy(), graceMs).unref();
}
