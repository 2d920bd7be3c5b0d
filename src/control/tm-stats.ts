// tm.stats: the transaction layer hands over its counters through TmStatsProvider; the result
// carries Kamailio's field names in Kamailio's order.
import { TM_STATS_KEYS, type TmStatsResult } from '../rpc-api/results';

export interface TmCounters {
  /** Transactions in memory now. */
  readonly current: number;
  /** Transactions waiting for deletion (wait timer). */
  readonly waiting: number;
  /** Transactions created since start (server + local). */
  readonly total: number;
  /** Locally generated (UAC) transactions since start. */
  readonly totalLocal: number;
  readonly replyReceived: number;
  /** Replies generated locally (t_reply / sl through tm). */
  readonly replyGenerated: number;
  /** Replies sent upstream (relayed + generated). */
  readonly replySent: number;
  /** Final replies sent, by class. */
  readonly replies6xx: number;
  readonly replies5xx: number;
  readonly replies4xx: number;
  readonly replies3xx: number;
  readonly replies2xx: number;
  readonly created: number;
  readonly freed: number;
  readonly delayedFree: number;
}

export interface TmStatsProvider {
  /** A consistent snapshot of the counters; called once per tm.stats request. */
  snapshot(): TmCounters;
}

export function tmStatsResult(c: TmCounters): TmStatsResult {
  const values: Record<(typeof TM_STATS_KEYS)[number], number> = {
    current: c.current,
    waiting: c.waiting,
    total: c.total,
    total_local: c.totalLocal,
    rpl_received: c.replyReceived,
    rpl_generated: c.replyGenerated,
    rpl_sent: c.replySent,
    '6xx': c.replies6xx,
    '5xx': c.replies5xx,
    '4xx': c.replies4xx,
    '3xx': c.replies3xx,
    '2xx': c.replies2xx,
    created: c.created,
    freed: c.freed,
    delayed_free: c.delayedFree,
  };
  // The key order of the JSON object is the order kamcmd prints: take it from the one list.
  const out = {} as TmStatsResult;
  for (const k of TM_STATS_KEYS) out[k] = values[k];
  return out;
}
