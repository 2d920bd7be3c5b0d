/**
 * The UDP listen sockets' hot path through native/udpio (dist/native/udpio.node): one
 * recvmmsg(2) reads up to 32 datagrams and JavaScript is entered once for them, and a send
 * is one sendto(2), where node's dgram enters JavaScript once per datagram (a 64 KB buffer
 * allocated and shrunk, an `rinfo` object, a MakeCallback) and sends through a send
 * request and its callback. What is sent while a batch is handled is held and goes out in
 * one sendmmsg(2) after it (DSD_UDP_SEND_HOLD). dgram still binds, owns and closes the
 * socket, and sends whatever this path cannot (a full send buffer, an address it does not
 * parse): udpio reads and writes a duplicate of dgram's descriptor while dgram's own reading
 * is held. Without the module (not built, not Linux, DSD_UDP_NATIVE=0) the layer uses dgram
 * alone, as before. README, design notes, "UDP I/O"; bench/PROFILE.md, sessions 13 and 21.
 */
import type dgram from 'node:dgram';
import { loadNativeModule, type NativeLoad } from '../core/native-module';
import { setReceiving, socketFd } from './udp-receiving';
import { ipv4Text } from '../core/ipv4';

interface Udpio {
  readonly BATCH: number;
  readonly META: number;
  open(
    fd: number,
    onBatch: (count: number, bufs: unknown[]) => void,
    meta: Int32Array,
    bufs: unknown[],
    onUnsent: (buf: Buffer, port: number, ip: string, family: number) => void,
  ): unknown;
  /** A reader with no socket: sends go to `onSent`, inject() is read as a datagram would be. */
  loop(onBatch: (count: number, bufs: unknown[]) => void, meta: Int32Array, bufs: unknown[], onSent: LoopSent): unknown;
  inject(r: unknown, buf: Buffer, port: number, ip: string, family: number): void;
  reading(r: unknown, on: boolean): void;
  /** Bytes sent, or held for the end of the batch being handled; -errno: the caller falls back. */
  send(r: unknown, buf: Buffer, port: number, ip: string, family: number): number;
  /** Sends what the reader holds now. */
  flush(r: unknown): void;
  /** The send queue's counters since the start (process-wide). */
  stats(): UdpioSendStats;
  close(r: unknown): void;
}

/** Datagrams held for a batch's end, sendmmsg(2) calls that sent some, datagrams given back to dgram. */
interface UdpioSendStats {
  readonly held: number;
  readonly flushes: number;
  readonly givenBack: number;
}

/** What a loop reader was asked to send (the buffer is the caller's own). */
export type LoopSent = (buf: Buffer, port: number, ip: string) => void;

const OFF: NativeLoad<Udpio> = { mod: null, why: 'DSD_UDP_NATIVE=0' };

/** The module, or null and why not (said once in the log by the layer). */
export function loadUdpio(): NativeLoad<Udpio> {
  return process.env.DSD_UDP_NATIVE === '0' ? OFF : loadNativeModule<Udpio>('udpio');
}

/** IPv4 text by address: a socket hears from a handful of peers, each a string made once. */
const v4Text = new Map<number, string>();

function ipv4(a: number): string {
  let t = v4Text.get(a);
  if (t === undefined) {
    t = ipv4Text(a);
    if (v4Text.size >= 4096) v4Text.clear();
    v4Text.set(a, t);
  }
  return t;
}

/** Takes each datagram read (udp-listen.ts DatagramSink). */
interface DatagramTaker {
  datagram(buf: Buffer, ip: string, port: number): void;
}

/**
 * Reads `sock` (bound) through the module when it is there, else through dgram's 'message'
 * event; returns the native reader (null: dgram reads, and holding it is the caller's).
 */
export function readDatagrams(
  sock: dgram.Socket,
  sink: DatagramTaker,
  onError: (e: unknown) => void,
  reading: boolean,
): NativeUdp | null {
  const nat = NativeUdp.open(sock, sink, onError);
  if (nat) nat.setReading(reading);
  else sock.on('message', (buf, rinfo) => sink.datagram(buf, rinfo.address, rinfo.port));
  return nat;
}

