/**
 * What a transaction uses of the layer that holds it — its settings, its counters, the
 * transport — so client.ts and server.ts need not import layer.ts, which creates them.
 */
import type { Target } from '../transport/types';
import type { TmConfig } from './config';
import type { TimerWheel } from './timer';
import type { ReplyArena } from './reply-arena';

/** The one thing transactions need of the transport. */
export interface Sender {
  send(target: Target, buf: Buffer): boolean;
}

export interface TmStats {
  current: number;
  waiting: number;
  total: number;
  totalLocal: number;
  rplReceived: number;
  rplGenerated: number;
  rplSent: number;
  /** Replies sent by class, 1xx to 6xx at indexes 1 to 6 (index 0 unused). */
  byClass: [number, number, number, number, number, number, number];
  created: number;
  freed: number;
}

export interface TxnHost {
  readonly cfg: TmConfig;
  readonly stats: TmStats;
  /** Whole `Server: …` line of replies generated here; none when null. */
  readonly serverHeader: string | null;
  /** Every timer of the layer's transactions. */
  readonly timers: TimerWheel;
  /** Where replies kept for retransmissions over UDP are copied (reply-arena.ts). */
  readonly replies: ReplyArena;
  send(target: Target, buf: Buffer): boolean;
}
