/** tm timer settings, in milliseconds, with Kamailio's defaults (modparam "tm"). */
export interface TmConfig {
  /** RFC 3261 T1: first retransmission interval (tm `retr_timer1`). */
  t1: number;
  /** RFC 3261 T2: retransmission interval cap (tm `retr_timer2`). */
  t2: number;
  /** RFC 3261 T4: how long a completed UDP transaction absorbs retransmissions. */
  t4: number;
  /** No reply at all within this → local 408 (tm `fr_timer`). */
  frTimer: number;
  /** After a provisional reply to an INVITE, no final within this → 408 (tm `fr_inv_timer`). */
  frInvTimer: number;
  /** How long a finished transaction lingers to absorb retransmissions (tm `wt_timer`). */
  wtTimer: number;
  /**
   * tm `failure_reply_mode`: which replies still count once failure_route ran. 0 all;
   * 1 none of the earlier ones; 2 not those of the last serial step; 3 (default) none of
   * the earlier ones when the route added a branch, all of them when it did not.
   */
  failureReplyMode: number;
  /** tm `remap_503_500`: a 503 is never relayed; a 500 goes upstream instead (RFC 3261 §16.7). */
  remap503: boolean;
  /** tm `aggregate_challenges`: the 401/407 of several branches go up as one reply with every challenge. */
  aggregateChallenges: boolean;
}

export const TM_DEFAULTS: TmConfig = {
  t1: 500,
  t2: 4000,
  t4: 5000,
  frTimer: 30000,
  frInvTimer: 120000,
  wtTimer: 5000,
  failureReplyMode: 3,
  remap503: true,
  aggregateChallenges: true,
};
