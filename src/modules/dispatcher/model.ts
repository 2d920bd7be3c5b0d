/**
 * The dispatcher's data model: destinations grouped in sets, sets held in a list.
 *
 * A DsList is immutable in shape (which sets, which destinations, in which order) and is
 * swapped as a whole on reload/add/remove; the runtime state it carries (state flags,
 * counters, call load, latency, round-robin and weight indexes) is mutated in place by
 * selections, keepalives and RPC while that list is current.
 *
 * Order rules (Kamailio's, everything indexes them): inside a set the array holds the
 * highest priority value first and equal priorities in REVERSE file order; sets are in
 * AVL post-order.
 */

import { DsAttrs } from './attrs';

export type SetId = number;

/** A local socket as the transport layer names it; opaque to the dispatcher. */
export type DsSocketRef = object;

/** Kamailio PROTO_* ids as printed in PROTOID. */
export const PROTO_NONE = 0;
export const PROTO_UDP = 1;
export const PROTO_TCP = 2;
export const PROTO_TLS = 3;
export const PROTO_SCTP = 4;
export const PROTO_WS = 5;
export const PROTO_WSS = 6;

export interface LatencyStats {
  /** Clock time (ms) the last keepalive was sent, or null. */
  start: number | null;
  min: number;
  max: number;
  /** float32 values, as Kamailio stores them. */
  avg: number;
  std: number;
  est: number;
  /** double. */
  m2: number;
  count: number;
  timeout: number;
}

export interface OcData {
  ocmin: number;
  ocmax: number;
  ocrate: number;
  ocidx: number;
  ocseq: number;
  /** Validity end of the current rate (clock ms), 0 when never set. */
  octimeMs: number;
  /** 100 slots: 1 = use, 0 = skip; shuffled. */
  ocdist: Uint8Array;
}

export interface Destination {
  readonly setId: SetId;
  /** Index in the set's array (IDX). */
  readonly idx: number;
  readonly uri: string;
  /** Host as written in the URI (IPv6 keeps brackets). */
  readonly host: string;
  /** Port from the URI (0 = none), possibly replaced by an SRV lookup. */
  port: number;
  /** PROTO_* from the URI's transport parameter (5.6: none when absent). */
  proto: number;
  /** State bits (flags.ts) plus the configured flags. */
  flags: number;
  readonly priority: number;
  readonly attrs: DsAttrs;
  /** Send socket: attrs sockname/socket, else ds_default_socket(name). */
  readonly sock: DsSocketRef | null;
  /** Resolved address (normalized text), or null when not resolved. */
  ipAddress: string | null;
  /** Flag 16 at load: no address, never matched by ds_is_from_list. */
  readonly noIpAddr: boolean;
  /** Clock ms of the last timer DNS refresh (0 = never; 5.6 does not stamp the load). */
  dnsTimeMs: number;
  /** Active calls (alg 10). */
  dload: number;
  /** Consecutive keepalive failures/successes for the thresholds. */
  messageCount: number;
  readonly latency: LatencyStats;
  readonly oc: OcData;
}

export interface DsSet {
  readonly id: SetId;
  readonly dests: readonly Destination[];
  /** Round-robin cursor (algs 4, 5 fallback, 13, 64). */
  last: number;
  wlast: number;
  rwlast: number;
  /** alg 9 table: 100 destination indexes. */
  readonly wlist: Uint16Array;
  /** alg 11 table. */
  readonly rwlist: Uint16Array;
}

export interface DsList {
  /** Sets in AVL post-order. */
  readonly sets: readonly DsSet[];
  readonly byId: ReadonlyMap<SetId, DsSet>;
  /** Increases with every swap; lets callers notice a reload. */
  readonly generation: number;
}

export function newLatencyStats(seed: number | null): LatencyStats {
  const s: LatencyStats = { start: null, min: 0, max: 0, avg: 0, std: 0, est: 0, m2: 0, count: 0, timeout: 0 };
  if (seed !== null) initLatency(s, seed, 10000);
  return s;
}

/** latency_stats_init(). */
export function initLatency(s: LatencyStats, latency: number, count: number): void {
  s.std = 0;
  s.m2 = 0;
  s.max = latency;
  s.min = latency;
  s.avg = Math.fround(latency);
  s.est = Math.fround(latency);
  s.count = count;
}

export function findSet(list: DsList | null, id: SetId): DsSet | null {
  return list === null ? null : (list.byId.get(id) ?? null);
}

/** Case-insensitive URI match as ds_update_state()/set_state use. */
export function sameUriCi(a: string, b: string): boolean {
  return a.length === b.length && (a === b || a.toLowerCase() === b.toLowerCase());
}
