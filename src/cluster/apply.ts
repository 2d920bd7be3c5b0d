/**
 * Applying a remote cluster event to this node's engine, and the glue the RPC handlers
 * use to publish local ones. Remote events are applied without publishing them again.
 *
 * The engine's reload_delta guard protects a node from an operator flooding it; an event
 * that another node already accepted is retried once the guard allows (the engine says
 * how long in DsRpcError.retryAfterSec), at most `maxRetries` times.
 * A remote add of a destination this node already has (it may have reloaded the row from
 * the database in the meantime) is skipped; a remote remove of one it does not have, too.
 */

import type { Dispatcher } from '../modules/dispatcher/engine';
import type { ReloadSource } from '../modules/dispatcher/list-manager';
import type { AdminStateEntry } from '../modules/dispatcher/admin-state';
import { DsRpcError } from '../modules/dispatcher/errors';
import type { DsChange } from '../modules/dispatcher/change';
import { type DrainChange, drainTarget } from '../modules/dispatcher/lb/drain';
import { applyDrainChange, targets } from '../modules/dispatcher/lb/operations';
import { flagsString } from '../modules/dispatcher/flags';
import { parseDestinationUri } from '../modules/dispatcher/destination-uri';
import type { DsList } from '../modules/dispatcher/model';
import type { DbLog } from '../modules/dispatcher/db/list-source';
import type { ClusterEventArgs, ClusterEventKind } from './messages';
import type { DestStateView, DrainRow } from './store';

export interface ClusterApplyTarget {
  readonly ds: Pick<Dispatcher, 'reload' | 'add' | 'remove' | 'setStateRpc' | 'list' | 'clearAdminStates' | 'lb'>;
  /** How to reload (default ds.reload); the daemon passes the runtime's, which keeps stats. */
  reload?(source: ReloadSource): Promise<unknown>;
  /** Fresh records from the database (DbListSource.source()). */
  reloadSource(): Promise<ReloadSource>;
  readonly log?: DbLog;
}

export interface ApplyOptions {
  readonly maxRetries?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function guarded<T>(op: () => Promise<T>, o: ApplyOptions): Promise<T> {
  const max = o.maxRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (!(e instanceof DsRpcError) || !e.is('ongoingReload') || attempt >= max) throw e;
      await (o.sleep ?? defaultSleep)(Math.max(1, e.retryAfterSec ?? 1) * 1000 + 50);
    }
  }
}

function hasDest(list: DsList | null, group: number, uri: string): boolean {
  const set = list?.byId.get(group);
  return set !== undefined && set.dests.some((d) => d.uri === uri);
}

/** The change a cluster event carries (the wire format stays the event's). */
export function changeOfEvent<K extends ClusterEventKind>(kind: K, args: ClusterEventArgs[K]): DsChange {
  switch (kind) {
    case 'reload':
      return { kind: 'reload' };
    case 'add': {
      const a = args as ClusterEventArgs['add'];
      return { kind: 'add', setId: a.group, uri: a.address, flags: a.flags, priority: a.priority, attrs: a.attrs };
    }
    case 'remove': {
      const a = args as ClusterEventArgs['remove'];
      return { kind: 'remove', setId: a.group, uri: a.address };
    }
    case 'set_state': {
      const a = args as ClusterEventArgs['set_state'];
      return { kind: 'setState', state: a.state, setId: a.group, uri: a.address };
    }
    case 'set_duid_state': {
      const a = args as ClusterEventArgs['set_duid_state'];
      return { kind: 'setDuidState', state: a.state, setId: a.group, duid: a.duid };
    }
    case 'drain':
    case 'undrain': {
      const a = args as ClusterEventArgs['drain'];
      return { kind: kind === 'drain' ? 'drain' : 'undrain', setId: a.group, uri: a.address };
    }
    case 'drain_duid':
    case 'undrain_duid': {
      const a = args as ClusterEventArgs['drain_duid'];
      return { kind: kind === 'drain_duid' ? 'drainDuid' : 'undrainDuid', setId: a.group, duid: a.duid };
    }
    default: {
      const a = args as ClusterEventArgs['clear_overrides'];
      return { kind: 'clearOverrides', setId: a.group, target: a.target };
    }
  }
}

