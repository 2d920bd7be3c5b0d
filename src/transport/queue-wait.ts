/**
 * How long the datagram being read now waited in its UDP socket's receive queue. The buffer
 * is bytes and the question is time: a caller retransmits after T1 (500 ms) whatever it has
 * no answer to, and a reader that stays behind that long collapses (the copies queue behind
 * the originals). The kernel does not say when a datagram arrived, so the reader sends
 * itself a small datagram (a probe) through the same socket every `PROBE_MS` while traffic
 * flows; the probe queues behind whatever is there. Every datagram read before the oldest
 * probe still in the queue arrived before that probe was sent, so `now - its send time` is
 * a lower bound of their wait, and at most one probe interval short of it.
 *
 * Nothing is measured until the first probe since the reader started (or woke from idle)
 * is read: what queued while nobody read (a warm-up, a worker taking over from a dead
 * reader) is a backlog the reader drains at once, not a reader falling behind.
 *
 * A probe is 20 bytes: 0x00 and "DSQ" (no SIP message, CRLF keepalive or STUN header starts
 * so), a random 8-byte nonce of this process, the send time. One with another nonce (sent by
 * a reader that has since died) is consumed and ignored. Probes go out only while datagrams
 * arrive: an idle reader does not wake for them.
 */
import { monotonicMs } from '../core/clock';
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';

/** How often a probe goes out while datagrams arrive. */
export const PROBE_MS = 25;
const PROBE_LEN = 20;
/** Probes in the queue at most: 64 × 25 ms is well past any wait worth measuring finely. */
const MAX_OUTSTANDING = 64;

export class QueueWaitProbe {
  private readonly nonce = randomBytes(8);
  /** Send times of the probes sent and not yet read, oldest first. */
  private readonly outstanding: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private sawTraffic = false;
  private lastSend = -Infinity;
  /** A probe of this round of reading was read: the backlog before it is drained. */
  private armed = false;
  private reading = false;
  /** Probes sent and read, and the last one's wait (ms; 0 once idle). */
  readonly stats = { sent: 0, read: 0, lastWait: 0 };

  /** A probe could not be sent (a firewall on the loopback path): this socket is not measured. */
  private broken = false;

  /**
   * `sendProbe` sends to the socket itself and calls `done` with the send's outcome; a
   * failure turns the probe off for good (`onFail` is told once), rather than a failed
   * send 40 times a second.
   */
  constructor(
    private readonly sendProbe: (buf: Buffer, done: (err: Error | null) => void) => void,
    private readonly clock: () => number = monotonicMs,
    private readonly onFail: (e: Error) => void = () => undefined,
  ) {}

  /** True when `buf` (just read) is a probe: it is consumed, never parsed as SIP. */
  take(buf: Buffer): boolean {
    if (buf.length !== PROBE_LEN || buf[0] !== 0 || buf[1] !== 0x44 || buf[2] !== 0x53 || buf[3] !== 0x51) {
      if (this.reading) this.traffic();
      return false;
    }
    if (!this.nonce.equals(buf.subarray(4, 12))) return true;
    const sent = buf.readDoubleLE(12);
    const q = this.outstanding;
    // probes lost to a full buffer are older than this one: they will never be read
    while (q.length > 0 && q[0]! <= sent) q.shift();
    this.armed = true;
    this.stats.read++;
    this.stats.lastWait = this.clock() - sent;
    return true;
  }

  /**
   * A lower bound (ms) of how long the datagram read now waited: the age of the oldest probe
   * not yet read; 0 when none is queued (the reader is at most one probe interval behind).
   */
  wait(): number {
    const q = this.outstanding;
    return q.length === 0 || !this.armed ? 0 : this.clock() - q[0]!;
  }

  /** The socket is read (true) or no longer read by this process (false). */
  setReading(on: boolean): void {
    if (this.broken) on = false;
    if (on === this.reading) return;
    this.reading = on;
    this.sawTraffic = false;
    this.forget();
    if (!on) this.sleep();
  }

  close(): void {
    this.setReading(false);
  }

  private readonly sent = (err: Error | null): void => {
    if (err === null || this.broken) return;
    this.broken = true;
    this.setReading(false);
    this.onFail(err);
  };

  /**
   * A datagram was read. The probe goes out from here as well as from the timer: libuv reads
   * up to 32 datagrams in one go, and a reader held back by each of them runs no timer
   * between them.
   */
  private traffic(): void {
    this.sawTraffic = true;
    if (this.clock() - this.lastSend >= PROBE_MS) this.send();
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), PROBE_MS);
    this.timer.unref();
  }

  /** Nothing queued is known any more: measure again from the next probe read. */
  private forget(): void {
    this.outstanding.length = 0;
    this.armed = false;
    this.stats.lastWait = 0;
  }

  private sleep(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    if (!this.sawTraffic) {
      // nothing arrived for a whole interval, so nothing is queued: a probe still
      // counted as outstanding was lost, and an idle reader stops probing
      this.forget();
      this.sleep();
      return;
    }
    this.sawTraffic = false;
    if (this.clock() - this.lastSend >= PROBE_MS) this.send();
  }

  private send(): void {
    if (this.outstanding.length >= MAX_OUTSTANDING) return;
    const now = this.clock();
    const buf = Buffer.allocUnsafe(PROBE_LEN);
    buf[0] = 0;
    buf.write('DSQ', 1, 'latin1');
    this.nonce.copy(buf, 4);
    buf.writeDoubleLE(now, 12);
    this.outstanding.push(now);
    this.lastSend = now;
    this.stats.sent++;
    try {
      this.sendProbe(buf, this.sent);
    } catch (e) {
      this.sent(e as Error);
    }
  }
}

/**
 * A probe of a bound dgram socket's own queue: it sends to the socket's own address (the
 * loopback one for a wildcard bind). The caller says when the socket is read (setReading).
 */
export function probeOwnQueue(sock: dgram.Socket, onFail: (e: Error) => void): QueueWaitProbe {
  const self = sock.address();
  const to = ownAddress(self.address);
  return new QueueWaitProbe((b, done) => sock.send(b, self.port, to, (e) => done(e ?? null)), undefined, onFail);
}

/** The address a socket bound to `ip` reaches itself on: the loopback one for a wildcard bind. */
export function ownAddress(ip: string): string {
  return ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
}
