/**
 * An admin change to the destinations as one typed value. The RPC decodes its positional
 * parameters into a DsChange once (as Kamailio's jsonrpcs scan reads them); then the
 * engine applies it, and the backends each apply the same value: the list-file writer
 * (--persist), the database writer and the cluster publisher. SIGHUP is a `reload`
 * change, not a pretend RPC; a cluster event from another node decodes to one too.
 */
import type { Dispatcher } from './engine';
import { DsRpcError } from './errors';
import type { ReloadSource } from './list-manager';
import { rpcScan } from './rpc-scan';
import { type DrainChange, drainChange } from './lb/drain';
import { applyDrainChange, DRAIN_OK, UNDRAIN_OK } from './lb/operations';

export type DsChange =
  | { readonly kind: 'reload' }
  | {
      readonly kind: 'add';
      readonly setId: number;
      readonly uri: string;
      readonly flags: number;
      readonly priority: number;
      readonly attrs: string | null;
    }
  | { readonly kind: 'remove'; readonly setId: number; readonly uri: string }
  /** `uri` may be `all`. `state` is the text as given (`ip`, `a`, `1`, …). */
  | { readonly kind: 'setState'; readonly state: string; readonly setId: number; readonly uri: string }
  | { readonly kind: 'setDuidState'; readonly state: string; readonly setId: number; readonly duid: string }
  /** dispatcher.clear_overrides: all (setId null), those of a set (target null), or one URI or duid. */
  | { readonly kind: 'clearOverrides'; readonly setId: number | null; readonly target: string | null }
  /** dsd extension: drain / undrain (lb/drain.ts). */
  | DrainChange;

export type DsChangeKind = DsChange['kind'];

/** The RPC method of each kind of change. */
export const CHANGE_METHODS: Readonly<Record<DsChangeKind, string>> = {
  reload: 'dispatcher.reload',
  add: 'dispatcher.add',
  remove: 'dispatcher.remove',
  setState: 'dispatcher.set_state',
  setDuidState: 'dispatcher.set_duid_state',
  drain: 'dispatcher.drain',
  drainDuid: 'dispatcher.drain_duid',
  undrain: 'dispatcher.undrain',
  undrainDuid: 'dispatcher.undrain_duid',
  clearOverrides: 'dispatcher.clear_overrides',
};

/** Kamailio answers "Ongoing reload" before "Invalid Parameters" and stamps the time. */
function guardThenFail(engine: Dispatcher, detail: string): never {
  engine.stampReloadGuard();
  throw DsRpcError.of('invalidParameters', detail);
}

/** Decodes an RPC's positional parameters; throws the fault Kamailio answers for bad ones. */
export function decodeChange(engine: Dispatcher, kind: DsChangeKind, params: readonly unknown[]): DsChange {
  switch (kind) {
    case 'reload':
      return { kind };
    case 'add': {
      // Kamailio checks (and stamps) reload_delta before looking at the parameters.
      const s = rpcScan(params, 'dS*ddS');
      if (s.count < 2) {
        guardThenFail(
          engine,
          'group and address are required: dispatcher.add group address [flags [priority [attrs]]]',
        );
      }
      const [setId, uri, flags, priority, attrs] = s.values as [number, string, number?, number?, string?];
      return {
        kind,
        setId,
        uri,
        flags: flags ?? 0,
        priority: priority ?? 0,
        attrs: s.count <= 4 ? null : (attrs ?? null),
      };
    }
    case 'remove': {
      const s = rpcScan(params, 'dS');
      if (s.count < 2) guardThenFail(engine, 'group and address are required: dispatcher.remove group address');
      return { kind, setId: s.values[0] as number, uri: s.values[1] as string };
    }
    case 'setState':
    case 'setDuidState': {
      const byDuid = kind === 'setDuidState';
      const s = rpcScan(params, '.SdS');
      if (s.count < 3) {
        throw DsRpcError.of(
          'invalidParameters',
          `usage: ${CHANGE_METHODS[kind]} state group ${byDuid ? 'duid' : 'address'}|all`,
        );
      }
      const [state, setId, target] = s.values as [string, number, string];
      return byDuid ? { kind, state, setId, duid: target } : { kind, state, setId, uri: target };
    }
    case 'drain':
    case 'drainDuid':
    case 'undrain':
    case 'undrainDuid': {
      const byDuid = kind === 'drainDuid' || kind === 'undrainDuid';
      const s = rpcScan(params, 'dS');
      if (s.count < 2)
        throw DsRpcError.of(
          'invalidParameters',
          `usage: ${CHANGE_METHODS[kind]} group ${byDuid ? 'duid' : 'address'}|all`,
        );
      return drainChange(
        kind === 'drain' || kind === 'drainDuid',
        byDuid,
        s.values[0] as number,
        s.values[1] as string,
      );
    }
    case 'clearOverrides': {
      const s = rpcScan(params, '*dS');
      const raw = s.count >= 2 ? String(s.values[1]) : null;
      return { kind, setId: s.count >= 1 ? (s.values[0] as number) : null, target: raw === 'all' ? null : raw };
    }
  }
}

/**
 * Forgets admin states; the destinations keep their current state. Asked for a set or a
 * target that has none, the RPC answers 404 Override Not Found; a cluster node applying
 * another node's clear (`strict` false) just has nothing to drop.
 */
function clearOverrides(engine: Dispatcher, c: Extract<DsChange, { kind: 'clearOverrides' }>, strict = true): string {
  const dropped = engine.clearAdminStates(c.setId ?? undefined, c.target ?? undefined);
  if (strict && dropped.length === 0 && c.setId !== null) {
    throw DsRpcError.of(
      'overrideNotFound',
      c.target !== null ? `no admin state for ${c.target} in set ${c.setId}` : `no admin state in set ${c.setId}`,
    );
  }
  return `Ok. ${dropped.length} override(s) cleared.`;
}

/**
 * Applies a change to the engine; the result is the RPC's answer (set_state answers at once,
 * as it always did; the others once the list is rebuilt). `reloadSource` gives
 * the records of a reload (the database's), undefined for the list file.
 */
export function applyChange(
  engine: Dispatcher,
  c: DsChange,
  reloadSource?: () => Promise<ReloadSource | undefined>,
): string | Promise<string> {
  switch (c.kind) {
    case 'reload':
      return reload(engine, reloadSource);
    case 'add':
      return engine.add(c.setId, c.uri, c.flags, c.priority, c.attrs);
    case 'remove':
      return engine.remove(c.setId, c.uri);
    case 'setState':
      return engine.setStateRpc(c.state, c.setId, c.uri, false);
    case 'setDuidState':
      return engine.setStateRpc(c.state, c.setId, c.duid, true);
    case 'drain':
    case 'drainDuid':
    case 'undrain':
    case 'undrainDuid':
      // not persisted in this node's state file: a change from outside the RPC (the cluster)
      applyDrainChange(engine, c, false, Date.now());
      return c.kind === 'drain' || c.kind === 'drainDuid' ? DRAIN_OK : UNDRAIN_OK;
    case 'clearOverrides':
      return clearOverrides(engine, c);
  }
}

async function reload(engine: Dispatcher, source?: () => Promise<ReloadSource | undefined>): Promise<string> {
  return (await engine.reload(source ? await source() : undefined)).message;
}

/** Whatever keeps or spreads applied changes (list file, database, cluster). */
export interface DsChangeSink {
  apply(change: DsChange): void | Promise<void>;
}
