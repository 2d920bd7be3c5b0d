/**
 * Call load (alg 10). Only an INVITE starts a call; anything else (or no xavp_dst) uses
 * the first entry and is treated as alg 0 for the records. An INVITE goes to the
 * non-skipped entry with the lowest load under its maxload (ties: lowest index) and is
 * recorded in the call-load table; without a duid or for an already tracked Call-ID the
 * call is dispatched "classically" (alg treated as 0, no load counted).
 */

import { CallLoadTable, leastLoaded, loadAdd } from '../calload';
import { isSkipped } from '../flags';
import { DsSet } from '../model';
import { DsRequestView } from '../request';
import type { SelectionGate } from '../select-types';
import { DS_ALG_CALLLOAD, DS_ALG_HASHCALLID } from './constants';

export type CallLoadPick =
  | { readonly ok: true; readonly hash: number; readonly alg: number; readonly warning: string | null }
  | { readonly ok: false; readonly reason: string };

export function callLoadPick(
  set: DsSet,
  req: DsRequestView,
  xavpDst: string,
  table: CallLoadTable | null,
  nowSec: number,
  gate: SelectionGate | null = null,
): CallLoadPick {
  if (req.method.toUpperCase() !== 'INVITE') return { ok: true, hash: 0, alg: DS_ALG_HASHCALLID, warning: null };
  if (xavpDst.length === 0) {
    return {
      ok: true,
      hash: 0,
      alg: DS_ALG_HASHCALLID,
      warning: 'no dst xavp for load distribution - using first entry',
    };
  }
  const i =
    gate === null
      ? leastLoaded(set, isSkipped)
      : leastLoaded(
          set,
          isSkipped,
          (j) => gate.hard(j),
          (j) => gate.maxload(j),
        );
  if (i < 0) return { ok: false, reason: `no destination under its maxload in set ${set.id}` };
  if (table === null || req.callId === null || !loadAdd(table, set, i, req.callId, nowSec)) {
    const why =
      table === null
        ? 'ds_hash_size is 0'
        : set.dests[i]?.attrs.duid
          ? 'call-id already tracked'
          : 'destination has no duid';
    return {
      ok: true,
      hash: i,
      alg: DS_ALG_HASHCALLID,
      warning: `unable to update destination load (${why}) - classic dispatching`,
    };
  }
  return { ok: true, hash: i, alg: DS_ALG_CALLLOAD, warning: null };
}
