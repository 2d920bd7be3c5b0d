/**
 * The daemon's control socket: core.*, system.*, tm.stats and dispatcher.* over
 * JSON-RPC, with dsctl's --persist (or modparam ds_rpc_persist) writing add / remove /
 * set_state back to the list file.
 */
import { ControlServer, faultOf } from '../control/server';
import { startJsonrpcs, type Jsonrpcs } from '../modules/jsonrpcs';
import type { JsonrpcsConfig } from '../modules/jsonrpcs/config';
import type { BinrpcAddress } from '../control/binrpc/address';
import { startBinrpcListeners, type BinrpcListeners } from '../control/binrpc/listeners';
import { registryBackend } from '../control/binrpc/backend';
import { MethodRegistry } from '../control/registry';
import { registerCoreMethods } from '../control/core-methods';
import type { TmCounters } from '../control/tm-stats';
import type { ProxyCore } from '../proxy/core';
import type { DispatcherRuntime } from '../modules/dispatcher/runtime';
import type { ListChangeKind } from '../modules/dispatcher/stats';
import { dispatcherRpcMethods } from '../modules/dispatcher/rpc-handlers';
import { overrideRpcMethods } from '../modules/dispatcher/override-rpc';
import { lbRpcMethods, reloadDryRun } from '../modules/dispatcher/lb/rpc';
import type { DrainChange } from '../modules/dispatcher/lb/drain';
import { ListFileWriter } from '../modules/dispatcher/list-writer';
import { CHANGE_METHODS, applyChange, decodeChange, type DsChangeKind } from '../modules/dispatcher/change';
import { RpcError } from '../rpc-api/errors';
import { DbError } from '../db/errors';
import type { DispatcherDb } from './db-glue';
import type { Logger } from '../core/log';
import type { ModuleRpc } from '../modules/services';
import { VERSION } from '../core/version';
import { auditSink, registerLogMethods } from './operator-methods';
import { applyCtlOwner } from './ctl-owner';
import type { CtlLimits, CtlSocketAccess } from '../modules/ctl/params';

export interface ControlOptions {
  path: string;
  /** ctl's further binrpc addresses (tcp:, udp:, unixd:, …). */
  binrpcExtra?: readonly BinrpcAddress[];
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
  /** false: another worker writes --persist changes (src/workers); default true. */
  persistHere?: boolean;
  /** false: the primary of several workers audits the calls (it knows the caller); default true. */
  audit?: boolean;
  /** core.workers: this process's row (a worker adds its index and handoff counters). */
  workerRow?: () => WorkerRow;
}

export interface WorkerRow {
  INDEX: number;
  PID: number;
  READY: number;
  REQUESTS: number;
  REPLIES: number;
  HANDED_OFF: number;
  HANDED_IN: number;
  TRANSACTIONS: number;
  CALLS_KEPT: number;
  CALLS_BY_HASH: number;
}

/** What a worker's link counts for its row (none in a single process). */
export interface WorkerCounts {
  readonly handedOff: number;
  readonly handedIn: number;
  readonly kept: number;
  readonly byHash: number;
}

const SINGLE: WorkerCounts = { handedOff: 0, handedIn: 0, kept: 0, byHash: 0 };

export function workerRowOf(core: ProxyCore, index: number, c: WorkerCounts = SINGLE): WorkerRow {
  return {
    INDEX: index,
    PID: process.pid,
    READY: 1,
    REQUESTS: core.stats.requestsIn,
    REPLIES: core.stats.repliesIn,
    HANDED_OFF: c.handedOff,
    HANDED_IN: c.handedIn,
    TRANSACTIONS: core.txns.stats.current,
    CALLS_KEPT: c.kept,
    CALLS_BY_HASH: c.byHash,
  };
}

function tmCounters(core: ProxyCore): TmCounters {
  const s = core.txns.stats;
  return {
    current: s.current,
    waiting: s.waiting,
    total: s.total,
    totalLocal: s.totalLocal,
    replyReceived: s.rplReceived,
    replyGenerated: s.rplGenerated,
    replySent: s.rplSent,
    replies6xx: s.byClass[6],
    replies5xx: s.byClass[5],
    replies4xx: s.byClass[4],
    replies3xx: s.byClass[3],
    replies2xx: s.byClass[2],
    created: s.created,
    freed: s.freed,
    delayedFree: 0,
  };
}

