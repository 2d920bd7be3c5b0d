/**
 * The types the selection pipeline shares between its steps (select.ts runs them,
 * select-hash.ts computes the hash per algorithm, select-fill.ts writes the `_dsdst_`
 * records) and with its callers (engine, runtime, lb/).
 */

import { CallLoadTable } from './calload';
import { DsList, DsSet, DsSocketRef, Destination } from './model';
import { DsParams } from './params';
import { DsRng } from './rng';
import { DstRecord } from './xavp-records';
import { DsBranch } from './algorithms/parallel';

export type SelectMode = 'dst' | 'domain' | 'xavp';

/**
 * Holds on top of the state flags for one selection (drain, slow start; see lb/). The
 * policy builds it per selection and returns null when nothing applies, so default
 * settings run exactly Kamailio's pipeline.
 */
export interface SelectionGate {
  /** Never for a new dialog (draining). */
  hard(i: number): boolean;
  /** Not this time: hard, or held back by a slow-start roll. */
  held(i: number): boolean;
  /** alg 10: the maxload in force (slow start scales it). */
  maxload(i: number): number;
}

export type GateFactory = (set: DsSet, alg: number) => SelectionGate | null;

export interface SelectContext {
  readonly list: DsList | null;
  readonly params: DsParams;
  readonly rng: DsRng;
  /** Clock reading (ms) for this selection. */
  readonly nowMs: number;
  /** The alg-10 table (null when ds_hash_size is 0). */
  readonly callLoad: CallLoadTable | null;
  /** Drain / slow-start holds; absent or null: none. */
  readonly gate?: GateFactory | null;
}

/** What to do to the message for the chosen destination. */
export interface PushAction {
  /** 'dst': set $du = uri and mark the R-URI new; 'domain': set the R-URI to `newRuri`. */
  readonly mode: 'dst' | 'domain';
  /** The destination URI. */
  readonly uri: string;
  /** Force this send socket when non-null. */
  readonly sock: DsSocketRef | null;
  /** Domain mode: the rewritten R-URI. */
  readonly newRuri: string | null;
}

export interface SelectResult {
  /** Kamailio return code: 1 (2 for alg 12 with a failed branch) on success, negative on failure. */
  readonly code: number;
  readonly ok: boolean;
  /** The algorithm as it ended up (alg 10 falls back to 0 without load tracking). */
  readonly alg: number;
  readonly selected: Destination | null;
  readonly push: PushAction | null;
  /** New `_dsdst_` records, in order; put them before any existing ones. */
  readonly records: DstRecord[];
  /** Number of records added (all rules of ds_select_routes together). */
  readonly cnt: number;
  /** Value of the `_dsctx_` `cnt` field to add, or null (failure, or xavp_ctx_mode & 1). */
  readonly ctxCnt: number | null;
  /** Alg 12 branches to append. */
  readonly branches: DsBranch[] | null;
  /** Why it failed or degraded, for logs. */
  readonly messages: string[];
}

/** Mutable state shared by the rules of one ds_select_routes() (Kamailio's ds_select_state_t). */
export interface RouteState {
  setId: number;
  alg: number;
  mode: SelectMode;
  readonly limit: number;
  cnt: number;
  emode: boolean;
  readonly records: DstRecord[];
  push: PushAction | null;
  branches: DsBranch[] | null;
  selected: Destination | null;
  readonly messages: string[];
}
