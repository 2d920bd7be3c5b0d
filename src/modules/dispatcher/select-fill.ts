/**
 * Step 6 of the selection pipeline: the `_dsdst_` records after the chosen one
 * (Kamailio's ds_manage_routes_fill_xavp()).
 */

import { isSkipped } from './flags';
import { DsSet } from './model';
import { makeDstRecord } from './xavp-records';
import { DS_ALG_CALLLOAD } from './algorithms/constants';
import type { RouteState, SelectContext, SelectionGate } from './select-types';

/** Adds one record; false when an alg-10 record has no duid (the select then fails). */
export function addRecord(ctx: SelectContext, set: DsSet, idx: number, st: RouteState): boolean {
  const d = set.dests[idx];
  if (d === undefined) return false;
  const r = makeDstRecord(d, st.setId, st.alg, ctx.params.xavp_dst_mode);
  if (r === null) {
    st.messages.push(`no uid for destination: ${st.setId} ${d.uri}`);
    return false;
  }
  st.records.push(r);
  st.cnt++;
  return true;
}

/** ds_manage_routes_fill_xavp(): chosen, then after it, then before it (array order). */
export function fillDefault(
  ctx: SelectContext,
  set: DsSet,
  hash: number,
  st: RouteState,
  order: number[] | null,
  g: SelectionGate | null,
): boolean {
  if (!addRecord(ctx, set, hash, st)) return false;
  const nr = set.dests.length;
  const useDefault = ctx.params.use_default !== 0;
  const usable = (i: number): boolean => {
    const d = set.dests[i];
    if (d === undefined || isSkipped(d.flags) || (useDefault && i === nr - 1)) return false;
    if (g !== null && g.hard(i)) return false;
    const maxload = g === null ? d.attrs.maxload : g.maxload(i);
    return !(st.alg === DS_ALG_CALLLOAD && maxload !== 0 && d.dload >= maxload);
  };
  if (order !== null) {
    for (const i of order) {
      if (st.cnt >= st.limit) break;
      if (usable(i) && !addRecord(ctx, set, i, st)) return false;
    }
    return true;
  }
  for (let i = hash + 1; i < nr && st.cnt < st.limit; i++) {
    if (usable(i) && !addRecord(ctx, set, i, st)) return false;
  }
  for (let i = 0; i < hash && st.cnt < st.limit; i++) {
    if (usable(i) && !addRecord(ctx, set, i, st)) return false;
  }
  return true;
}