export function buildRegistry(o: ControlOptions): MethodRegistry {
  const registry = new MethodRegistry();
  if (o.audit !== false) registry.onAudit = auditSink(o.log);
  registerLogMethods(registry, o.log);
  registerCoreMethods(registry, {
    version: VERSION,
    startedAt: o.startedAt,
    tmStats: { snapshot: () => tmCounters(o.core) },
  });
  o.extraMethods?.(registry);
  const ds = o.dispatcher.ds;
  const listFile = ds.params.db_url ? null : ds.params.list_file;
  const writer = listFile ? new ListFileWriter(listFile, () => ds.list) : null;
  const dsDb = o.dsDb;
  const methods = dispatcherRpcMethods(ds);
  const lbHost = {
    ...o.dispatcher.lbHost(async () => (dsDb ? dsDb.listSource.dryRun() : undefined)),
    // a drain reaches the other nodes as set_state does (the state file keeps --persist)
    changed: (c: DrainChange, persist: boolean) =>
      o.persistHere === false ? undefined : dsDb?.afterChange(c, persist),
  };
  const changeMethods = new Map<string, DsChangeKind>(
    (Object.entries(CHANGE_METHODS) as Array<[DsChangeKind, string]>).map(([k, m]) => [m, k]),
  );
  for (const [name, h] of Object.entries(methods)) {
    const kind = changeMethods.get(name);
    if (kind === undefined) {
      registry.register(name, (call) => h(call.args), { check: false });
      continue;
    }
    // a change: decoded once, applied to the engine, then kept (list file or database)
    // and published (cluster) as the same typed value
    registry.register(
      name,
      async (call) => {
        // dry run: nothing changes, so nothing is counted, persisted or published
        if (kind === 'reload' && call.args[0] === 'dry-run') return reloadDryRun(lbHost);
        const change = decodeChange(ds, kind, call.args);
        const counted: ListChangeKind | null = kind === 'reload' || kind === 'add' || kind === 'remove' ? kind : null;
        let result: unknown;
        try {
          result = await applyChange(ds, change, dsDb ? () => dsDb.listSource.reload() : undefined);
        } catch (e) {
          if (counted) o.dispatcher.listChanged(counted, false);
          throw e;
        }
        if (counted) o.dispatcher.listChanged(counted, true);
        if (o.persistHere === false) return result;
        const persist = call.persist || o.persistDefault;
        if (dsDb) {
          try {
            await dsDb.afterChange(change, persist);
          } catch (e) {
            if (e instanceof DbError) throw RpcError.of('persistDbFailed', `${name}: ${e.message}`);
            throw e;
          }
        } else if (persist && kind !== 'reload') {
          if (!writer) throw RpcError.of('persistFailed', `${name}: the destinations do not come from a list file`);
          try {
            writer.apply(change);
          } catch (e) {
            throw RpcError.of('persistFailed', `${name}: ${(e as Error).message}`);
          }
        }
        return result;
      },
      { check: false },
    );
  }
  for (const m of o.moduleRpc ?? []) registry.register(m.name, (call) => m.handler(call.args), { check: false });
  for (const [name, h] of Object.entries(lbRpcMethods(lbHost))) {
    registry.register(name, (call) => h(call.args, call.persist || o.persistDefault));
  }
  registry.register('dispatcher.stats', () => o.dispatcher.counters.rpcEntries(ds.list));
  for (const [name, h] of Object.entries(overrideRpcMethods(ds)))
    registry.register(name, (call) => h(call.args), { check: false });
  registry.register('core.workers', () => [o.workerRow ? o.workerRow() : workerRowOf(o.core, 0)]);
  const clusterList = dsDb?.clusterListHandler();
  if (clusterList) {
    registry.register(
      'cluster.list',
      async (call) => {
        try {
          return await clusterList(call.args, call.named);
        } catch (e) {
          if (e instanceof DbError) throw RpcError.of('clusterUnavailable', e.message);
          throw e;
        }
      },
      { check: false },
    );
  }
  return registry;
}

/** The control socket, and jsonrpcs' FIFO/datagram transports on the same methods when loaded. */
export interface ControlEndpoints {
  readonly server: ControlServer;
  close(): Promise<void>;
}

/** Where and how the control methods are served (the primary of several workers passes its own registry). */
export type ServeOptions = Pick<ControlOptions, 'path' | 'log' | 'access' | 'limits' | 'binrpcExtra' | 'jsonrpcs'>;

export async function serveControl(registry: MethodRegistry, o: ServeOptions): Promise<ControlEndpoints> {
  const fields = (obj: object) => obj as Record<string, unknown>;
  const log = {
    debug: (obj: object, m?: string) => o.log.debug(`ctl: ${m ?? ''}`, fields(obj)),
    info: (obj: object, m?: string) => o.log.info(`ctl: ${m ?? ''}`, fields(obj)),
    warn: (obj: object, m?: string) => o.log.warn(`ctl: ${m ?? ''}`, fields(obj)),
    error: (obj: object, m?: string) => o.log.error(`ctl: ${m ?? ''}`, fields(obj)),
  };
  const server = new ControlServer({
    path: o.path,
    registry,
    log,
    mode: o.access?.mode,
    idleTimeoutMs: o.limits?.idleTimeoutMs,
    maxConnections: o.limits?.maxConnections,
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
  let extra: BinrpcListeners | null = null;
  try {
    if (o.binrpcExtra?.length) {
      extra = await startBinrpcListeners(
        o.binrpcExtra,
        registryBackend(registry, log, faultOf),
        {
          idleTimeoutMs: o.limits?.idleTimeoutMs ?? 120_000,
          maxConnections: o.limits?.maxConnections ?? 128,
          // ctl's mode, user and group are for every Unix socket it makes, as in Kamailio
          mode: o.access?.mode ?? 0o660,
        },
        log,
      );
      for (const a of o.binrpcExtra)
        if (o.access && (a.kind === 'unixs' || a.kind === 'unixd')) applyCtlOwner(a.path, o.access);
    }
    if (o.jsonrpcs) rpc = await startJsonrpcs(o.jsonrpcs, registry, o.log, faultOf);
  } catch (e) {
    await extra?.close();
    await server.close();
    throw e;
  }
  return {
    server,
    async close() {
      rpc?.close();
      await extra?.close();
      await server.close();
    },
  };
}
