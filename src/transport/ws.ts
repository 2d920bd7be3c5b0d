/**
 * SIP over WebSocket (RFC 7118) as Kamailio's xhttp + websocket modules do it: HTTP
 * arrives on the ordinary TCP and TLS listen sockets (http.ts), the HTTP request goes to
 * the script (event_route[xhttp:request]), and ws_handle_handshake() turns the connection
 * into a WebSocket (ws, or wss over TLS). Framing, masking rules and size limits are the
 * `ws` package's; one text frame carries one SIP message each way. Replies and requests
 * for a WebSocket peer go back over its connection (there is no connecting to a browser).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { checkHandshake } from './ws-handshake';
import type { HttpRequest, HttpServer } from './http';
import type { PluggedEvents, PluggedTransport, Proto, Source, Target, TcpConn } from './types';

export interface WsConn extends TcpConn {
  readonly ws: WebSocket;
  readonly proto: 'ws' | 'wss';
  awaitingPong: boolean;
  state: 'OPEN' | 'CLOSING' | 'CLOSED';
  /** Marks the TCP connection used (tcp_connection_lifetime; http.ts HttpRequest.touch). */
  readonly touch: () => void;
}

export interface WsOptions {
  /** Largest frame/message accepted (bytes): bigger closes the connection (1009). */
  maxMessage: number;
  /** keepalive_mechanism: 0 none, 1 Ping, 2 Pong, 3 connection check (nothing to send: a lost connection is gone already). */
  keepaliveMechanism: number;
  /** keepalive_timeout (s): idle this long gets a keepalive; a Ping unanswered that long closes. */
  keepaliveTimeout: number;
  /** keepalive_interval (s): how often idle connections are looked at. */
  keepaliveInterval: number;
  corsMode: number;
  /** Payload of keepalive Pings/Pongs; only a Pong that echoes it answers a Ping (as Kamailio). */
  pingData: string;
  /** The Server header line of replies, or null. */
  server: () => string | null;
  log: { warn(msg: string): void; info(msg: string): void; debug(msg: string): void };
}

/** The request as the `ws` package reads an upgrade: method, url, lower-case headers, socket. */
function upgradeRequest(r: HttpRequest): {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  socket: HttpRequest['socket'];
} {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < r.rawHeaders.length; i += 2) {
    const n = r.rawHeaders[i]!.toLowerCase();
    headers[n] = n in headers ? `${headers[n]}, ${r.rawHeaders[i + 1]}` : r.rawHeaders[i + 1]!;
  }
  return { method: r.method, url: r.url, headers, socket: r.socket };
}

export class WsTransport implements PluggedTransport {
  readonly protos: readonly Proto[] = ['ws', 'wss'];
  readonly conns = new Map<number, WsConn>();
  private readonly byPeer = new Map<string, WsConn>();
  private readonly wss: WebSocketServer;
  private nextId = 1;
  private timer: NodeJS.Timeout | null = null;
  handshakes = 0;
  failedHandshakes = 0;