/** One dgram socket's native reader and sender. */
export class NativeUdp {
  private reader: unknown;
  /** Sends handed to dgram and not yet done: while any is, every send goes through dgram (order). */
  private viaDgram = 0;

  /**
   * `sock` null: a loop reader (loop()). Both kinds are this one class, made by this one
   * constructor, so the code V8 optimises on the warm-up's loop readers fits the real ones.
   */
  private constructor(
    private readonly mod: Udpio,
    private readonly sock: dgram.Socket | null,
    sink: DatagramTaker,
    onError: (e: unknown) => void,
    onSent: LoopSent | null,
  ) {
    const { BATCH, META } = mod;
    const meta = new Int32Array(BATCH * META);
    const bufs: unknown[] = new Array<unknown>(2 * BATCH);
    const onBatch = (count: number, b: unknown[]): void => {
      for (let i = 0, j = 0; i < count; i++, j += META) {
        const ip = meta[j + 1] === 4 ? ipv4(meta[j + 2]!) : (b[BATCH + i] as string);
        // one message that throws must not cost the rest of the batch
        try {
          sink.datagram(b[i] as Buffer, ip, meta[j]!);
        } catch (e) {
          onError(e);
        }
      }
    };
    // a held send that sendmmsg(2) would not take, as one that fails at once (send())
    const onUnsent = (buf: Buffer, port: number, ip: string): void => this.viaSock(buf, port, ip);
    this.reader =
      sock !== null ? mod.open(socketFd(sock), onBatch, meta, bufs, onUnsent) : mod.loop(onBatch, meta, bufs, onSent!);
  }

  /**
   * Takes over reading `sock` (bound): dgram's reading is held for good and this reads in
   * its place once `setReading(true)`. Null when the module or the descriptor is not there.
   */
  static open(sock: dgram.Socket, sink: DatagramTaker, onError: (e: unknown) => void): NativeUdp | null {
    const { mod } = loadUdpio();
    if (!mod || socketFd(sock) < 0 || !setReceiving(sock, false)) return null;
    return new NativeUdp(mod, sock, sink, onError, null);
  }

  /**
   * A reader with no socket, for the warm-up (src/daemon/warmup-wire.ts): what it sends goes
   * to `onSent`, what inject() gives it reaches `sink` through the module as a datagram
   * read from a socket does. Null without the module.
   */
  static loop(sink: DatagramTaker, onError: (e: unknown) => void, onSent: LoopSent): NativeUdp | null {
    const { mod } = loadUdpio();
    return mod && typeof mod.loop === 'function' ? new NativeUdp(mod, null, sink, onError, onSent) : null;
  }

  /** A loop reader reads `buf` from ip:port now (a copy, made by the module as for a real datagram). */
  inject(buf: Buffer, ip: string, port: number, family: 4 | 6): void {
    if (this.reader !== null) this.mod.inject(this.reader, buf, port, ip, family);
  }

  setReading(on: boolean): void {
    if (this.reader !== null) this.mod.reading(this.reader, on);
  }

  /**
   * Sends at once when the socket can take it (or holds it for the end of the batch being
   * handled: native/udpio); otherwise (or while dgram still holds one of ours, to keep
   * order) through dgram.
   */
  send(buf: Buffer, port: number, ip: string, family: 4 | 6): void {
    if (this.reader !== null && this.viaDgram === 0 && this.mod.send(this.reader, buf, port, ip, family) >= 0) return;
    this.viaSock(buf, port, ip);
  }

  private viaSock(buf: Buffer, port: number, ip: string): void {
    if (this.sock === null) return; // a loop reader: nothing to fall back to
    // what the module holds was sent first: it goes out before dgram's
    if (this.reader !== null && this.viaDgram === 0) this.mod.flush(this.reader);
    this.sock.send(buf, port, ip, this.sent);
    this.viaDgram++;
  }

  /** dgram's callback for our sends: with one, dgram reports an error there instead of emitting it. */
  private readonly sent = (err: Error | null): void => {
    this.viaDgram--;
    if (err) this.sock?.emit('error', err);
  };

  close(): void {
    if (this.reader === null) return;
    this.mod.close(this.reader);
    this.reader = null;
  }
}
