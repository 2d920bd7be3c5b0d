/**
 * The daemon's control socket: core.*, system.*, tm.stats and dispatcher.* over
 * JSON-RPC, with dsctl's --persist (or modparam ds_rpc_persist) writing add / remove /
 * set_state back to the list file.
 */
import { ControlServer } from '../control/server';
import { MethodRegistry } from '../control/registry';
import { registerCoreMethods } from '../control/core-methods';
import type { TmCounters } from '../control/tm-stats';
import type { ProxyCore } from '../proxy/core';
import type { DispatcherRuntime } from '../modules/dispatcher/runtime';
import type { ListChangeKind } from '../modules/dispatcher/stats';
import { dispatcherRpcMethods } from '../modules/dispatcher/rpc-handlers';
import { ListFileWriter } from '../modules/dispatcher/list-writer';
import { parseRpcState } from '../modules/dispatcher/flags';
import { RpcError } from '../rpc-api/errors';
import { DbError } from '../db/errors';
import type { DispatcherDb } from '../db/daemon-glue';
import type { Logger } from '../core/log';
import { VERSION } from '../core/version';

export interface ControlOptions {
  path: string;
  core: ProxyCore;
  dispatcher: DispatcherRuntime;
  log: Logger;
  startedAt: Date;
  persistDefault: boolean;
  /** The destinations live in a database (and maybe a cluster): null for a list file. */
  dsDb: DispatcherDb | null;
  /** false: another worker writes --persist changes (src/workers); default true. */
  persistHere?: boolean;
  /** core.workers: this process's row (a worker adds its index and handoff counters). */
  workerRow?: () => WorkerRow;
}

export interface WorkerRow {
  INDEX: number; PID: number; READY: number; REQUESTS: number; REPLIES: number;
  HANDED_OFF: number; HANDED_IN: number; TRANSACTIONS: number;
}

export function workerRowOf(core: ProxyCore, index: number, handedOff: number, handedIn: number): WorkerRow {
  return {
    INDEX: index, PID: process.pid, READY: 1, REQUESTS: core.stats.requestsIn, REPLIES: core.stats.repliesIn,
    HANDED_OFF: handedOff, HANDED_IN: handedIn, TRANSACTIONS: core.txns.stats.current,
  };
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
  registerCoreMethods(registry, {
    version: VERSION, startedAt: o.startedAt,
    tmStats: { snapshot: () => tmCounters(o.core) },
  });
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
  for (const [name, h] of Object.entries(methods)) {
    const kind = listChanges[name];
    registry.register(name, async (call) => {
      let result: unknown;
      try {
        result = await h(call.args);
      } catch (e) {
        if (kind) o.dispatcher.listChanged(kind, false);
        throw e;
      }
      if (kind) o.dispatcher.listChanged(kind, true);
      if (o.persistHere === false) return result;
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
        }
      }
      return result;
    }, { check: false });
  }
  registry.register('dispatcher.stats', () => o.dispatcher.counters.rpcEntries(ds.list));
  registry.register('core.workers', () => [o.workerRow ? o.workerRow() : workerRowOf(o.core, 0, 0, 0)]);
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

export async function startControl(o: ControlOptions): Promise<ControlServer> {
  const line = (m: string | undefined, obj: object): string => `ctl: ${m ?? ''} ${JSON.stringify(obj)}`;
  const log = {
    debug: (obj: object, m?: string) => o.log.debug(line(m, obj)),
    info: (obj: object, m?: string) => o.log.info(line(m, obj)),
    warn: (obj: object, m?: string) => o.log.warn(line(m, obj)),
    error: (obj: object, m?: string) => o.log.error(line(m, obj)),
  };
  const server = new ControlServer({ path: o.path, registry: buildRegistry(o), log });
  await server.start();
  return server;
}
