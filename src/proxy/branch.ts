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
function makeBranch(loop: string, unique: string, idx: number): string {
  return [DSD_BRANCH + loop, unique, idx].join('.');
}

/** Branch ids of one process: a boot-unique prefix so ids never repeat across restarts. */
export class BranchIds {
  private readonly boot = Math.floor(Math.random() * 36 ** 6).toString(36);
  private nextTxnId = 1;

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
    return makeBranch(lh, `${this.boot}${txnId.toString(36)}`, idx);
  }
}
