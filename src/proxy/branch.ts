/**
 * Our Via branch ids (RFC 3261 §16.6 step 8). A branch is `z9hG4bKdsd<loop hash>.<unique>`:
 * the loop hash covers what a looping request keeps unchanged (R-URI as received, Call-ID,
 * CSeq number, From/To tags). Like Kamailio's core, dsd does not refuse a request that
 * comes back to it (no automatic 482): a loop ends where the script's
 * mf_process_maxfwd_header says so (483), as test/e2e/oracle-transactions shows.
 */
import type { SipMessage } from '../sip/message';
import { MAGIC_COOKIE } from '../sip/via';
import { fnv1a } from './hash';

/** Every branch dsd writes starts with this (requests, keepalives, event fakes). */
export const DSD_BRANCH = `${MAGIC_COOKIE}dsd`;

function loopHash(msg: SipMessage): string {
  const cseq = msg.cseq;
  const key = `${msg.ruri}\n${msg.callId}\n${cseq ? cseq.seq : ''}\n${msg.from?.tag ?? ''}\n${msg.to?.tag ?? ''}`;
  return fnv1a(key).toString(16).padStart(8, '0');
}

/** One flat string (join, not a template: see transaction/keys.ts), kept by the client transaction. */
function makeBranch(head: string, loop: string, unique: string, idx: number): string {
  return [head + loop, unique, idx].join('.');
}

const WORKER_MARK = 0x77; // 'w': never the first character of a loop hash (hex), "ping" or "event"

/**
 * The worker a reply belongs to, when our branch carries one (`z9hG4bKdsdw<k>-…`, written
 * with children > 1); -1 otherwise.
 */
export function branchWorker(branch: string | null | undefined): number {
  if (!branch || branch.charCodeAt(DSD_BRANCH.length) !== WORKER_MARK || !branch.startsWith(DSD_BRANCH)) return -1;
  let n = 0;
  let i = DSD_BRANCH.length + 1;
  const start = i;
  for (; i < branch.length && i < start + 3; i++) {
    const c = branch.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return i > start && branch.charCodeAt(i) === 0x2d ? n : -1;
}

/** Branch ids of one process: a boot-unique prefix so ids never repeat across restarts. */
export class BranchIds {
  private readonly boot = Math.floor(Math.random() * 36 ** 6).toString(36);
  private nextTxnId = 1;
  /** DSD_BRANCH, then `w<k>-` in worker k of several: its replies are handed straight to it. */
  private head = DSD_BRANCH;

  setWorker(index: number): void {
    this.head = `${DSD_BRANCH}w${index}-`;
  }

  /** A fresh transaction number (the unique part of its branches). */
  nextTxn(): number {
    return this.nextTxnId++;
  }

  /** Branch `idx` of transaction `txnId` for the request `msg` (its loop hash cached in `loop`). */
  make(msg: SipMessage, loop: { loopHash: string | null }, txnId: number, idx: number): string {
    let lh = loop.loopHash;
    if (lh === null) {
      lh = loopHash(msg);
      loop.loopHash = lh;
    }
    return makeBranch(this.head, lh, `${this.boot}${txnId.toString(36)}`, idx);
  }
}
