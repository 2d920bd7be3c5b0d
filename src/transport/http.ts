/**
 * HTTP on the SIP stream listen sockets, as Kamailio's xhttp module serves it: a TCP or
 * TLS connection whose first bytes are an HTTP request is handed here; every request on
 * it (keep-alive, one after the other) goes to event_route[xhttp:request] through
 * `onRequest`, and xhttp_reply() answers with Kamailio's bytes. A request the route does
 * not answer gets no reply, as with Kamailio. ws.ts takes a connection over from here
 * after a WebSocket upgrade.
 *
 * Hand-written rather than node:http: Kamailio frames HTTP like SIP (header section plus
 * Content-Length, no chunked bodies) and writes replies node:http would rewrite
 * (it adds Date, Connection and Keep-Alive and owns the socket).
 */
import type { Socket } from 'node:net';
import { peerIp, type LocalSocket } from './types';

/** One HTTP request, as event_route[xhttp:request] sees it. */
export interface HttpRequest {
  readonly method: string;
  /** The request target as sent ($hu). */
  readonly url: string;
  /** HTTP/1.0 or HTTP/1.1. */
  readonly version: string;
  /** [name, value, name, value, …] in the order received. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly socket: Socket;
  readonly local: LocalSocket;
  readonly secure: boolean;
  readonly ip: string;
  readonly port: number;
  replied: boolean;
  /**
   * Marks the connection used, for tcp_connection_lifetime. HTTP's own reads do; after a
   * WebSocket upgrade the WebSocket's frames must, as Kamailio refreshes a connection on
   * every read and write whatever it carries.
   */
  readonly touch: () => void;
}

export interface HttpServerOptions {
  /** Largest request head (bytes). */
  maxHead: number;
  /** Largest request body (bytes). */
  maxBody: number;
  /** The Server header line of replies, or null. */
  server: () => string | null;
  log: { warn(msg: string): void; debug(msg: string): void };
}

