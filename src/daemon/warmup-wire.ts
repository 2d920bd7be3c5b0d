/**
 * What the warm-up's synthetic calls travel on (warmup.ts, warmup-calls.ts): the warm core
 * sends into `queue`, and the driver hands the core what a caller or a destination sends.
 *
 * With native/udpio the wire is a loop twin of the real transport layer (layer.ts,
 * loopTwin()): the same class, the same listen sockets, each UDP one a loop reader of the
 * module with no socket behind it. A datagram the driver hands it is copied and delivered
 * by the module exactly as one read from a socket (the native batch callback, the
 * socket's datagram handler with its queue-wait probe, the layer's delivery), and what the
 * core sends goes through the layer's send and the module's own send before it reaches the
 * queue. V8 optimises that code on the real classes during the warm-up, so the first real
 * datagram finds it ready instead of throwing it away ("wrong map") and compiling it again
 * under load (bench/PROFILE.md, session 17). Nothing goes on the wire.
 *
 * Without the module (DSD_UDP_NATIVE=0, not Linux, not built) the wire is MemoryTransport,
 * an in-memory transport of the warm-up's own.
 */
import v8 from 'node:v8';
import type { LocalSocket, Proto, Source, Target, Transport, TransportEvents } from '../transport/types';
import type { TransportLayer } from '../transport/layer';

export interface WarmWire {
  /** The warm core's transport. */
  readonly transport: Transport;
  /** Its listen sockets (callers and destinations are placed on them). */
  readonly sockets: readonly LocalSocket[];
  /** What the core sent, oldest first; the driver takes from the front. */
  readonly queue: Array<{ target: Target; buf: Buffer }>;
  /** A datagram from `src` (UDP), read as the network would deliver it. */
  datagram(buf: Buffer, src: Source): void;
  /** A stream message (TCP/TLS after framing, or a WebSocket message) from `src`. */
  message(buf: Buffer, src: Source): void;
}

/**
 * `buf`'s bytes in a Buffer made by node's C++ side, as a socket delivers them. Such a
 * Buffer gets its prototype after it is made, so its hidden class is not that of a Buffer
 * made in JavaScript; code V8 optimised on the latter alone is thrown away ("wrong map")
 * at the first real datagram or TCP chunk. v8.Serializer's buffer is made the same way.
 */
export function nativeCopy(buf: Buffer): Buffer {
  const s = new v8.Serializer();
  s.writeRawBytes(buf);
  return s.releaseBuffer();
}

/** Sends nothing: keeps what the core hands it until the driver takes it. */
class MemoryTransport implements Transport {
  readonly queue: Array<{ target: Target; buf: Buffer }> = [];
  private events: TransportEvents | null = null;
  private open = true;

  constructor(
    readonly sockets: readonly LocalSocket[],
    private readonly pick: (proto: Proto, family: 4 | 6) => LocalSocket | null,
  ) {}

  async start(events: TransportEvents): Promise<void> {
    this.events = events;
  }

  send(target: Target, buf: Buffer): boolean {
    if (this.open) this.queue.push({ target, buf });
    return true;
  }

  selectSocket(proto: Proto, family: 4 | 6): LocalSocket | null {
    return this.pick(proto, family);
  }

  async close(): Promise<void> {
    this.open = false;
    this.queue.length = 0;
    this.events = null;
  }

  deliver(buf: Buffer, src: Source): void {
    this.events?.onMessage(buf, src);
  }
}

/** One datagram in this many (minus one; a power of two) is delivered through a hold. */
const HOLD_EVERY = 63;

/** The loop twin of `real` as the warm-up's wire, or the in-memory one without native/udpio. */
export function warmWire(real: TransportLayer): WarmWire {
  const queue: Array<{ target: Target; buf: Buffer }> = [];
  const twin = real.loopTwin({ sent: (target, buf) => void queue.push({ target, buf }) });
  if (twin === null) return memoryWire(real);
  const events = twin.pluggedEvents();
  let n = 0;
  return {
    transport: twin,
    sockets: twin.sockets,
    queue,
    datagram(buf, src) {
      // now and then one arrives while the layer holds what comes in and is run at release,
      // as the first datagrams after the warm-up while idle are (inbound-hold.ts)
      const held = (n++ & HOLD_EVERY) === HOLD_EVERY;
      if (held) {
        twin.inbound.hold(() => undefined);
        // and the queue-wait probes start over, as after an idle spell (their timer is made again)
        twin.receiveUdp(false);
        twin.receiveUdp(true);
      }
      if (!twin.inject(src.local, buf, src.ip, src.port)) events.onMessage(nativeCopy(buf), src);
      if (held) twin.inbound.release();
    },
    message(buf, src) {
      events.onMessage(buf, src);
    },
  };
}

function memoryWire(real: TransportLayer): WarmWire {
  const mem = new MemoryTransport(real.sockets, (p, f) => real.selectSocket(p, f));
  return {
    transport: mem,
    sockets: real.sockets,
    queue: mem.queue,
    datagram(buf, src) {
      mem.deliver(nativeCopy(buf), src);
    },
    message(buf, src) {
      mem.deliver(buf, src);
    },
  };
}
