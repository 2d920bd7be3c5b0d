/**
 * One UDP listen socket, bound: node's dgram binds and owns it; native/udpio reads and
 * writes it when the module is there (udp-native.ts), dgram otherwise; its receive buffer
 * is sized as Kamailio sizes it (rcvbuf.ts) and its queue is timed (queue-wait.ts).
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import type { LocalSocket, Source } from './types';
import { probeReceiveBuffer } from './rcvbuf';
import { probeOwnQueue, type QueueWaitProbe } from './queue-wait';
import { setReceiving } from './udp-receiving';
import { type NativeUdp, readDatagrams, loadUdpio } from './udp-native';

/**
 * dgram's address lookup for every send(). Node's default (dns.lookup) answers an IP
 * literal on the next tick: a closure, a tick-queue entry and an async-hooks scope per
 * datagram, ~2.5–5 µs of CPU each on the project VM (bench/PROFILE.md, session 4). The
 * transport sends to IP literals only, so the answer comes at once; a host name still
 * goes to dns.lookup.
 */
function literalLookup(
  host: string,
  opts: dns.LookupOneOptions | number,
  cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(host);
  if (family !== 0) cb(null, host, family);
  else dns.lookup(host, typeof opts === 'number' ? { family: opts } : opts, cb);
}

export interface UdpListener {
  sock: dgram.Socket;
  /** How long what is read now waited in the socket's queue. */
  probe: QueueWaitProbe;
  /** The native reader and sender; null: dgram reads and sends. */
  nat: NativeUdp | null;
}

export interface UdpListenOptions {
  /** The maxbuffer global: the most the receive buffer is raised to. */
  maxBuffer: number;
  /** false: bound but not read until the layer's receiveUdp() (one worker reads). */
  reading: boolean;
  log: { warn(msg: string): void; info(msg: string): void };
  /** Takes every datagram read that is not a probe (the transport layer). */
  to: { accept(buf: Buffer, src: Source): void };
}

/**
 * What a UDP listen socket does with each datagram read: a queue-wait probe is consumed,
 * anything else goes on to the transport layer with where it came from. An object with a
 * method rather than a closure, one class for the bound sockets and the warm-up's loop
 * readers (layer.ts, loopTwin()): V8's code at the reader's call checks the method, which
 * all of them share, where a closure made per socket would be another target.
 */
export class DatagramSink {
  constructor(
    private readonly local: LocalSocket,
    private readonly probe: QueueWaitProbe,
    private readonly to: { accept(buf: Buffer, src: Source): void },
  ) {}

  datagram(buf: Buffer, ip: string, port: number): void {
    if (this.probe.take(buf)) return;
    this.to.accept(buf, { proto: 'udp', ip, port, local: this.local });
  }
}

export function bindUdpListener(local: LocalSocket, o: UdpListenOptions): Promise<UdpListener> {
  const sock = dgram.createSocket({
    type: local.family === 6 ? 'udp6' : 'udp4',
    reuseAddr: false,
    lookup: literalLookup as dgram.SocketOptions['lookup'],
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(local.port, local.ip, () => {
      sock.removeListener('error', reject);
      sock.on('error', (e) => o.log.warn(`udp socket ${local.text}: ${e.message}`));
      try {
        sock.setSendBufferSize(4 * 1024 * 1024);
      } catch {
        /* the kernel may cap it; the default still works */
      }
      const rb = probeReceiveBuffer(sock, o.maxBuffer);
      const probe = probeOwnQueue(sock, (e) =>
        o.log.warn(
          `udp socket ${local.text}: cannot send itself the queue-wait probe (${e.message}); tm max_queue_wait does not apply to it`,
        ),
      );
      probe.setReading(o.reading);
      const nat = readDatagrams(
        sock,
        new DatagramSink(local, probe, o.to),
        (e) => o.log.warn(`udp socket ${local.text}: a datagram's handling failed: ${(e as Error).stack ?? String(e)}`),
        o.reading,
      );
      if (!nat && !o.reading && !setReceiving(sock, false)) {
        o.log.warn(`udp socket ${local.text}: cannot hold reading until the worker is ready`);
      }
      const io = nat ? 'recvmmsg/sendto (native/udpio)' : `node's dgram (${loadUdpio().why || 'no descriptor'})`;
      o.log.info(
        `udp socket ${local.text}: SO_RCVBUF is initially ${rb.initial}, finally ${rb.final}; read and written with ${io}`,
      );
      resolve({ sock, probe, nat });
    });
  });
}
