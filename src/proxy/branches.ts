/**
 * The branches of a proxy transaction and what tm keeps beside each client transaction:
 * its local status (477 when it could not be sent, 487 when cancelled before any reply),
 * whether its reply still counts for the best reply (tm's failure_reply_mode), the CANCEL
 * bookkeeping, and the next DNS targets of its hop. Which outcomes count is decided here;
 * what to do with them is proxy-txn.ts's.
 */
import type { SipMessage } from '../sip/message';
import type { EditList } from '../sip/editor';
import type { ClientTxn } from '../transaction/client';
import type { LocalSocket, Target } from '../transport/types';
import type { BranchOutcome } from './best';

/** Another address of the same hop (the next SRV target, or the next A record). */
export interface NextTarget {
  readonly target: Target;
  readonly out: LocalSocket;
}

export interface BranchExtra {
  cancelWanted: boolean;
  cancelSent: boolean;
  localStatus: number;
  /** Its reply no longer counts for the best reply (tm's failure_reply_mode). */
  dropped: boolean;
  /** First branch of a serial step (the relay of request_route or of one failure_route). */
  stepStart: boolean;
  /** The branch's R-URI, and the next DNS targets of its hop (RFC 3263 failover). */
  ruri: string;
  alts: readonly NextTarget[];
  /** The branch's lumps (its branch_route's edits, or the request's). */
  edits: EditList;
}

export class Branches {
  /** Client transactions in the order they were started; a branch's index is its place here. */
  readonly list: ClientTxn[] = [];
  private readonly extra: BranchExtra[] = [];
  /** Labels errors. */
  constructor(private readonly txnId: number) {}

  get length(): number {
    return this.list.length;
  }

  add(ct: ClientTxn, ruri: string, alts: readonly NextTarget[], edits: EditList): void {
    this.extra.push({
      cancelWanted: false,
      cancelSent: false,
      localStatus: 0,
      dropped: false,
      stepStart: this.list.length === 0,
      ruri,
      alts,
      edits,
    });
    this.list.push(ct);
  }

  /** Branch i's bookkeeping: `extra` grows with `list`, so an index of one is one of the other. */
  ex(i: number): BranchExtra {
    const ex = this.extra[i];
    if (ex === undefined) throw new RangeError(`proxy transaction ${this.txnId}: no branch ${i}`);
    return ex;
  }

  /** R-URI of branch i, or null. */
  ruri(i: number): string | null {
    return this.extra[i]?.ruri ?? null;
  }

  /** True once the branch has a final outcome: a reply, a timeout, or one of ours. */
  done(ct: ClientTxn): boolean {
    return ct.finalReply !== null || ct.timedOut || this.ex(ct.index).localStatus !== 0;
  }

  outcome(ct: ClientTxn): BranchOutcome | null {
    if (ct.finalReply) return { status: ct.finalReply.status, local: false };
    if (ct.timedOut) return { status: 408, local: true };
    const local = this.ex(ct.index).localStatus;
    if (local) return { status: local, local: true };
    return null;
  }

  /** The outcome that still counts for the best reply: none once dropped. */
  counted(ct: ClientTxn): BranchOutcome | null {
    return this.ex(ct.index).dropped ? null : this.outcome(ct);
  }

  /** Every branch's counted outcome, in order. */
  countedOutcomes(): Array<BranchOutcome | null> {
    return this.list.map((ct) => this.counted(ct));
  }

  /** Every branch's final reply while it counts, in order. */
  countedReplies(): Array<SipMessage | null> {
    return this.list.map((ct) => (this.ex(ct.index).dropped ? null : ct.finalReply));
  }

  /** Some branch has no outcome yet. */
  pending(): boolean {
    for (const ct of this.list) if (!this.done(ct)) return true;
    return false;
  }

  /**
   * After failure_route: which earlier replies stop counting (Kamailio's t_should_relay_response
   * with failure_reply_mode); `before` is the number of branches before the route ran.
   * Returns false when nothing is left to answer with.
   */
  dropReplies(before: number, mode: number): boolean {
    const added = this.list.length > before;
    if (added) this.ex(before).stepStart = true;
    if (mode === 0 || (mode === 3 && !added)) return true;
    let from = 0;
    if (mode === 2) {
      for (let i = before - 1; i >= 0; i--)
        if (this.ex(i).stepStart) {
          from = i;
          break;
        }
    }
    for (let i = from; i < before; i++) this.ex(i).dropped = true;
    return added;
  }
}