/** Applies one remote event to the local engine. Throws what the engine throws. */
export async function applyClusterEvent<K extends ClusterEventKind>(
  t: ClusterApplyTarget,
  kind: K,
  args: ClusterEventArgs[K],
  o: ApplyOptions = {},
): Promise<void> {
  const c = changeOfEvent(kind, args);
  switch (c.kind) {
    case 'reload': {
      const src = await t.reloadSource();
      await guarded(() => (t.reload ? t.reload(src) : t.ds.reload(src)), o);
      return;
    }
    case 'add': {
      const info = parseDestinationUri(c.uri);
      if (!('error' in info) && hasDest(t.ds.list, c.setId, info.uri)) {
        t.log?.info(`cluster: add ${c.uri} to set ${c.setId}: already there`);
        return;
      }
      await guarded(() => t.ds.add(c.setId, c.uri, c.flags, c.priority, c.attrs), o);
      return;
    }
    case 'remove': {
      const info = parseDestinationUri(c.uri);
      if ('error' in info || !hasDest(t.ds.list, c.setId, info.uri)) {
        t.log?.info(`cluster: remove ${c.uri} from set ${c.setId}: not there`);
        return;
      }
      await guarded(() => t.ds.remove(c.setId, c.uri), o);
      return;
    }
    case 'setState':
      t.ds.setStateRpc(c.state, c.setId, c.uri, false);
      return;
    case 'setDuidState':
      t.ds.setStateRpc(c.state, c.setId, c.duid, true);
      return;
    case 'clearOverrides': {
      // nothing to drop here is fine: this node may never have heard of the state
      const n = t.ds.clearAdminStates(c.setId ?? undefined, c.target ?? undefined).length;
      t.log?.info(`cluster: clear_overrides dropped ${n} admin state(s) here`);
      return;
    }
    default:
      // the cluster's dsd_drain row keeps it, not this node's state file
      applyDrainChange(t.ds, c, false, Date.now());
      return;
  }
}

/**
 * The dsd_drain rows of a drain change just applied here (to store with the event): a
 * drain by duid is one duid row; by URI or `all`, one row per URI; an undrain lifts every
 * way its destinations were drained, so it writes their URI rows and their duid rows.
 */
export function drainRowsFor(list: DsList | null, c: DrainChange, at: number): DrainRow[] {
  const t = drainTarget(c);
  if (t.on && t.byDuid && t.target !== 'all') return [{ setId: c.setId, duid: t.target, draining: true, at }];
  let dests;
  try {
    dests = targets(list, c.setId, t.target, t.byDuid, 'drain').dests;
  } catch {
    return [];
  }
  const rows: DrainRow[] = [];
  for (const d of dests) {
    rows.push({ setId: c.setId, uri: d.uri, draining: t.on, at });
    if (!t.on && d.attrs.duid !== null) rows.push({ setId: c.setId, duid: d.attrs.duid, draining: false, at });
  }
  return rows;
}

/**
 * The admin-state entries a set_state / set_duid_state just recorded in the engine (to
 * store with the event): the one for `target`, or every entry of the set for `all`.
 */
export function adminEntriesFor(
  entries: readonly AdminStateEntry[],
  group: number,
  target: string,
  byDuid: boolean,
): AdminStateEntry[] {
  const l = target.toLowerCase();
  // `all` is recorded per destination URI by the engine, for both methods.
  return entries.filter(
    (e) =>
      e.setId === group &&
      (target === 'all' ? e.uri !== undefined : byDuid ? e.duid?.toLowerCase() === l : e.uri?.toLowerCase() === l),
  );
}

/** This node's destinations and their states, for the heartbeat (cluster.list dest). */
export function destStatesOf(list: DsList | null): DestStateView[] {
  const out: DestStateView[] = [];
  for (const s of list?.sets ?? [])
    for (const d of s.dests) out.push({ set: s.id, uri: d.uri, flags: flagsString(d.flags) });
  return out;
}
