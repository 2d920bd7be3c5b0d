/**
 * Messages between the primary and its SIP workers over node:cluster's IPC channel
 * (JSON). SIP messages never take this path: they go worker to worker over the handoff
 * sockets (handoff.ts). This carries what is rare or small: start-up, the live-worker
 * table, control-socket calls, and the dispatcher replica's state and call-load updates.
 */
import type { LatencyStats } from '../modules/dispatcher/model';

/** Environment variable carrying a worker's index (0 … children-1). */
export const WORKER_ENV = 'DSD_WORKER';
/**
 * Set ("1") for the workers other than worker 0 at the daemon's start: they warm up for a
 * fifth of the budget, so worker 0, the first reader, has the cores to itself for the rest
 * of its own (pool.ts). Not set for a restarted worker, which warms up in full.
 */
export const SHORT_WARMUP_ENV = 'DSD_WORKER_SHORT_WARMUP';
/**
 * Set ("1") for worker 0 at the daemon's start, the first reader: once ready it warms up
 * while idle (daemon/warmup-idle.ts) until its first traffic. No other worker has a call
 * to hand it then; a restarted worker, whom the others may hand calls, does not.
 */
export const IDLE_WARMUP_ENV = 'DSD_WORKER_IDLE_WARMUP';

/** One started worker (live or warming up): its index and the loopback port of its handoff socket. */
export interface PeerEntry {
  readonly index: number;
  readonly port: number;
}

/** A destination's state as one worker changed it (threshold rules, keepalive latency). */
export interface StateUpdate {
  readonly setId: number;
  readonly uri: string;
  readonly flags: number;
  readonly messageCount: number;
  readonly latency: LatencyStats | null;
}

/** One worker's own call load on a destination (alg 10), absolute. */
export interface LoadUpdate {
  readonly setId: number;
  readonly duid: string;
  readonly load: number;
}

/** A fault from a worker's method, rethrown by the primary as the same RpcError. */
export interface WireFault {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export type ToPrimary =
  | { t: 'loaded'; index: number }
  | { t: 'up'; index: number; port: number }
  | { t: 'ready'; index: number; warmupMs: number }
  | { t: 'rpcres'; id: number; ok: boolean; result?: unknown; fault?: WireFault }
  | { t: 'state'; from: number; updates: StateUpdate[] }
  | { t: 'load'; from: number; updates: LoadUpdate[] };

/** Who is up: every started worker's handoff port, the ready ones, and the one that reads UDP. */
export interface PeerTable {
  peers: PeerEntry[];
  live: number[];
  reader: number | null;
  /** The reader took over from one that died (it records no call of its own for a while: placement.ts). */
  takeover: boolean;
}

export type ToWorker =
  | ({
      t: 'init';
      replay: ReplayCall[];
      snapshot: StateUpdate[] | null;
      startedAt: number;
    } & PeerTable)
  | ({ t: 'peers' } & PeerTable)
  | { t: 'rpc'; id: number; method: string; params: unknown; follower: boolean }
  | { t: 'state'; from: number; updates: StateUpdate[] }
  | { t: 'load'; from: number; updates: LoadUpdate[] }
  | { t: 'forget'; index: number }
  | { t: 'drain' };

/** A control call replayed into a restarted worker (add/remove since the last reload, the corex.debug level). */
export interface ReplayCall {
  readonly method: string;
  readonly params: unknown;
}

/** Worker-internal methods the primary calls (not on the control socket). */
export const INTERNAL = {
  snapshot: '$snapshot',
  metrics: '$metrics',
} as const;