/** An HTTP reply as Kamailio's xhttp writes it. */
function httpReply(code: number, reason: string, headers: readonly string[], server: string | null, body = ''): string {
  let s = `HTTP/1.1 ${code} ${reason}\r\n`;
  for (const h of headers) s += `${h}\r\n`;
  if (server) s += `${server}\r\n`;
  s += `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return s;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^([A-Za-z]+) (\S+) (HTTP\/1\.[01])$/;

/** Per connection: bytes not yet handled; a request whose route has not finished holds the next back. */
interface Conn {
  buf: Buffer;
  busy: boolean;
  /** Taken over (WebSocket): no more HTTP on it. */
  detached: boolean;
  closeAfter: boolean;
  socket: Socket;
  local: LocalSocket;
  secure: boolean;
  touch: () => void;
}

export class HttpServer {
  /** event_route[xhttp:request]; a returned promise holds the next request back until it settles. */
  onRequest: ((r: HttpRequest) => void | Promise<unknown>) | null = null;
  private readonly conns = new WeakMap<Socket, Conn>();
  private readonly readers = new WeakMap<Socket, (b: Buffer) => void>();

  constructor(private readonly opts: HttpServerOptions) {}

  /** The TCP/TLS layers hand over a connection whose first bytes are an HTTP request. */
  take(socket: Socket, first: Buffer, local: LocalSocket, secure: boolean, touch: () => void = () => undefined): void {
    const c: Conn = {
      buf: Buffer.alloc(0),
      busy: false,
      detached: false,
      closeAfter: false,
      socket,
      local,
      secure,
      touch,
    };
    this.conns.set(socket, c);
    const onData = (chunk: Buffer): void => {
      touch();
      if (c.detached) return;
      c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
      this.pump(c);
    };
    this.readers.set(socket, onData);
    socket.on('data', onData);
    socket.on('error', (e) => this.opts.log.debug(`http ${peerIp(socket.remoteAddress)}: ${e.message}`));
    onData(first);
  }

  /**
   * Runs the requests in the buffer one at a time, in order; one at a time also because a
   * WebSocket upgrade takes the bytes after it away from HTTP.
   */
  private pump(c: Conn): void {
    while (!c.busy && !c.detached && !c.socket.destroyed) {
      const r = this.next(c);
      if (r === null) {
        if (c.buf.length > this.opts.maxHead + this.opts.maxBody) c.socket.destroy();
        return;
      }
      if (r === 'bad') {
        c.socket.destroy();
        return;
      }
      let res: void | Promise<unknown> = undefined;
      try {
        res = this.onRequest?.(r);
      } catch (e) {
        this.opts.log.warn(`xhttp request from ${r.ip}:${r.port}: ${(e as Error).message}`);
      }
      if (res && typeof res.then === 'function') {
        c.busy = true;
        void res.finally(() => {
          c.busy = false;
          this.settled(c, r);
          this.pump(c);
        });
      } else this.settled(c, r);
    }
  }

  /** Cuts the next whole request off the connection's buffer; null: not complete yet. */
  private next(c: Conn): HttpRequest | null | 'bad' {
    const { socket, local, secure } = c;
    let s = 0;
    while (s < c.buf.length && (c.buf[s] === 13 || c.buf[s] === 10)) s++;
    if (s) c.buf = c.buf.subarray(s);
    if (c.buf.length === 0 || c.detached || c.closeAfter) return null;
    const he = c.buf.indexOf(CRLFCRLF);
    if (he < 0) return c.buf.length > this.opts.maxHead ? this.bad(socket, 'request head too large') : null;
    if (he + 4 > this.opts.maxHead) return this.bad(socket, 'request head too large');
    const lines = c.buf.toString('latin1', 0, he).split('\r\n');
    const m = REQUEST_LINE.exec(lines[0] ?? '');
    if (!m) return this.bad(socket, 'not an HTTP request line');
    const raw: string[] = [];
    for (const l of lines.slice(1)) {
      if ((l.startsWith(' ') || l.startsWith('\t')) && raw.length) {
        raw[raw.length - 1] += ` ${l.trim()}`; // obsolete line folding
        continue;
      }
      const colon = l.indexOf(':');
      if (colon <= 0) return this.bad(socket, 'bad header line');
      raw.push(l.slice(0, colon).trim(), l.slice(colon + 1).trim());
    }
    let cl = 0;
    for (let i = 0; i < raw.length; i += 2) if (/^content-length$/i.test(raw[i]!)) cl = Number(raw[i + 1]);
    if (!Number.isInteger(cl) || cl < 0 || cl > this.opts.maxBody) return this.bad(socket, 'bad or too large body');
    if (c.buf.length < he + 4 + cl) return null;
    const body = Buffer.from(c.buf.subarray(he + 4, he + 4 + cl));
    c.buf = c.buf.subarray(he + 4 + cl);
    const conn = raw.findIndex((v, i) => i % 2 === 0 && /^connection$/i.test(v));
    const connection = conn >= 0 ? raw[conn + 1]!.toLowerCase() : '';
    // HTTP/1.0 and "Connection: close" end after their reply; nothing after them is read
    if (m[3] === 'HTTP/1.0' ? !connection.includes('keep-alive') : connection.includes('close')) c.closeAfter = true;
    return {
      method: m[1]!,
      url: m[2]!,
      version: m[3]!,
      rawHeaders: raw,
      body,
      socket,
      local,
      secure,
      ip: peerIp(socket.remoteAddress),
      port: socket.remotePort ?? 0,
      replied: false,
      touch: c.touch,
    };
  }

  private bad(socket: Socket, why: string): 'bad' {
    this.opts.log.debug(`http from ${peerIp(socket.remoteAddress)}:${socket.remotePort}: ${why}; closed`);
    return 'bad';
  }

  private settled(c: Conn, r: HttpRequest): void {
    if (c.closeAfter && !c.detached) {
      if (r.replied) r.socket.end();
      else r.socket.destroy();
    }
  }

  /** xhttp_reply: the reply, Kamailio's bytes; the connection stays open for the next request. */
  reply(r: HttpRequest, code: number, reason: string, ctype: string, body: string, extra: string[] = []): void {
    if (r.replied) return;
    r.replied = true;
    const headers = [...extra];
    if (ctype) headers.push(`Content-Type: ${ctype}`);
    r.socket.write(httpReply(code, reason, headers, this.opts.server(), body));
  }

  /**
   * Takes the connection away from HTTP (a WebSocket upgrade) and returns the bytes that
   * came after the request (the first frames, when the client did not wait).
   */
  detach(r: HttpRequest): Buffer {
    const c = this.conns.get(r.socket);
    const reader = this.readers.get(r.socket);
    if (reader) r.socket.removeListener('data', reader);
    if (!c) return Buffer.alloc(0);
    c.detached = true;
    const rest = c.buf;
    c.buf = Buffer.alloc(0);
    return rest;
  }
}
