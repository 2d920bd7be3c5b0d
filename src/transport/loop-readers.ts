/**
 * The UDP side of a loop twin (layer.ts loopTwin(), for the warm-up): per UDP listen
 * socket a loop reader of native/udpio (udp-native.ts: no socket behind it) with the
 * socket's datagram sink and queue-wait probe, as bindUdpListener() makes them for a
 * bound socket. What the layer sends through one goes to `sent`; inject() hands one a
 * datagram as if it were read from the network, then the probes that reading sent itself.
 */
import type { LocalSocket, Source, Target } from './types';
import { NativeUdp } from './udp-native';
import { DatagramSink } from './udp-listen';
import { QueueWaitProbe, ownAddress } from './queue-wait';

/** Where a loop twin's sends go (layer.ts). */
export interface LoopOptions {
  sent(target: Target, buf: Buffer): void;
}

export class LoopReaders {
  /** By listen socket id: the reader and its probe (the layer sends and times through them). */
  readonly byId = new Map<number, { nat: NativeUdp; probe: QueueWaitProbe }>();
  /** Probes sent and not yet handed back, oldest first. */
  private readonly probes: Array<{ local: LocalSocket; buf: Buffer }> = [];

  constructor(
    sockets: readonly LocalSocket[],
    to: { accept(buf: Buffer, src: Source): void },
    log: { debug(msg: string): void },
    loop: LoopOptions,
  ) {
    for (const local of sockets) {
      if (local.proto !== 'udp') continue;
      const probe = new QueueWaitProbe((buf, done) => {
        this.probes.push({ local, buf });
        done(null);
      });
      const nat = NativeUdp.loop(
        new DatagramSink(local, probe, to),
        (e) => log.debug(`warm-up datagram on ${local.text}: ${String(e)}`),
        (buf, port, ip) => loop.sent({ proto: 'udp', ip, port, local }, buf),
      );
      if (!nat) continue;
      probe.setReading(true);
      nat.setReading(true);
      this.byId.set(local.id, { nat, probe });
    }
  }

  /** `buf` read on `local` from ip:port, then the probes; false when `local` has no loop reader. */
  inject(local: LocalSocket, buf: Buffer, ip: string, port: number): boolean {
    const r = this.byId.get(local.id);
    if (r === undefined) return false;
    r.nat.inject(buf, ip, port, local.family);
    // a probe comes from the socket's own address, as probeOwnQueue() sends it
    for (let p = this.probes.shift(); p !== undefined; p = this.probes.shift())
      this.byId.get(p.local.id)?.nat.inject(p.buf, ownAddress(p.local.ip), p.local.port, p.local.family);
    return true;
  }
}
