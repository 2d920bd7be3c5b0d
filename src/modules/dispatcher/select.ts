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

import { isSkipped } from './flags';
import { findSet } from './model';
import { ocSkip } from './oc';
import { DsRequestView } from './request';
import { rendezvousOrder } from './respread';
import { rewriteHostAll } from './ruri';
import { DS_ALG_OVERLOAD, DS_ALG_PARALLEL } from './algorithms/constants';
import { rrCommit } from './algorithms/round-robin';
import { parallelBranches } from './algorithms/parallel';
import { computeHash, respreadOn } from './select-hash';
import { addRecord, fillDefault } from './select-fill';
import type { RouteState, SelectContext, SelectMode, SelectResult } from './select-types';

const UNLIMITED = 0xffffffff;

function normLimit(limit: number | undefined): number {
  const l = (limit ?? 0) >>> 0;
  return l === 0 ? UNLIMITED : l;
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
    // an index past the set counts as skipped (it cannot happen: every index is taken mod n <= nr)
    const off = (k: number): boolean => {
      const dk = set.dests[k];
      return dk === undefined || isSkipped(dk.flags) || (g !== null && g.held(k));
    };
    const skip = (k: number): boolean => off(k) || (st.alg === DS_ALG_OVERLOAD && ocSkip(set.dests[k]!, ctx.nowMs));
    if (respread) {
      const all = rendezvousOrder(set, rawHash, n);
      const order = g === null ? all : all.filter((k) => !g.held(k));
      if (off(i)) {
        const first = order[0];
        if (first !== undefined) i = first;
        else if (useDefault) {
          i = nr - 1;
          if (off(i)) return fail(`no active destination in set ${set.id}`);
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
  if (d === undefined) return fail(`no active destination in set ${set.id}`);
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
