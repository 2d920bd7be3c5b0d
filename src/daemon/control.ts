/**
 * The daemon's control socket: core.*, system.*, tm.stats and dispatcher.* over
 * JSON-RPC, with dsctl's --persist (or modparam ds_rpc_persist) writing add / remove /
 * set_state back to the list file.
 */
import { ControlServer, faultOf } from '../control/server';
import { startJsonrpcs, type Jsonrpcs } from '../modules/jsonrpcs';
import type { JsonrpcsConfig } from '../modules/jsonrpcs/config';
import { MethodRegistry } from '../control/registry';
import { registerCoreMethods } from '../control/core-methods';
import type { TmCounters } from '../control/tm-stats';
import type { ProxyCore } from '../proxy/core';
import type { DispatcherRuntime } from '../modules/dispatcher/runtime';
import type { ListChangeKind } from '../modules/dispatcher/stats';
import { dispatcherRpcMethods } from '../modules/dispatcher/rpc-handlers';
import { overrideRpcMethods } from '../modules/dispatcher/override-rpc';
import { lbRpcMethods, reloadDryRun } from '../modules/dispatcher/lb/rpc';
import { ListFileWriter } from '../modules/dispatcher/list-writer';
import { parseRpcState } from '../modules/dispatcher/flags';
import { RpcError } from '../rpc-api/errors';
import { DbError } from '../db/errors';
import type { DispatcherDb } from '../db/daemon-glue';
import type { Logger } from '../core/log';
import type { ModuleRpc } from '../modules/services';
import { VERSION } from '../core/version';
import { auditSink, registerLogMethods } from './operator-methods';
import { applyCtlOwner, type CtlSocketAccess } from './ctl-owner';
import type { CtlLimits } from './ctl-config';

export interface ControlOptions {
  path: string;
  /** jsonrpcs' transports (null/absent: the module is not loaded). */
  jsonrpcs?: JsonrpcsConfig | null;
  /** Idle timeout and connection cap of the control socket. */
  limits?: CtlLimits;
  core: ProxyCore;
  dispatcher: DispatcherRuntime;
  log: Logger;
  startedAt: Date;
  persistDefault: boolean;
  /** The destinations live in a database (and maybe a cluster): null for a list file. */
  dsDb: DispatcherDb | null;
  /** ctl's mode / user / group for the socket file. */
  access?: CtlSocketAccess;
  /** Methods of loaded modules (pike.top, …). */
  moduleRpc?: readonly ModuleRpc[];
  /** Methods of optional modules (tls.*, ws.*). */
  extraMethods?: (registry: MethodRegistry) => void;
}

function tmCounters(core: ProxyCore): TmCounters {
  const s = core.txns.stats;
  return {
    current: s.current, waiting: s.waiting, total: s.total, totalLocal: s.totalLocal,
    replyReceived: s.rplReceived, replyGenerated: s.rplGenerated, replySent: s.rplSent,
    replies6xx: s.byClass[6], replies5xx: s.byClass[5], replies4xx: s.byClass[4],
    replies3xx: s.byClass[3], replies2xx: s.byClass[2], created: s.created, freed: s.freed, delayedFree: 0,
  };
}

