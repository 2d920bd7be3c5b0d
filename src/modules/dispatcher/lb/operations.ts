/**
 * The drain and ejection operations over an engine: dispatcher.drain / undrain, the
 * outcome of real traffic (ejection, dialog counting) and the ejection timer. Kept out
 * of engine.ts, which holds Kamailio's own operations.
 */
import type { LbEngine } from './host';
import { DsRpcError } from '../errors';
import { DS_DISABLED_DST, DS_INACTIVE_DST, DS_PROBING_DST, isSkipped } from '../flags';
import { normalizeIp } from '../ip';
import { Destination, DsList, DsSet, findSet, PROTO_TCP, PROTO_TLS, PROTO_UDP, sameUriCi } from '../model';
import type { DsEvent } from '../state';
import { type DrainChange, drainTarget } from './drain';

export const DRAIN_OK = 'Ok. Dispatcher destination draining.';
export const UNDRAIN_OK = 'Ok. Dispatcher destination undrained.';

/** What drain and undrain need of the engine. */
export type DrainHost = Pick<LbEngine, 'list' | 'lb'>;

/** The destinations of a drain target (`all`, a URI, or a duid); throws when none. */
export function targets(
  list: DsList | null,
  group: number,
  target: string,
  byDuid: boolean,
  fault: string,
): { set: DsSet; dests: Destination[] } {
  const set = findSet(list, group);
  if (set === null) throw DsRpcError.of('groupNotFound', `destination set ${group} not found`);
  if (target === 'all') return { set, dests: [...set.dests] };
  const l = target.toLowerCase();
  const dests = byDuid
    ? set.dests.filter((x) => x.attrs.duid !== null && x.attrs.duid.toLowerCase() === l)
    : set.dests.filter((x) => sameUriCi(x.uri, target));
  if (dests.length === 0) {
    throw DsRpcError.of(
      'destinationNotFound',
      `${fault}: ${byDuid ? 'duid' : 'destination'} ${target} not found in set ${group}`,
    );
  }
  return { set, dests };
}

/** dispatcher.drain / drain_duid: returns the destinations now draining. */
export function drain(
  ds: DrainHost,
  group: number,
  target: string,
  byDuid: boolean,
  persist: boolean,
  at: number,
): Destination[] {
  const { dests } = targets(ds.list, group, target, byDuid, 'drain');
  if (byDuid && target !== 'all') ds.lb.drains.set({ setId: group, duid: target, at, persist });
  else for (const d of dests) ds.lb.drains.set({ setId: group, uri: d.uri, at, persist });
  return dests;
}

/** dispatcher.undrain / undrain_duid: every way a destination was drained is lifted. */
export function undrain(ds: DrainHost, group: number, target: string, byDuid: boolean, at: number): Destination[] {
  const { dests } = targets(ds.list, group, target, byDuid, 'undrain');
  for (const d of dests) {
    if (ds.lb.drains.clearDest(d) && !isSkipped(d.flags)) ds.lb.slowStart.begin(d, at);
  }
  return dests;
}

/** Applies a drain or undrain change; returns the destinations it concerns. */
export function applyDrainChange(ds: DrainHost, c: DrainChange, persist: boolean, at: number): Destination[] {
  const t = drainTarget(c);
  return t.on ? drain(ds, c.setId, t.target, t.byDuid, persist, at) : undrain(ds, c.setId, t.target, t.byDuid, at);
}

/** Active dialogs of a destination: the dialog count, or alg 10's load when higher. */
export function activeDialogs(ds: LbEngine, d: Destination): number {
  return Math.max(ds.lb.dialogs.count(d.setId, d.uri), d.dload);
}

/** Where a branch went, as the transport saw it. */
interface BranchPeer {
  readonly ip: string;
  readonly port: number;
  readonly proto: 'udp' | 'tcp' | 'tls' | string;
}

const DEFAULT_PORT: Record<string, number> = { udp: 5060, tcp: 5060, tls: 5061 };
const PROTO_ID: Record<string, number> = { udp: PROTO_UDP, tcp: PROTO_TCP, tls: PROTO_TLS };

/**
 * Normalized peer addresses: every branch final asks for one, and a dispatcher's peers are
 * a few addresses over and over. Bounded: cleared when full.
 */
const normalized = new Map<string, string | null>();

function normalizedIp(ip: string): string | null {
  let n = normalized.get(ip);
  if (n === undefined) {
    n = normalizeIp(ip);
    if (normalized.size >= 1024) normalized.clear();
    normalized.set(ip, n);
  }
  return n;
}

