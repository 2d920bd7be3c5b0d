/**
 * Which worker owns a message: every message of a transaction and of its dialog carries
 * the same Call-ID, so hashing the Call-ID puts the INVITE, its retransmissions, CANCEL,
 * ACK, every reply of every branch, and the in-dialog BYE in one worker. While a worker
 * is down (or still warming up) its share goes to the live ones, spread by the same hash;
 * everybody else's share never moves.
 */
import { fnv1a } from '../proxy/hash';

export class Affinity {
  /** live[i]: worker i takes traffic. */
  private live: boolean[];
  private liveList: number[] = [];

  constructor(readonly count: number) {
    this.live = new Array<boolean>(count).fill(false);
  }

  setLive(indexes: readonly number[]): void {
    this.live = new Array<boolean>(this.count).fill(false);
    for (const i of indexes) if (i >= 0 && i < this.count) this.live[i] = true;
    this.liveList = [...new Set(indexes)].filter((i) => i >= 0 && i < this.count).sort((a, b) => a - b);
  }

  isLive(index: number): boolean {
    return this.live[index] === true;
  }

  /** The owner with every worker up: what locally generated Call-IDs are chosen for. */
  home(callId: string): number {
    return fnv1a(callId) % this.count;
  }

  /** The worker that handles `callId` now; `self` when nobody is live yet. */
  owner(callId: string, self: number): number {
    return this.ownerOfHash(fnv1a(callId), self);
  }

  /** `owner` for a Call-ID already hashed with fnv1a. */
  ownerOfHash(h: number, self: number): number {
    const o = h % this.count;
    if (this.live[o]) return o;
    const n = this.liveList.length;
    return this.liveList[h % n] ?? self;
  }
}