export function buildRegistry(o: ControlOptions): MethodRegistry {
  const registry = new MethodRegistry();
  registry.onAudit = auditSink(o.log);
  registerLogMethods(registry, o.log);
  registerCoreMethods(registry, {
    version: VERSION, startedAt: o.startedAt,
    tmStats: { snapshot: () => tmCounters(o.core) },
  });
  o.extraMethods?.(registry);
  const ds = o.dispatcher.ds;
  const listFile = ds.params.db_url ? null : ds.params.list_file;
  const writer = listFile ? new ListFileWriter(listFile) : null;
  const persist = (what: string, f: () => void): void => {
    if (!writer) throw RpcError.of('persistFailed', `${what}: the destinations do not come from a list file`);
    try {
      f();
    } catch (e) {
      throw RpcError.of('persistFailed', `${what}: ${(e as Error).message}`);
    }
  };
  const listChanges: Record<string, ListChangeKind> = {
    'dispatcher.reload': 'reload', 'dispatcher.add': 'add', 'dispatcher.remove': 'remove',
  };
  const methods = dispatcherRpcMethods(ds);
  const dsDb = o.dsDb;
  if (dsDb) methods['dispatcher.reload'] = async () => (await ds.reload(await dsDb.listSource.reload())).message;
  const lbHost = o.dispatcher.lbHost(async () => (dsDb ? dsDb.listSource.reload() : undefined));
  for (const [name, h] of Object.entries(methods)) {
    const kind = listChanges[name];
    registry.register(name, async (call) => {
      // dry run: nothing changes, so nothing is counted, persisted or published
      if (name === 'dispatcher.reload' && call.args[0] === 'dry-run') return reloadDryRun(lbHost);
      let result: unknown;
      try {
        result = await h(call.args);
      } catch (e) {
        if (kind) o.dispatcher.listChanged(kind, false);
        throw e;
      }
      if (kind) o.dispatcher.listChanged(kind, true);
      if (dsDb) {
        try {
          await dsDb.afterRpc(name, call.args, call.persist || o.persistDefault);
        } catch (e) {
          if (e instanceof DbError) throw RpcError.of('persistDbFailed', `${name}: ${e.message}`);
          throw e;
        }
      } else if (call.persist || o.persistDefault) {
        const a = call.args as readonly unknown[];
        if (name === 'dispatcher.add') {
          persist(name, () => writer!.add(Number(a[0]), String(a[1]), Number(a[2] ?? 0), Number(a[3] ?? 0),
            a[4] === undefined || a[4] === null ? null : String(a[4])));
        } else if (name === 'dispatcher.remove') {
          persist(name, () => writer!.remove(Number(a[0]), String(a[1])));
        } else if (name === 'dispatcher.set_state') {
          const st = parseRpcState(String(a[0]));
          if (st.ok) persist(name, () => writer!.setState(Number(a[1]), String(a[2]), st.state));
        } else if (name === 'dispatcher.set_duid_state') {
          // The list file has no duid column of its own: rewrite the lines of the URIs that carry it.
          const st = parseRpcState(String(a[0]));
          const setId = Number(a[1]);
          const duid = String(a[2]).toLowerCase();
          const uris = (ds.list?.byId.get(setId)?.dests ?? []).filter((d) => duid === 'all' || d.attrs.duid?.toLowerCase() === duid).map((d) => d.uri);
          if (st.ok) persist(name, () => { for (const u of new Set(uris)) writer!.setState(setId, u, st.state); });
        }
      }
      return result;
    }, { check: false });
  }
  for (const m of o.moduleRpc ?? []) registry.register(m.name, (call) => m.handler(call.args), { check: false });
  for (const [name, h] of Object.entries(lbRpcMethods(lbHost))) {
    registry.register(name, (call) => h(call.args, call.persist || o.persistDefault));
  }
  registry.register('dispatcher.stats', () => o.dispatcher.counters.rpcEntries(ds.list));
  for (const [name, h] of Object.entries(overrideRpcMethods(ds))) registry.register(name, (call) => h(call.args), { check: false });
  const clusterList = dsDb?.clusterListHandler();
  if (clusterList) {
    registry.register('cluster.list', async (call) => {
      try {
        return await clusterList(call.args, call.named);
      } catch (e) {
        if (e instanceof DbError) throw RpcError.of('clusterUnavailable', e.message);
        throw e;
      }
    }, { check: false });
  }
  return registry;
}

/** The control socket, and jsonrpcs' FIFO/datagram transports on the same methods when loaded. */
export interface ControlEndpoints {
  readonly server: ControlServer;
  close(): Promise<void>;
}

export async function startControl(o: ControlOptions): Promise<ControlEndpoints> {
  const fields = (obj: object) => obj as Record<string, unknown>;
  const log = {
    debug: (obj: object, m?: string) => o.log.debug(`ctl: ${m ?? ''}`, fields(obj)),
    info: (obj: object, m?: string) => o.log.info(`ctl: ${m ?? ''}`, fields(obj)),
    warn: (obj: object, m?: string) => o.log.warn(`ctl: ${m ?? ''}`, fields(obj)),
    error: (obj: object, m?: string) => o.log.error(`ctl: ${m ?? ''}`, fields(obj)),
  };
  const registry = buildRegistry(o);
  const server = new ControlServer({
    path: o.path, registry, log, mode: o.access?.mode,
    idleTimeoutMs: o.limits?.idleTimeoutMs, maxConnections: o.limits?.maxConnections,
  });
  await server.start();
  if (o.access) {
    try {
      applyCtlOwner(o.path, o.access);
    } catch (e) {
      await server.close();
      throw e;
    }
  }
  let rpc: Jsonrpcs | null = null;
  if (o.jsonrpcs) {
    try {
      rpc = await startJsonrpcs(o.jsonrpcs, registry, o.log, faultOf);
    } catch (e) {
      await server.close();
      throw e;
    }
  }
  return {
    server,
    async close() {
      rpc?.close();
      await server.close();
    },
  };
}
