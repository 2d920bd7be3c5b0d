/**
 * dispatcher.explain (dsd extension): the real selection on a synthetic request, with
 * nothing sent and nothing moved. Cursors (round robin, weight tables, latency order),
 * call load, overload slots and random draws are restored or replayed afterwards, so the
 * next real request with the same headers gets the explained pick.
 */
import type { LbEngine } from './host';
import { DsRpcError } from '../errors';
import { DS_DISABLED_DST, DS_INACTIVE_DST, DS_PROBING_DST, flagsString } from '../flags';
import { dsHash, trimWs, uriHashKeys } from '../hash';
import { findSet, DsSet } from '../model';
import type { DsRequestView } from '../request';
import { selectDestination } from '../select';
import type { SelectResult } from '../select-types';
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
} from '../algorithms/constants';
import { activeDialogs } from './operations';

const ALG_NAMES: Readonly<Record<number, string>> = {
  [DS_ALG_HASHCALLID]: 'hash over Call-ID',
  [DS_ALG_HASHFROMURI]: 'hash over From URI',
  [DS_ALG_HASHTOURI]: 'hash over To URI',
  [DS_ALG_HASHRURI]: 'hash over R-URI',
  [DS_ALG_ROUNDROBIN]: 'round robin',
  [DS_ALG_HASHAUTHUSER]: 'hash over auth username',
  [DS_ALG_RANDOM]: 'random',
  [DS_ALG_HASHPV]: 'hash over hash_pvar',
  [DS_ALG_SERIAL]: 'serial (priority order)',
  [DS_ALG_WEIGHT]: 'weight',
  [DS_ALG_CALLLOAD]: 'call load',
  [DS_ALG_RELWEIGHT]: 'relative weight',
  [DS_ALG_PARALLEL]: 'parallel forking',
  [DS_ALG_LATENCY]: 'latency-optimized round robin',
  [DS_ALG_OVERLOAD]: 'round robin with overload control',
};

interface ExplainHash {
  /** What was hashed (the trimmed value, or "user" + "host[:port]" for URIs). */
  readonly input: string;
  readonly value: number;
  /** value % N (N = destinations, minus the default one with use_default). */
  readonly slot: number;
}

interface ExplainDest {
  readonly index: number;
  readonly uri: string;
  readonly flags: string;
  readonly priority: number;
  readonly weight: number;
  /** Why it could not be picked (empty: eligible). */
  readonly skipped: string[];
  readonly draining: boolean;
  readonly ejected: boolean;
  /** Slow-start share factor (1 = full). */
  readonly ramp: number;
  readonly activeDialogs: number;
}

export interface ExplainResult {
  readonly set: number;
  readonly alg: number;
  readonly algName: string;
  readonly limit: number;
  readonly request: { method: string; ruri: string; from: string | null; to: string | null; callid: string | null };
  readonly ok: boolean;
  readonly code: number;
  readonly selected: string | null;
  /** The failover order (`_dsdst_` records), first = selected. */
  readonly order: string[];
  /** alg 12: the extra parallel branches. */
  readonly branches: string[];
  readonly hash: ExplainHash | null;
  readonly cursor: { last: number; wlast: number; rwlast: number };
  readonly destinations: ExplainDest[];
  readonly messages: string[];
}

function hashInfo(ds: LbEngine, alg: number, req: DsRequestView, n: number): ExplainHash | null {
  const userOnly = (ds.params.flags & 1) !== 0;
  const slot = (v: number): number => (n > 0 ? v % n : 0);
  const uri = (u: string | null): ExplainHash | null => {
    if (u === null) return null;
    const k = uriHashKeys(u, userOnly);
    if (k === null) return null;
    const v = dsHash(k.k1, k.k2);
    return { input: k.k2 === null ? k.k1 : `${k.k1} ${k.k2}`, value: v, slot: slot(v) };
  };
  const text = (t: string | null): ExplainHash | null => {
    if (t === null || trimWs(t).length === 0) return null;
    const v = dsHash(trimWs(t));
    return { input: trimWs(t), value: v, slot: slot(v) };
  };
  switch (alg) {
    case DS_ALG_HASHCALLID:
      return text(req.callId);
    case DS_ALG_HASHFROMURI:
      return uri(req.fromUri);
    case DS_ALG_HASHTOURI:
      return uri(req.toUri);
    case DS_ALG_HASHRURI:
      return uri(req.ruri);
    case DS_ALG_HASHAUTHUSER:
      return text(req.authUsername);
    case DS_ALG_HASHPV:
      return text(req.hashPvarValue);
    default:
      return null;
  }
}

