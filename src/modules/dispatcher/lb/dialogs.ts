/**
 * Active dialogs per destination, for every algorithm (dispatcher.drain --wait and the
 * status page): a dialog starts when a 2xx to an INVITE comes back from a destination
 * and ends with the final reply to a BYE of the same Call-ID, or after ds_hash_expire
 * seconds (the same expiry as algorithm 10's call-load table).
 */
import { destKey } from './keys';
import { ChurnTable } from '../../../core/churn-table';

interface Dialog {
  readonly keys: readonly string[];
  expireMs: number;
}

/** Bound so that a flood of unanswered dialogs cannot grow the table without limit. */
const MAX_DIALOGS = 200_000;

export class DialogTracker {
  // one in and one out per call: a Map would keep ended calls alive (core/churn-table.ts)
  private readonly byCallId = new ChurnTable<Dialog>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly expireSec: () => number) {}

  get size(): number {
    return this.byCallId.size;
  }

  /** An INVITE 2xx from these destinations (set, uri) pairs. */
  confirmed(callId: string, dests: ReadonlyArray<{ setId: number; uri: string }>, nowMs: number): void {
    if (dests.length === 0) return;
    const exp = nowMs + this.expireSec() * 1000;
    const known = this.byCallId.get(callId);
    if (known !== undefined) {
      known.expireMs = exp;
      return;
    }
    if (this.byCallId.size >= MAX_DIALOGS) return;
    const keys = dests.map((d) => destKey(d.setId, d.uri));
    // the Call-ID is a slice of the INVITE as received: a copy of its own, so a dialog
    // does not keep the whole message text alive for as long as the call lasts
    this.byCallId.set((' ' + callId).slice(1), { keys, expireMs: exp });
    for (const k of keys) this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  /** BYE done (any final reply). */
  ended(callId: string): void {
    const d = this.byCallId.get(callId);
    if (d === undefined) return;
    this.byCallId.delete(callId);
    for (const k of d.keys) {
      const n = (this.counts.get(k) ?? 1) - 1;
      if (n <= 0) this.counts.delete(k);
      else this.counts.set(k, n);
    }
  }

  count(setId: number, uri: string): number {
    return this.counts.get(destKey(setId, uri)) ?? 0;
  }

  sweep(nowMs: number): number {
    const gone: string[] = [];
    for (const [cid, d] of this.byCallId.entries()) if (d.expireMs <= nowMs) gone.push(cid);
    for (const cid of gone) this.ended(cid);
    return gone.length;
  }
}
