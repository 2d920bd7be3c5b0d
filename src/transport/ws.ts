/**
 * SIP over WebSocket (RFC 7118) as Kamailio's xhttp + websocket modules do it: HTTP
 * arrives on the ordinary TCP and TLS listen sockets, the HTTP request goes to the
 * script (event_route[xhttp:request]), and ws_handle_handshake() turns the connection
 * into a WebSocket (ws, or wss over TLS). Framing, masking rules and size limits are the
 * `ws` package's; one text frame carries one SIP message each way. Replies and requests
 * for a WebSocket peer go back over its connection (there is no connecting to a browser).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { checkHandshake, httpReply } from './ws-handshake';
import type { LocalSocket, PluggedEvents, PluggedTransport, Proto, Source, Target, TcpConn } from './types';

export interface WsConn extends TcpConn {
  readonly ws: WebSocket;
  readonly proto: 'ws' | 'wss';
  awaitingPong: boolean;
  state: 'OPEN' | 'CLOSING' | 'CLOSED';
}

/** One HTTP request on a TCP/TLS connection, as event_route[xhttp:request] sees it. */
export interface HttpRequest {
  readonly req: http.IncomingMessage;
  /** Set for a plain request; null for an Upgrade request (then `socket`/`head`). */
  readonly res: http.ServerResponse | null;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly local: LocalSocket;
  readonly secure: boolean;
  readonly ip: string;
  readonly port: number;
  replied: boolean;
}

export interface WsOptions {
  /** Largest frame/message accepted (bytes): bigger closes the connection (1009). */
  maxMessage: number;
  /** keepalive_mechanism: 0 none, 1 Ping, 2 Pong. */
  keepaliveMechanism: number;
  /** keepalive_timeout (s): idle this long gets a keepalive; a Ping unanswered that long closes. */
  keepaliveTimeout: number;
  /** keepalive_interval (s): how often idle connections are looked at. */
  keepaliveInterval: number;
  corsMode: number;
  /** The Server header line of replies, or null. */
  server: () => string | null;
  log: { warn(msg: string): void; info(msg: string): void; debug(msg: string): void };
}

function ipOf(addr: string | undefined): string {
  const a = addr ?? '';
  return a.startsWith('::ffff:') && a.indexOf('.') > 0 ? a.slice(7) : a;
}

export class WsTransport implements PluggedTransport {
  readonly protos: readonly Proto[] = ['ws', 'wss'];
  readonly conns = new Map<number, WsConn>();
  private readonly byPeer = new Map<string, WsConn>();
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private events: PluggedEvents | null = null;
  private nextId = 1;
  private timer: NodeJS.Timeout | null = null;
  /** event_route[xhttp:request]; set by the daemon when xhttp is loaded. */
  onRequest: ((r: HttpRequest) => void) | null = null;
  handshakes = 0;
  failedHandshakes = 0;

  constructor(private readonly opts: WsOptions) {
    this.http = http.createServer({ maxHeaderSize: 16384 });
    this.http.on('request', (req, res) => this.request(req, res, req.socket, Buffer.alloc(0)));
    this.http.on('upgrade', (req, socket, head) => this.request(req, null, socket, head));
    this.http.on('clientError', (_e, socket) => {
      socket.destroy();
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxMessage,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (ps) => (ps.has('sip') ? 'sip' : false),
    });
  }

  /** The TCP/TLS layers hand over a connection whose first bytes are an HTTP request. */
  takeHttp(socket: Socket, first: Buffer, local: LocalSocket, secure: boolean, events: PluggedEvents): void {
    this.events ??= events;
    this.startKeepalive();
    const meta = socket as Socket & { dsdLocal?: LocalSocket; dsdSecure?: boolean };
    meta.dsdLocal = local;
    meta.dsdSecure = secure;
    socket.unshift(first);
    this.http.emit('connection', socket);
  }

