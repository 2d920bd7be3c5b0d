/** Transport-level addressing shared by the layers above. */
import type { Socket as NetSocket } from 'node:net';
import type { ConnectionLimits, LimitedConn } from './conn-limits';

export type Proto = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Secure transports: a sips: hop may only use these. */
export function isSecure(p: Proto): boolean {
  return p === 'tls' || p === 'wss';
}

/** The Via sent-protocol transport token (RFC 3261 §20.42, RFC 7118 §5). */
export function viaTransport(p: Proto): string {
  return p.toUpperCase();
}

/** A configured listen address (`listen=udp:127.0.0.1:5060`). */
export interface ListenSpec {
  readonly proto: Proto;
  readonly host: string;
  readonly port: number;
  /** Address put in Via/Record-Route instead of host (`advertise`), optional. */
  readonly advertise?: string;
  readonly advertisePort?: number;
  readonly name?: string;
}

/** A bound listen socket. */
export interface LocalSocket {
  readonly id: number;
  readonly proto: Proto;
  /** Bound address (IP literal, no brackets). */
  readonly ip: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** Host and port we write in Via / Record-Route. */
  readonly advHost: string;
  readonly advPort: number;
  readonly name?: string;
  /** `udp:127.0.0.1:5060` / `tcp:[::1]:5060` form, as Kamailio prints sockets. */
  readonly text: string;
}

/** Where a message came from. */
export interface Source {
  readonly proto: Proto;
  readonly ip: string;
  readonly port: number;
  readonly local: LocalSocket;
  /** The stream connection a TCP message arrived on. */
  readonly conn?: TcpConn;
}

/** Where a message goes. */
export interface Target {
  readonly proto: Proto;
  readonly ip: string;
  readonly port: number;
  /** Prefer this connection (responses go back on the request's connection). */
  readonly conn?: TcpConn;
  /** Send from this local socket when set. */
  readonly local?: LocalSocket;
}

/** One TCP connection, accepted or opened by us. */
export interface TcpConn {
  readonly id: number;
  readonly socket: NetSocket;
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly local: LocalSocket;
  closed: boolean;
  lastUse: number;
  /** Its deadlines (conn-limits.ts). */
  lim?: LimitedConn;
}

export function hostForUri(ip: string, family: 4 | 6): string {
  return family === 6 && ip.charCodeAt(0) !== 91 ? `[${ip}]` : ip;
}

/** What the transport hands up: every received message, to one receiver. */
export interface TransportEvents {
  /** A complete message (datagram, or framed stream message). */
  onMessage(buf: Buffer, src: Source): void;
  /** A stream message that could not be framed; the connection is closed after. */
  onFramingError?(partial: Buffer, reason: string, src: Source): void;
  /** A stream connection to `target` failed before the message left (TLS handshake, refused). */
  onSendError?(target: Target, reason: string): void;
}

/**
 * The transport as the layers above see it; TransportLayer is the real one, tests
 * pass a fake (test/helpers/fake-transport.ts).
 */
export interface Transport {
  readonly sockets: readonly LocalSocket[];
  start(events: TransportEvents): Promise<void>;
  /** Sends one message; false when it could not be handed to the kernel. */
  send(target: Target, buf: Buffer): boolean;
  /** The listen socket to send from for this protocol and address family. */
  selectSocket(proto: Proto, family: 4 | 6): LocalSocket | null;
  /** How long (ms, a lower bound) the datagram read now on `local` waited in its receive queue. */
  queueWait?(local: LocalSocket): number;
  /** Per UDP socket, how long (ms) the last probe waited in its queue (0 while idle). */
  queueWaits?(): ReadonlyArray<{ socket: string; ms: number }>;
  close(): Promise<void>;
}

/**
 * A transport beside UDP/TCP (TLS, WebSocket) plugged into the TransportLayer: it binds
 * the listen sockets of its protocols and sends over them, delivering what it receives
 * through the same events.
 */
export interface PluggedTransport {
  readonly protos: readonly Proto[];
  bind(local: LocalSocket, events: PluggedEvents): Promise<void>;
  send(target: Target, buf: Buffer, local: LocalSocket | null): boolean;
  close(): Promise<void>;
}

export interface PluggedEvents {
  onMessage(buf: Buffer, src: Source): void;
  onFramingError?(partial: Buffer, reason: string, src: Source): void;
  /** A connection to `target` could not be made (refused, handshake failed). */
  onSendError?(target: Target, reason: string): void;
  /** The first bytes of a stream are an HTTP request (xhttp / WebSocket): take the socket. */
  onHttp?: HttpTaker;
  /** tcp_max_connections and the stream deadlines, shared by every stream transport. */
  limits?: ConnectionLimits;
}

/** Hands a stream whose first bytes are HTTP over; `touch` reports activity to the limits. */
export type HttpTaker = (
  socket: NetSocket,
  first: Buffer,
  local: LocalSocket,
  secure: boolean,
  touch: () => void,
) => void;

/** A peer's address as SIP writes it: an IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d. */
export function peerIp(addr: string | undefined): string {
  const a = addr ?? '';
  return a.startsWith('::ffff:') && a.indexOf('.') > 0 ? a.slice(7) : a;
}

/** An HTTP request line (`GET /path HTTP/1.1`), or the start of one: not SIP. */
export function looksLikeHttp(chunk: Buffer): boolean {
  const eol = chunk.indexOf(10);
  const line = chunk.toString('latin1', 0, eol < 0 ? Math.min(chunk.length, 64) : eol);
  if (eol < 0) return /^GET \//.test(line);
  return /^[A-Z]+ \S+ HTTP\/1\.[01]\r?$/.test(line);
}
