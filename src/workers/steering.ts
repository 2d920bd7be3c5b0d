/**
 * Where a message this worker read goes (ProxyCore.steer): kept here, or handed to the
 * worker that owns its call. A request of a call in progress follows the call's record
 * (placement.ts) or its Call-ID hash (affinity.ts); a new call is placed by the reader; a
 * reply goes to the worker our Via branch names.
 *
 * A class with a method rather than a closure, so that the warm-up can run the very same
 * code on its own core (warmSteering(), daemon/warmup.ts): with this worker alone live
 * every message stays here, through all of steer() but the hand-over, and V8's code for
 * it and for the core's call of it fits the real steering at the first real message.
 */
import type { CoreSteer, ProxyCore } from '../proxy/core';
import type { QueueShed } from '../proxy/queue-shed';
import type { TmConfig } from '../transaction/config';
import type { SipMessage } from '../sip/message';
import type { Source } from '../transport/types';
import { Affinity } from './affinity';
import { Placement } from './placement';
import { branchWorker } from '../proxy/branch';
import { fnv1a } from '../proxy/hash';
import { KIND_MESSAGE, type HandoffAddr } from './handoff';

/** Longer than any silence inside a transaction: fr_inv_timer (or fr_timer), then 64*T1 of retransmissions. */
function recordTtlSec(tm: Pick<TmConfig, 'frTimer' | 'frInvTimer' | 't1' | 'wtTimer'>): number {
  const ms = Math.max(tm.frTimer, tm.frInvTimer) + 64 * tm.t1 + tm.wtTimer;
  return Math.max(180, Math.ceil(ms / 1000));
}

/** DSD_UDP_READERS=all: every ready worker reads (a measuring mode; README, design notes). */
export function allWorkersRead(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DSD_UDP_READERS === 'all';
}

/** children_pack as it applies: 0 (every call by hash) when every worker reads. */
export function readersPack(childrenPack: number): number {
  return allWorkersRead() ? 0 : childrenPack;
}

/** The reader's placement table for worker `self` of `count`, or null when every call goes by hash. */
export function placementFor(
  self: number,
  count: number,
  packPercent: number,
  core: ProxyCore,
  warm?: { keep: number; slots: number },
): Placement | null {
  // a table entry holds a worker index in a byte (placement.ts)
  const pack = count > 254 ? 0 : packPercent;
  const ttlSec = recordTtlSec(core.tmConfig);
  return pack > 0 ? new Placement({ self, packPercent: pack, ttlSec, keep: warm?.keep, slots: warm?.slots }) : null;
}

/** Sends a message on to another worker (handoff.ts). */
export interface HandOver {
  send(index: number, kind: number, addr: HandoffAddr, payload: Buffer): boolean;
}

export class CallSteering implements CoreSteer {
  constructor(
    private readonly index: number,
    private readonly count: number,
    private readonly affinity: Affinity,
    private readonly placement: Placement | null,
    private readonly shed: QueueShed,
    private readonly handover: HandOver | null,
  ) {}

  /** True when the message went to another worker; false: this one handles it. */
  steer(msg: SipMessage, buf: Buffer, src: Source): boolean {
    const callId = msg.callId;
    if (callId.length === 0) return false;
    const h = fnv1a(callId);
    const byHash = this.affinity.ownerOfHash(h, this.index);
    let o = byHash;
    if (!msg.isRequest) {
      // our branch names the worker that sent the request; keepalives and old branches go by hash
      const w = branchWorker(msg.vias[0]?.branch);
      if (w >= 0 && w < this.count && this.affinity.isLive(w)) o = w;
      this.placement?.touch(h, o);
    } else if (this.placement !== null) {
      const initial = msg.method !== 'ACK' && msg.method !== 'CANCEL' && !msg.to?.tag;
      // a new call read late is answered 503 here (queue-shed.ts), not placed: only the
      // reader knows how long it waited
      if (initial && !this.placement.has(h, this.affinity) && this.shed.overdue(src)) return false;
      o = this.placement.request(h, initial, byHash, this.affinity);
    }
    // both read on every message, the warm-up's steering (no handover) included
    const mine = o === this.index;
    if (mine || this.handover === null) return false;
    // only a request can be shed by the worker it goes to
    const waited = msg.isRequest ? this.shed.waitOf(src) : 0;
    return this.handover.send(
      o,
      KIND_MESSAGE,
      { proto: src.proto, localId: src.local.id, ip: src.ip, port: src.port, waited },
      buf,
    );
  }
}

/** The warm-up's placement table: a kept share below 1, and 4096 slots instead of a million (5 MB). */
const WARM_TABLE = { keep: 0.95, slots: 4096 };

/**
 * The warm-up's steering for its own core in worker `index` of `count`: the same class,
 * with this worker the only one live and a placement table of its own, so every message
 * stays on the warm core. The core's branches name the worker, as the real core's do.
 */
export function warmSteering(index: number, count: number, packPercent: number, core: ProxyCore): CallSteering {
  const affinity = new Affinity(count);
  affinity.setLive([index]);
  core.setWorker(index);
  // a kept share below 1, as a loaded reader's: the calls not kept go by hash, here too
  // (to this worker, the only live one)
  const placement = placementFor(index, count, packPercent, core, WARM_TABLE);
  return new CallSteering(index, count, affinity, placement, core.queueShed, null);
}
