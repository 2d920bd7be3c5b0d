/**
 * Worker-to-worker handoff of SIP messages: each worker binds a private UDP socket on
 * 127.0.0.1, and the reading worker sends a message it does not own to its owner as one
 * datagram (a small binary header + the raw bytes). Node 20 has no Unix datagram
 * sockets; cluster IPC only links a worker with the primary (worker to worker is two
 * hops) and serializes to JSON. Measured per 600-byte message: 17 µs of CPU for a
 * loopback datagram (send + receive), 23 µs for one IPC hop. Only datagrams from the
 * ports of known workers are accepted.
 *
 * Header: kind(1) proto(1) localSocketId(1) port(2, BE) waited(2, BE) ipLength(1) ip(latin1)
 * payload.
 *  - kind 1: a message, with where it came from and how long (ms) it waited in the queue
 *    of the socket it was read from (tm max_queue_wait; the receiver adds its own queue's);
 *  - kind 2: a stream send (TCP, TLS, WS) for the worker that holds the connections, with its target.
 */
import dgram from 'node:dgram';
import type { Proto } from '../transport/types';
import { probeOwnQueue, type QueueWaitProbe } from '../transport/queue-wait';
import { type NativeUdp, readDatagrams } from '../transport/udp-native';

/** Protocol codes on the wire (index = code). */
const PROTOS: readonly Proto[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

export const KIND_MESSAGE = 1;
export const KIND_TCP_SEND = 2;
/** Largest payload a loopback IPv4 datagram carries with our header. */
const MAX_HANDOFF = 65_507 - 64;

export interface HandoffAddr {
  readonly proto: Proto;
  readonly localId: number;
  readonly ip: string;
  readonly port: number;
  /** Milliseconds the message waited in the queue it was read from (kind 1). */
  readonly waited?: number;
}

export type HandoffHandler = (kind: number, addr: HandoffAddr, payload: Buffer) => void;

/** The datagram for one hand-over: the header, then the payload. */
function encode(kind: number, a: HandoffAddr, payload: Buffer): Buffer {
  const ipLen = Buffer.byteLength(a.ip, 'latin1');
  const h = Buffer.allocUnsafe(HEADER + ipLen + payload.length);
  h[0] = kind;
  h[1] = Math.max(0, PROTOS.indexOf(a.proto));
  h[2] = a.localId & 0xff;
  h.writeUInt16BE(a.port & 0xffff, 3);
  h.writeUInt16BE(Math.min(0xffff, Math.max(0, Math.round(a.waited ?? 0))), 5);
  h[7] = ipLen;
  h.write(a.ip, HEADER, 'latin1');
  payload.copy(h, HEADER + ipLen);
  return h;
}

/** The fixed part of the header. */
const HEADER = 8;

function decode(buf: Buffer): { kind: number; addr: HandoffAddr; payload: Buffer } | null {
  if (buf.length < HEADER) return null;
  const ipLen = buf.readUInt8(7);
  if (buf.length < HEADER + ipLen) return null;
  const addr: HandoffAddr = {
    proto: PROTOS[buf.readUInt8(1)] ?? 'udp',
    localId: buf.readUInt8(2),
    port: buf.readUInt16BE(3),
    waited: buf.readUInt16BE(5),
    ip: buf.toString('latin1', HEADER, HEADER + ipLen),
  };
  return { kind: buf.readUInt8(0), addr, payload: buf.subarray(HEADER + ipLen) };
}

export class HandoffSocket {
  private sock: dgram.Socket | null = null;
  private nat: NativeUdp | null = null;
  /** index → port of every live peer. */
  private ports = new Map<number, number>();
  private known = new Set<number>();
  port = 0;
  /** How long what is read now waited in this socket's queue (the same probe as a SIP socket's). */
  private probe: QueueWaitProbe | null = null;
  /** Datagrams not sent (peer unknown, too large) and not accepted (unknown sender, malformed). */
  readonly stats = { sent: 0, received: 0, dropped: 0 };

  constructor(
    private readonly onData: HandoffHandler,
    private readonly warn: (m: string) => void,
  ) {}

  async bind(): Promise<void> {
    const sock = dgram.createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => {
        sock.removeListener('error', reject);
        resolve();
      });
    });
    try {
      sock.setRecvBufferSize(4 * 1024 * 1024);
      sock.setSendBufferSize(4 * 1024 * 1024);
    } catch {
      /* capped by the kernel: the defaults still work */
    }
    sock.on('error', (e) => this.warn(`handoff socket: ${e.message}`));
    const probe = probeOwnQueue(sock, (e) =>
      this.warn(`handoff socket: cannot send itself the queue-wait probe (${e.message})`),
    );
    probe.setReading(true);
    this.probe = probe;
    const deliver = (buf: Buffer, ip: string, port: number): void => {
      if (probe.take(buf)) return;
      if (ip !== '127.0.0.1' || !this.known.has(port)) {
        this.stats.dropped++;
        return;
      }
      const d = decode(buf);
      if (d === null) {
        this.stats.dropped++;
        return;
      }
      this.stats.received++;
      this.onData(d.kind, d.addr, d.payload);
    };
    // read and written as the SIP sockets are (transport/udp-native.ts), dgram without the module
    this.nat = readDatagrams(
      sock,
      { datagram: deliver },
      (e) => this.warn(`handoff socket: a message's handling failed: ${(e as Error).stack ?? String(e)}`),
      true,
    );
    this.port = sock.address().port;
    this.sock = sock;
  }

  /** Probes sent and read through this socket's queue (queue-wait.ts). */
  get probeStats(): QueueWaitProbe['stats'] | null {
    return this.probe?.stats ?? null;
  }

  /** A lower bound (ms) of how long the datagram read now waited in this socket's queue. */
  queueWait(): number {
    return this.probe?.wait() ?? 0;
  }

  setPeers(peers: ReadonlyArray<{ index: number; port: number }>): void {
    this.ports = new Map(peers.map((p) => [p.index, p.port]));
    this.known = new Set(peers.map((p) => p.port));
  }

  /** False when the peer is unknown or the message too large to hand over. */
  send(index: number, kind: number, addr: HandoffAddr, payload: Buffer): boolean {
    const port = this.ports.get(index);
    if (port === undefined || this.sock === null || payload.length > MAX_HANDOFF) {
      this.stats.dropped++;
      return false;
    }
    const msg = encode(kind, addr, payload);
    if (this.nat) this.nat.send(msg, port, '127.0.0.1', 4);
    else this.sock.send(msg, port, '127.0.0.1');
    this.stats.sent++;
    return true;
  }

  close(): void {
    this.probe?.close();
    this.probe = null;
    this.nat?.close();
    this.nat = null;
    this.sock?.close();
    this.sock = null;
  }
}
