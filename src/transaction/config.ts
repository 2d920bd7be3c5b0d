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
}

export const TM_DEFAULTS: TmConfig = {
  t1: 500,
  t2: 4000,
  t4: 5000,
  frTimer: 30000,
  frInvTimer: 120000,
  wtTimer: 5000,
};