/** Every destination (any set) whose resolved address and port are the branch's peer. */
function destinationsAt(ds: LbEngine, peer: BranchPeer): Array<{ set: DsSet; dest: Destination }> {
  const out: Array<{ set: DsSet; dest: Destination }> = [];
  const list = ds.list;
  if (list === null) return out;
  const ip = normalizedIp(peer.ip);
  if (ip === null) return out;
  const proto = PROTO_ID[peer.proto] ?? 0;
  for (const set of list.sets) {
    for (const d of set.dests) {
      if (d.ipAddress !== ip) continue;
      const port = d.port !== 0 ? d.port : (DEFAULT_PORT[peer.proto] ?? 5060);
      if (port !== peer.port) continue;
      if (d.proto !== 0 && proto !== 0 && d.proto !== proto) continue;
      out.push({ set, dest: d });
    }
  }
  return out;
}

export interface BranchOutcome {
  readonly method: string;
  readonly callId: string | null;
  readonly peer: BranchPeer;
  /** Final status; 408 for a local timeout. */
  readonly status: number;
}

export interface OutcomeEffects {
  readonly events: DsEvent[];
  readonly ejected: Array<{ set: DsSet; dest: Destination; failures: number; ejections: number }>;
  readonly capped: Array<{ set: DsSet; dest: Destination; ejected: number; max: number }>;
}

/** Most branch finals change nothing (shared: callers only read it). */
const NO_EFFECTS: OutcomeEffects = Object.freeze({ events: [], ejected: [], capped: [] });

/**
 * A branch ended: counts dialogs (INVITE 2xx starts one, a BYE's final reply ends it) and
 * feeds passive ejection. Returns the events to run and what was ejected, for logs.
 */
export function branchOutcome(ds: LbEngine, o: BranchOutcome): OutcomeEffects {
  const method = o.method.toUpperCase();
  if (method === 'BYE' && o.callId !== null) ds.lb.dialogs.ended(o.callId);
  if (method === 'ACK' || method === 'CANCEL') return NO_EFFECTS;
  const invite2xx = method === 'INVITE' && o.status >= 200 && o.status < 300 && o.callId !== null;
  const ejecting = ds.lb.eject.enabled && method !== 'BYE';
  if (!invite2xx && !ejecting) return NO_EFFECTS;
  const hits = destinationsAt(ds, o.peer);
  if (hits.length === 0) return NO_EFFECTS;
  const fx: OutcomeEffects = { events: [], ejected: [], capped: [] };
  const now = Date.now();
  if (invite2xx)
    ds.lb.dialogs.confirmed(
      o.callId!,
      hits.map((h) => ({ setId: h.set.id, uri: h.dest.uri })),
      now,
    );
  if (!ejecting) return fx;
  for (const { set, dest } of hits) {
    const v = ds.lb.eject.outcome(set, dest, o.status, now);
    if (v.kind === 'capped') fx.capped.push({ set, dest, ejected: v.ejected, max: v.max });
    if (v.kind !== 'eject') continue;
    const ev = ds.applyHealth(set, dest, DS_INACTIVE_DST | DS_PROBING_DST, 'eject', {
      code: o.status,
      reason: `ejected after ${v.failures} consecutive failures`,
      flags: 1,
    });
    fx.ejected.push({ set, dest, failures: v.failures, ejections: v.ejections });
    if (ev !== null) fx.events.push(ev);
  }
  return fx;
}

/** Ejection timer (every second): with probing off, ejected destinations come back when due. */
export function ejectTick(ds: LbEngine, probingOn: boolean, nowMs: number): DsEvent[] {
  const events: DsEvent[] = [];
  const list = ds.list;
  if (list === null || !ds.lb.eject.enabled) return events;
  if (probingOn) return events;
  for (const { set, dest } of ds.lb.eject.due(list.sets, nowMs)) {
    ds.lb.eject.ended(dest);
    if (dest.flags & DS_DISABLED_DST) continue; // an admin disabled it meanwhile: theirs to lift
    // a plain active state: as the keepalive's success would set it, thresholds included
    for (let i = 0; i < Math.max(1, ds.params.ds_inactive_threshold) && isSkipped(dest.flags); i++) {
      const ev = ds.applyHealth(set, dest, 0, 'eject', { code: 200, reason: 'ejection time over', flags: 0 });
      if (ev !== null) events.push(ev);
    }
  }
  return events;
}

/** dispatcher.list extras: DRAIN 1, EJECTED (ejection count), SLOWSTART (percent); null when none. */
export function lbMarks(ds: LbEngine, d: Destination, nowMs: number): Record<string, number> | null {
  const lb = ds.lb;
  if (lb.drains.size === 0 && !lb.eject.enabled && lb.slowStart.size === 0) return null;
  const m: Record<string, number> = {};
  if (lb.drains.isDraining(d)) m.DRAIN = 1;
  if (lb.eject.isEjected(d)) m.EJECTED = lb.eject.ejections(d);
  const ramp = lb.slowStart.rampOf(d, nowMs);
  if (ramp !== null) m.SLOWSTART = Math.round(ramp * 100);
  return Object.keys(m).length ? m : null;
}