  private request(req: http.IncomingMessage, res: http.ServerResponse | null, socket: Duplex, head: Buffer): void {
    const meta = req.socket as Socket & { dsdLocal?: LocalSocket; dsdSecure?: boolean };
    if (!meta.dsdLocal) {
      socket.destroy();
      return;
    }
    const r: HttpRequest = {
      req,
      res,
      socket,
      head,
      local: meta.dsdLocal,
      secure: meta.dsdSecure ?? false,
      ip: ipOf(req.socket.remoteAddress),
      port: req.socket.remotePort ?? 0,
      replied: false,
    };
    try {
      this.onRequest?.(r);
    } catch (e) {
      this.opts.log.warn(`xhttp request from ${r.ip}:${r.port}: ${(e as Error).message}`);
    }
    // a route that answered nothing: 404, as nothing served the URL
    if (!r.replied && !this.pendingAsync.has(r)) this.reply(r, 404, 'Not Found', 'text/plain', '');
  }

  /** Requests whose route is still running (asynchronous functions). */
  readonly pendingAsync = new Set<HttpRequest>();

  /** xhttp_reply: the HTTP reply; an Upgrade request's connection is closed after it. */
  reply(r: HttpRequest, code: number, reason: string, ctype: string, body: string, extra: string[] = []): void {
    if (r.replied) return;
    r.replied = true;
    const headers = [...extra];
    if (ctype) headers.push(`Content-Type: ${ctype}`);
    // Kamailio's bytes, not node:http's framing; the connection closes after the reply
    r.socket.end(httpReply(code, reason, headers, this.opts.server(), body));
  }

  /** ws_handle_handshake(): Kamailio's checks and replies, then the WebSocket. */
  handshake(r: HttpRequest): boolean {
    if (r.replied) return false;
    const v = checkHandshake(r.req.rawHeaders, this.opts.corsMode);
    if (v.code !== 101 || r.res) {
      this.failedHandshakes++;
      this.opts.log.warn(`websocket handshake from ${r.ip}:${r.port} refused: ${v.code} ${v.reason}`);
      this.reply(
        r,
        v.code === 101 ? 400 : v.code,
        v.code === 101 ? 'Bad Request' : v.reason,
        '',
        '',
        v.code === 101 ? [] : v.headers,
      );
      return false;
    }
    r.replied = true;
    const server = this.opts.server();
    const onHeaders = (headers: string[]): void => {
      headers.length = 0;
      headers.push('HTTP/1.1 101 Switching Protocols', ...v.headers);
      if (server) headers.push(server);
      headers.push('Content-Length: 0');
    };
    this.wss.once('headers', onHeaders);
    this.wss.handleUpgrade(r.req, r.socket, r.head, (ws) => this.adopt(ws, r));
    this.wss.removeListener('headers', onHeaders);
    return true;
  }

  private adopt(ws: WebSocket, r: HttpRequest): void {
    this.handshakes++;
    const proto = r.secure ? 'wss' : 'ws';
    const conn: WsConn = {
      id: this.nextId++,
      socket: r.req.socket,
      local: r.local,
      remoteIp: r.ip,
      remotePort: r.port,
      closed: false,
      lastUse: Date.now(),
      ws,
      proto,
      awaitingPong: false,
      state: 'OPEN',
    };
    this.conns.set(conn.id, conn);
    this.byPeer.set(`${r.ip}|${r.port}`, conn);
    const src: Source = { proto, ip: r.ip, port: r.port, local: r.local, conn };
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      conn.lastUse = Date.now();
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.events?.onMessage(buf, src);
    });
    ws.on('pong', () => {
      conn.awaitingPong = false;
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
    if (this.timer || this.opts.keepaliveMechanism === 0) return;
    this.timer = setInterval(
      () => {
        const now = Date.now();
        const idle = this.opts.keepaliveTimeout * 1000;
        for (const c of this.conns.values()) {
          if (now - c.lastUse < idle) continue;
          if (c.awaitingPong) {
            c.ws.terminate();
            continue;
          } // no Pong for a whole timeout
          if (this.opts.keepaliveMechanism === 1) {
            c.awaitingPong = true;
            c.ws.ping();
          } else c.ws.pong();
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
