/**
 * The selection pipeline of ds_select(), ds_select_dst(), ds_select_domain() and
 * ds_select_routes() (Kamailio's ds_manage_routes()):
 *
 *  1. find the set (force_dst=0 refuses d-uri mode when $du is set);
 *  2. compute a hash with the algorithm;
 *  3. i = hash % N, N = nr − 1 with use_default (the last entry is the fallback), else nr;
 *  4. skip loop: step over INACTIVE/DISABLED entries (and alg-64 overload skips); when it
 *     wraps, use_default tries entry nr − 1, otherwise the select fails;
 *  5. push the choice ($du or R-URI host part) unless in xavp mode; move the RR cursor;
 *  6. alg 12 adds branches and stops; otherwise, with modparam flags & 2, fill the
 *     `_dsdst_` records: the chosen entry, then array order after it, then before it,
 *     skipping inactive entries (and, for alg 10, full ones), up to `limit`; with
 *     use_default, entry nr − 1 is appended last.
 *
 * The result says what to apply; the caller applies `push` and `records` even when the
 * code is negative if they are present (Kamailio's effects persist on late failures).
 */

import { CallLoadTable } from './calload';
import { isSkipped } from './flags';
import { DsList, DsSet, DsSocketRef, Destination, findSet } from './model';
import { ocSkip } from './oc';
import { DsParams } from './params';
import { DsRequestView } from './request';
import { rendezvousOrder } from './respread';
import { DsRng, clockSec } from './rng';
import { rewriteHostAll } from './ruri';
import { DstRecord, makeDstRecord } from './xavp-records';
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
import { RrTake, rrCommit, rrTake } from './algorithms/round-robin';
import { relWeightTake, weightTake } from './algorithms/weight';
import { callLoadPick } from './algorithms/call-load';
import { DsBranch, parallelBranches } from './algorithms/parallel';
import { latencyRrPick } from './algorithms/latency-rr';

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
interface RouteState {
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

const UNLIMITED = 0xffffffff;

function normLimit(limit: number | undefined): number {
  const l = (limit ?? 0) >>> 0;
  return l === 0 ? UNLIMITED : l;
}

type Computed =
  | { readonly kind: 'hash'; readonly hash: number; readonly rr: RrTake | null }
  | { readonly kind: 'filled'; readonly hash: number }
  | { readonly kind: 'fail'; readonly reason: string };

function computeHash(
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
        for (let i = 0; i < nr && st.cnt < st.limit; i++) {
          const e = pick.sorted[i];
          if (
            e.idx < 0 ||
            isSkipped(e.flags) ||
            (p.use_default !== 0 && e.idx === nr - 1) ||
            (g !== null && g.hard(e.idx))
          )
            continue;
          const r = makeDstRecord(set.dests[e.idx], st.setId, st.alg, p.xavp_dst_mode);
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

function respreadOn(ctx: SelectContext, alg: number, c: Computed): boolean {
  return ctx.params.ds_hash_respread !== 0 && isHashAlg(alg) && c.kind === 'hash' && c.rr === null;
}

/** Adds one record; false when an alg-10 record has no duid (the select then fails). */
function addRecord(ctx: SelectContext, set: DsSet, idx: number, st: RouteState): boolean {
  const r = makeDstRecord(set.dests[idx], st.setId, st.alg, ctx.params.xavp_dst_mode);
  if (r === null) {
    st.messages.push(`no uid for destination: ${st.setId} ${set.dests[idx].uri}`);
    return false;
  }
  st.records.push(r);
  st.cnt++;
  return true;
}

/** ds_manage_routes_fill_xavp(): chosen, then after it, then before it (array order). */
function fillDefault(
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
    if (isSkipped(d.flags) || (useDefault && i === nr - 1)) return false;
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

function manageRoutes(ctx: SelectContext, st: RouteState, req: DsRequestView): number {
  const p = ctx.params;
  const fail = (why: string): number => {
    st.messages.push(why);
    return -1;
  };
  if (ctx.list === null || ctx.list.sets.length === 0) return fail('no destination sets');
  if (st.mode === 'dst' && p.force_dst === 0 && req.duIsSet) return fail('destination already set');
  const set = findSet(ctx.list, st.setId);
  if (set === null) return fail(`destination set [${st.setId}] not found`);
  const nr = set.dests.length;
  const useDefault = p.use_default !== 0;

  const g = ctx.gate ? ctx.gate(set, st.alg) : null;
  const c = computeHash(ctx, set, st, req, g);
  if (c.kind === 'fail') return fail(c.reason);
  const rawHash = c.hash;
  const n = useDefault && nr !== 1 ? nr - 1 : nr;
  let hash = rawHash % n;
  let i = hash;
  const respread = respreadOn(ctx, st.alg, c);
  let failoverOrder: number[] | null = null;

  if (c.kind !== 'filled') {
    const skip = (k: number): boolean =>
      isSkipped(set.dests[k].flags) ||
      (g !== null && g.held(k)) ||
      (st.alg === DS_ALG_OVERLOAD && ocSkip(set.dests[k], ctx.nowMs));
    if (respread) {
      const all = rendezvousOrder(set, rawHash, n);
      const order = g === null ? all : all.filter((k) => !g.held(k));
      if (isSkipped(set.dests[i].flags) || (g !== null && g.held(i))) {
        if (order.length > 0) i = order[0];
        else if (useDefault) {
          i = nr - 1;
          if (isSkipped(set.dests[i].flags) || (g !== null && g.held(i)))
            return fail(`no active destination in set ${set.id}`);
        } else return fail(`no active destination in set ${set.id}`);
      }
      failoverOrder = order.filter((k) => k !== i);
    } else {
      while (skip(i)) {
        i = (i + 1) % n;
        if (i === hash) {
          if (!useDefault) return fail(`no active destination in set ${set.id}`);
          i = nr - 1;
          if (skip(i)) return fail(`no active destination in set ${set.id}`);
          break;
        }
      }
    }
  }
  hash = i;
  const d = set.dests[hash];
  st.selected = d;

  if (st.mode !== 'xavp') {
    let newRuri: string | null = null;
    if (st.mode === 'domain') {
      newRuri = rewriteHostAll(req.ruri, d.uri);
      if (newRuri === null) return fail(`cannot set next hop address with: ${d.uri}`);
    }
    st.push = { mode: st.mode, uri: d.uri, sock: d.sock, newRuri };
    st.emode = true;
  }
  if (c.kind === 'hash' && c.rr !== null) rrCommit(set, c.rr, hash);

  if (st.alg === DS_ALG_PARALLEL) {
    const ruri = st.push !== null && st.push.newRuri !== null ? st.push.newRuri : req.ruri;
    const br = parallelBranches(set, hash, st.mode, ruri, g === null ? null : (k) => g.hard(k));
    if (br === null) {
      st.messages.push('failed to add additional branches');
      return 2;
    }
    st.branches = br;
    return 1;
  }
  if ((p.flags & 2) === 0 || p.xavp_dst.length === 0) return 1;
  if (c.kind !== 'filled' && !fillDefault(ctx, set, hash, st, failoverOrder, g)) return -1;
  if (useDefault && hash !== nr - 1 && st.cnt < st.limit && !(g !== null && g.hard(nr - 1))) {
    if (!addRecord(ctx, set, nr - 1, st)) return -1;
  }
  return 1;
}

function newState(setId: number, alg: number, mode: SelectMode, limit: number): RouteState {
  return {
    setId,
    alg,
    mode,
    limit,
    cnt: 0,
    emode: false,
    records: [],
    push: null,
    branches: null,
    selected: null,
    messages: [],
  };
}

function result(ctx: SelectContext, st: RouteState, code: number): SelectResult {
  return {
    code,
    ok: code > 0,
    alg: st.alg,
    selected: st.selected,
    push: st.push,
    records: st.records,
    cnt: st.cnt,
    ctxCnt: code >= 0 && (ctx.params.xavp_ctx_mode & 1) === 0 ? st.cnt : null,
    branches: st.branches,
    messages: st.messages,
  };
}

/**
 * ds_select(set, alg[, limit]) (mode 'xavp'), ds_select_dst() ('dst'),
 * ds_select_domain() ('domain'). `limit` 0/undefined = unlimited.
 */
export function selectDestination(
  ctx: SelectContext,
  setId: number,
  alg: number,
  req: DsRequestView,
  opts: { readonly mode: SelectMode; readonly limit?: number },
): SelectResult {
  const st = newState(setId, alg, opts.mode, normLimit(opts.limit));
  const code = manageRoutes(ctx, st, req);
  return result(ctx, st, code);
}

/** Parses the routing mode of ds_select_routes(): null when invalid. */
function parseRoutesMode(mode: string): SelectMode | null {
  switch (mode[0]) {
    case '0':
    case 'd':
    case 'D':
      return 'dst';
    case '1':
    case 'r':
    case 'R':
      return 'domain';
    case '2':
    case 'x':
    case 'X':
      return 'xavp';
    default:
      return null;
  }
}

/**
 * ds_select_routes(rules, mode[, limit]): rules "set=alg;set=alg;..." run in order and
 * share one count and limit; the first success pushes du/ruri, later rules only add
 * records. Returns the last success code, else the last failure.
 */
export function selectRoutes(
  ctx: SelectContext,
  rules: string,
  mode: string,
  req: DsRequestView,
  limit?: number,
): SelectResult {
  const st = newState(0, 0, 'xavp', normLimit(limit));
  let vret = -1;
  let gret = -1;
  let i = 0;
  const len = rules.length;
  const bad = (): SelectResult => {
    st.messages.push(`invalid character in [${rules}] at [${i}]`);
    return result(ctx, st, -1);
  };
  while (i < len) {
    let setId = 0;
    for (; i < len; i++) {
      const ch = rules.charCodeAt(i);
      if (ch < 48 || ch > 57) {
        if (ch === 61) {
          i++;
          break;
        }
        return bad();
      }
      setId = setId * 10 + (ch - 48);
    }
    let alg = 0;
    for (; i < len; i++) {
      const ch = rules.charCodeAt(i);
      if (ch < 48 || ch > 57) {
        if (ch === 59) {
          i++;
          break;
        }
        return bad();
      }
      alg = alg * 10 + (ch - 48);
    }
    st.setId = setId;
    st.alg = alg;
    st.mode = 'xavp';
    if (!st.emode) {
      const m = parseRoutesMode(mode);
      if (m === null) {
        st.messages.push(`invalid routing mode parameter: ${mode}`);
        return result(ctx, st, -1);
      }
      st.mode = m;
    }
    vret = manageRoutes(ctx, st, req);
    if (vret > 0) gret = vret;
  }
  if (gret < 0) {
    const r = result(ctx, st, vret);
    return { ...r, ctxCnt: null };
  }
  return result(ctx, st, gret);
}
