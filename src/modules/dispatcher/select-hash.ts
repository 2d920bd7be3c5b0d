/**
 * Step 2 of the selection pipeline: the hash (the index before the skip loop) per
 * algorithm — the hashing algorithms, round robin, weights, call load, and latency, which
 * also fills the `_dsdst_` records itself in its sorted order.
 */

import { isSkipped } from './flags';
import { DsSet } from './model';
import { DsRequestView } from './request';
import { clockSec } from './rng';
import { makeDstRecord } from './xavp-records';
import {
  DS_ALG_CALLLOAD,
  DS_ALG_HASHAUTHUSER,
  DS_ALG_HASHCALLID,
  DS_ALG_HASHFROMURI,
  DS_ALG_HASHPV,
  DS_ALG_HASHRURI,
  DS_ALG_HASHTOURI,
  DS_ALG_LATENCY,
  DS_ALG_OVERLOAD,
  DS_ALG_PARALLEL,
  DS_ALG_RANDOM,
  DS_ALG_RELWEIGHT,
  DS_ALG_ROUNDROBIN,
  DS_ALG_SERIAL,
  DS_ALG_WEIGHT,
  isHashAlg,
} from './algorithms/constants';
import { hashAuthUser, hashCallId, hashPvar, hashUriOf } from './algorithms/hashing';
import { RrTake, rrTake } from './algorithms/round-robin';
import { relWeightTake, weightTake } from './algorithms/weight';
import { callLoadPick } from './algorithms/call-load';
import { latencyRrPick } from './algorithms/latency-rr';
import type { RouteState, SelectContext, SelectionGate } from './select-types';

export type Computed =
  | { readonly kind: 'hash'; readonly hash: number; readonly rr: RrTake | null }
  | { readonly kind: 'filled'; readonly hash: number }
  | { readonly kind: 'fail'; readonly reason: string };

export function computeHash(
  ctx: SelectContext,
  set: DsSet,
  st: RouteState,
  req: DsRequestView,
  g: SelectionGate | null,
): Computed {
  const p = ctx.params;
  const userOnly = (p.flags & 1) !== 0;
  const hashOr = (h: number | null, what: string): Computed =>
    h === null ? { kind: 'fail', reason: `can't get ${what} hash` } : { kind: 'hash', hash: h, rr: null };
  switch (st.alg) {
    case DS_ALG_HASHCALLID:
      return hashOr(hashCallId(req), 'callid');
    case DS_ALG_HASHFROMURI:
      return hashOr(hashUriOf(req.fromUri, userOnly), 'From uri');
    case DS_ALG_HASHTOURI:
      return hashOr(hashUriOf(req.toUri, userOnly), 'To uri');
    case DS_ALG_HASHRURI:
      return hashOr(hashUriOf(req.ruri, userOnly), 'ruri');
    case DS_ALG_ROUNDROBIN:
    case DS_ALG_OVERLOAD: {
      const rr = rrTake(set);
      return { kind: 'hash', hash: rr.hash, rr };
    }
    case DS_ALG_HASHAUTHUSER: {
      const h = hashAuthUser(req);
      if (h !== undefined) return { kind: 'hash', hash: h, rr: null };
      const rr = rrTake(set);
      return { kind: 'hash', hash: rr.hash, rr };
    }
    case DS_ALG_RANDOM:
      return { kind: 'hash', hash: ctx.rng() >>> 0, rr: null };
    case DS_ALG_HASHPV:
      return hashOr(hashPvar(req), 'PV');
    case DS_ALG_SERIAL:
      return { kind: 'hash', hash: 0, rr: null };
    case DS_ALG_WEIGHT:
      return { kind: 'hash', hash: weightTake(set), rr: null };
    case DS_ALG_CALLLOAD: {
      const pick = callLoadPick(set, req, p.xavp_dst, ctx.callLoad, clockSec(ctx.nowMs), g);
      if (!pick.ok) return { kind: 'fail', reason: pick.reason };
      if (pick.warning !== null) st.messages.push(pick.warning);
      st.alg = pick.alg;
      return { kind: 'hash', hash: pick.hash, rr: null };
    }
    case DS_ALG_RELWEIGHT:
      return { kind: 'hash', hash: relWeightTake(set), rr: null };
    case DS_ALG_PARALLEL:
      return { kind: 'hash', hash: 0, rr: null };
    case DS_ALG_LATENCY: {
      const pick = latencyRrPick(set, p.use_default !== 0, g === null ? null : (i) => g.hard(i));
      if ((p.flags & 2) !== 0) {
        const nr = set.dests.length;
        for (const e of pick.sorted) {
          if (st.cnt >= st.limit) break;
          const d = set.dests[e.idx]; // undefined for a skipped entry (idx -1)
          if (
            d === undefined ||
            isSkipped(e.flags) ||
            (p.use_default !== 0 && e.idx === nr - 1) ||
            (g !== null && g.hard(e.idx))
          )
            continue;
          const r = makeDstRecord(d, st.setId, st.alg, p.xavp_dst_mode);
          if (r !== null) {
            st.records.push(r);
            st.cnt++;
          }
        }
      }
      if (pick.hash < 0) return { kind: 'fail', reason: `no active destination in set ${set.id}` };
      return { kind: 'filled', hash: pick.hash };
    }
    default:
      st.messages.push(`algo ${st.alg} not implemented - using first entry...`);
      return { kind: 'hash', hash: 0, rr: null };
  }
}

export function respreadOn(ctx: SelectContext, alg: number, c: Computed): boolean {
  return ctx.params.ds_hash_respread !== 0 && isHashAlg(alg) && c.kind === 'hash' && c.rr === null;
}