  constructor(
    private readonly opts: WsOptions,
    private readonly http: HttpServer,
    private readonly events: PluggedEvents,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxMessage,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (ps) => (ps.has('sip') ? 'sip' : false),
    });
  }

  /** ws_handle_handshake(): Kamailio's checks and replies, then the WebSocket. */
  handshake(r: HttpRequest): boolean {
    if (r.replied) return false;
    const v = checkHandshake(r.rawHeaders, this.opts.corsMode);
    if (v.code !== 101 || r.method !== 'GET') {
      this.failedHandshakes++;
      const code = v.code === 101 ? 400 : v.code;
      this.opts.log.warn(
        `websocket handshake from ${r.ip}:${r.port} refused: ${code} ${v.code === 101 ? 'Bad Request' : v.reason}`,
      );
      this.http.reply(r, code, v.code === 101 ? 'Bad Request' : v.reason, '', '', v.code === 101 ? [] : v.headers);
      // as Kamailio: a refused upgrade closes the connection
      this.http.detach(r);
      r.socket.end();
      return false;
    }
    r.replied = true;
    const head = this.http.detach(r);
    const server = this.opts.server();
    const onHeaders = (headers: string[]): void => {
      headers.length = 0;
      headers.push('HTTP/1.1 101 Switching Protocols', ...v.headers);
      if (server) headers.push(server);
      headers.push('Content-Length: 0');
    };
    this.wss.once('headers', onHeaders);
    const req = upgradeRequest(r) as unknown as Parameters<WebSocketServer['handleUpgrade']>[0];
    this.wss.handleUpgrade(req, r.socket, head, (ws) => this.adopt(ws, r));
    this.wss.removeListener('headers', onHeaders);
    return true;
  }

  private adopt(ws: WebSocket, r: HttpRequest): void {
    this.handshakes++;
    this.startKeepalive();
    const proto = r.secure ? 'wss' : 'ws';
    const conn: WsConn = {
      id: this.nextId++,
      socket: r.socket,
      local: r.local,
      remoteIp: r.ip,
      remotePort: r.port,
      closed: false,
      lastUse: Date.now(),
      ws,
      proto,
      awaitingPong: false,
      state: 'OPEN',
      touch: r.touch,
    };
    // every frame read keeps the connection under tcp_connection_lifetime, as HTTP's reads did
    // before the upgrade (http.ts detach() took that reader away)
    r.socket.on('data', r.touch);
    this.conns.set(conn.id, conn);
    this.byPeer.set(`${r.ip}|${r.port}`, conn);
    const src: Source = { proto, ip: r.ip, port: r.port, local: r.local, conn };
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      conn.lastUse = Date.now();
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.events.onMessage(buf, src);
    });
    const ping = Buffer.from(this.opts.pingData);
    ws.on('pong', (data: Buffer) => {
      if (data.subarray(0, ping.length).equals(ping)) conn.awaitingPong = false;
      conn.lastUse = Date.now();
    });
    ws.on('ping', () => {
      conn.lastUse = Date.now();
    });
    ws.on('error', (e) => this.opts.log.info(`websocket ${r.ip}:${r.port}: ${e.message}; closed`));
    ws.on('close', () => {
      conn.closed = true;
      conn.state = 'CLOSED';
      this.conns.delete(conn.id);
      if (this.byPeer.get(`${r.ip}|${r.port}`) === conn) this.byPeer.delete(`${r.ip}|${r.port}`);
    });
  }

  bind(): Promise<void> {
    return Promise.reject(new Error('WebSocket runs on tcp/tls listen sockets (listen=tcp:… / tls:…)'));
  }

  send(target: Target, buf: Buffer): boolean {
    const c = target.conn as WsConn | undefined;
    const conn = c && this.conns.get(c.id) === c ? c : this.byPeer.get(`${target.ip}|${target.port}`);
    if (!conn || conn.closed || conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.lastUse = Date.now();
    conn.touch();
    conn.ws.send(buf.toString('utf8'));
    return true;
  }

  /** ws.close: a normal closure (1000) of one connection; false when there is none. */
  closeConn(id: number): boolean {
    const c = this.conns.get(id);
    if (!c) return false;
    c.state = 'CLOSING';
    c.ws.close(1000, 'Normal closure');
    return true;
  }

  private startKeepalive(): void {
    if (this.timer || this.opts.keepaliveMechanism === 0 || this.opts.keepaliveMechanism === 3) return;
    this.timer = setInterval(
      () => {
        const now = Date.now();
        const idle = this.opts.keepaliveTimeout * 1000;
        for (const c of this.conns.values()) {
          if (now - c.lastUse < idle) continue;
          if (c.awaitingPong) {
            // no Pong for a whole timeout: Kamailio's words
            this.opts.log.warn(`websocket ${c.remoteIp}:${c.remotePort}: no Pong, forcibly closing connection`);
            c.ws.terminate();
            continue;
          }
          if (this.opts.keepaliveMechanism === 1) {
            c.awaitingPong = true;
            c.ws.ping(this.opts.pingData);
          } else c.ws.pong(this.opts.pingData);
          c.lastUse = now;
        }
      },
      Math.max(1, this.opts.keepaliveInterval) * 1000,
    );
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const c of this.conns.values()) c.ws.terminate();
    this.conns.clear();
    this.byPeer.clear();
  }
}