function skipReasons(ds: LbEngine, set: DsSet, i: number, alg: number, nowMs: number): string[] {
  const d = set.dests[i];
  if (d === undefined) return [];
  const why: string[] = [];
  if (d.flags & DS_DISABLED_DST) why.push('disabled');
  if (d.flags & DS_INACTIVE_DST) {
    why.push(ds.lb.eject.isEjected(d) ? 'ejected' : 'inactive');
    if (d.flags & DS_PROBING_DST) why.push('probing');
  }
  if (ds.lb.drains.isDraining(d)) why.push('draining');
  if (alg === DS_ALG_CALLLOAD) {
    const max = ds.lb.slowStart.maxload(d, nowMs);
    if (max !== 0 && d.dload >= max) why.push(`over maxload (${d.dload}/${max})`);
  }
  if (ds.params.use_default !== 0 && i === set.dests.length - 1 && set.dests.length > 1)
    why.push('default (used last)');
  return why;
}

/** Runs the selection and puts every cursor, counter and random draw back. */
function dryRun(ds: LbEngine, set: DsSet, alg: number, req: DsRequestView, limit: number): SelectResult {
  const cursors = { last: set.last, wlast: set.wlast, rwlast: set.rwlast };
  const dloads = set.dests.map((d) => d.dload);
  const ocidx = set.dests.map((d) => d.oc.ocidx);
  const table = ds.callLoad;
  const tracked = table !== null && req.callId !== null && table.get(req.callId) !== null;
  try {
    return ds.rngTape.replayAfter(() =>
      selectDestination(ds.selectionContext(), set.id, alg, req, { mode: 'dst', limit }),
    );
  } finally {
    set.last = cursors.last;
    set.wlast = cursors.wlast;
    set.rwlast = cursors.rwlast;
    // the selection adds and removes no destination, so the saved arrays line up
    set.dests.forEach((d, i) => {
      d.dload = dloads[i]!;
      d.oc.ocidx = ocidx[i]!;
    });
    if (table !== null && req.callId !== null && !tracked) table.delete(req.callId);
  }
}

export function explain(ds: LbEngine, setId: number, alg: number, req: DsRequestView, limit = 0): ExplainResult {
  const set = findSet(ds.list, setId);
  if (set === null) throw DsRpcError.of('groupNotFound', `destination set ${setId} not found`);
  if (ALG_NAMES[alg] === undefined) throw DsRpcError.of('invalidParameters', `unknown algorithm ${alg} (0..13, 64)`);
  const nowMs = Date.now();
  const nr = set.dests.length;
  const n = ds.params.use_default !== 0 && nr !== 1 ? nr - 1 : nr;
  const before = { last: set.last, wlast: set.wlast, rwlast: set.rwlast };
  const r = dryRun(ds, set, alg, req, limit);
  const destinations = set.dests.map((d, i): ExplainDest => ({
    index: i,
    uri: d.uri,
    flags: flagsString(d.flags),
    priority: d.priority,
    weight: d.attrs.weight,
    skipped: skipReasons(ds, set, i, alg, nowMs),
    draining: ds.lb.drains.isDraining(d),
    ejected: ds.lb.eject.isEjected(d),
    ramp: ds.lb.slowStart.factor(d, nowMs),
    activeDialogs: activeDialogs(ds, d),
  }));
  return {
    set: setId,
    alg,
    algName: ALG_NAMES[alg],
    limit,
    request: { method: req.method, ruri: req.ruri, from: req.fromUri, to: req.toUri, callid: req.callId },
    ok: r.ok,
    code: r.code,
    selected: r.push?.uri ?? r.selected?.uri ?? null,
    order: r.records.map((x) => x.uri),
    branches: (r.branches ?? []).map((b) => b.dstUri ?? b.ruri),
    hash: hashInfo(ds, alg, req, n),
    cursor: before,
    destinations,
    messages: r.messages,
  };
}
