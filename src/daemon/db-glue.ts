/**
 * Everything the daemon needs when the destinations live in a database, behind one object:
 *
 *   const dsDb = await DispatcherDb.create({ ds, db, cluster, loadedModules, log, … });  // null: no db_url
 *   runtime   = new DispatcherRuntime({ …, listSource: dsDb.listSource, adminSource: dsDb.adminSource });
 *   dsDb.attach(runtime);           // cluster: remote events → this engine
 *   await dsDb.startCluster();      // before runtime.start(): admin states come from the cluster
 *   await runtime.start();
 *   …  after a change applied locally: await dsDb.afterChange(change, persist)
 *   …  on stop:                       await dsDb.close()
 *
 * It checks the cfg (db_url parses, its driver module is loaded, the table modparams are
 * identifiers, ds_cluster has a PostgreSQL URL), creates a missing SQLite file with the
 * schema, applies the start policy (database down: DbError → exit, or an empty list with
 * ds_db_start_empty), turns a failed reload into Kamailio's "Reload Failed" with the
 * masked reason, writes --persist changes, and publishes / applies cluster events.
 */

import os from 'node:os';
import type { Dispatcher } from '../modules/dispatcher/engine';
import type { DsParams } from '../modules/dispatcher/params';
import type { ReloadSource } from '../modules/dispatcher/list-manager';
import type { AdminStateEntry } from '../modules/dispatcher/admin-state';
import { DsRpcError } from '../modules/dispatcher/errors';
import { parseRpcState } from '../modules/dispatcher/flags';
import { CHANGE_METHODS, type DsChange } from '../modules/dispatcher/change';
import { ClusterNode } from '../cluster/node';
import { ClusterParams, checkClusterConfig, goneAfter } from '../cluster/params';
import { adminEntriesFor, applyClusterEvent, destStatesOf, drainRowsFor } from '../cluster/apply';
import type { DrainRow } from '../cluster/store';
import type { DrainEntry } from '../modules/dispatcher/lb/drain';
import { clusterList, ClusterListEntry, wantsDest } from '../cluster/rpc';
import type { ClusterEventArgs, ClusterEventKind } from '../cluster/messages';
import type { ForgetSpec } from '../cluster/store';
import { DbError } from '../db/errors';
import { DbListSource, DbLog, loadAtStart } from '../modules/dispatcher/db/list-source';
import { withDb } from '../db/open';
import { DsdDbParams } from '../modules/dispatcher/db/params';
import { deleteDestination, insertDestination, persistDestinationState } from '../modules/dispatcher/db/persist';
import { ensureSqliteSchema, formatDbInitReport, runDbInit } from '../modules/dispatcher/db/schema';
import { DsTableConfig, tableConfigFromParams } from '../modules/dispatcher/db/table-config';
import { checkDbModule, DbUrl, moduleBaseName, parseDbUrl } from '../db/url';
import { DB_MODULES } from '../modules/db/script';

/** What DispatcherDb needs from the dispatcher runtime. */
export interface RuntimeLike {
  readonly ds: Dispatcher;
  /** Reload through the runtime (stats, initial-state events); source from listSource.reload. */
  reload(source?: ReloadSource): Promise<unknown>;
  listChanged?(kind: 'reload' | 'add' | 'remove', ok: boolean): void;
}

export interface DispatcherDbOptions {
  readonly ds: DsParams;
  readonly db: DsdDbParams;
  readonly cluster: ClusterParams;
  /** Names of the cfg's loadmodule lines (db_url's driver must be one of them). */
  readonly loadedModules: readonly string[];
  readonly log: DbLog;
  /** Node identity for the cluster. */
  readonly version: string;
  /** First SIP listen address, e.g. "udp:10.0.0.5:5060" (cluster.list ADDRESS, default node name). */
  readonly address: string;
}

/** The default cluster node name: host name + first listen address (unique per box and port). */
function defaultNodeName(address: string, host = os.hostname()): string {
  return `${host}/${address}`;
}

export class DispatcherDb {
  readonly url: DbUrl;
  readonly table: DsTableConfig;
  readonly source: DbListSource;
  readonly cluster: ClusterNode | null;
  private readonly o: DispatcherDbOptions;
  private runtime: RuntimeLike | null = null;

  private constructor(o: DispatcherDbOptions, url: DbUrl, table: DsTableConfig) {
    this.o = o;
    this.url = url;
    this.table = table;
    this.source = new DbListSource({ url, table, loadMode: o.ds.ds_load_mode, log: o.log });
    this.cluster = o.cluster.enabled
      ? new ClusterNode({
          url,
          name: o.cluster.nodeName ?? defaultNodeName(o.address),
          address: o.address,
          version: o.version,
          channel: o.cluster.channel,
          heartbeatSec: o.cluster.heartbeatSec,
          log: o.log,
        })
      : null;
  }

  /**
   * null when the cfg has no db_url. Throws DbError (kind url / module / config /
   * connect) for a cfg that cannot work: the daemon exits non-zero with its message.
   */
  static async create(o: DispatcherDbOptions): Promise<DispatcherDb | null> {
    if (o.ds.db_url === null || o.ds.db_url.length === 0) {
      checkClusterConfig(o.cluster, null);
      for (const m of o.loadedModules.map(moduleBaseName).filter((x) => DB_MODULES.includes(x))) {
        o.log.warn(
          `dispatcher: loadmodule "${m}.so" has no effect without modparam("dispatcher", "db_url", …): destinations come from ${o.ds.list_file}`,
        );
      }
      return null;
    }
    const url = parseDbUrl(o.ds.db_url);
    checkDbModule(url, o.loadedModules);
    checkClusterConfig(o.cluster, url);
    const table = tableConfigFromParams(o.ds, url.masked);
    await ensureSqliteSchema(url, { table, log: (l) => o.log.info(`dispatcher: ${l}`) });
    return new DispatcherDb(o, url, table);
  }

  /** For DispatcherRuntime: where the list comes from at start and on every reload. */
  readonly listSource = {
    /** Start: DbError when the database is down (unless ds_db_start_empty). */
    initial: (): Promise<ReloadSource> =>
      loadAtStart(this.source, { startEmpty: this.o.db.startEmpty, log: this.o.log }),
    /** Reload: a DB failure is Kamailio's "Reload Failed" fault, with the masked reason. */
    reload: (): Promise<ReloadSource> => this.readOrFail(() => this.source.source()),
    /** A dry-run reload: every bad row reported in the result, none logged. */
    dryRun: (): Promise<ReloadSource> => this.readOrFail(() => this.source.dryRunSource()),
  };

  private async readOrFail(read: () => Promise<ReloadSource>): Promise<ReloadSource> {
    try {
      return await read();
    } catch (e) {
      if (e instanceof DbError) throw DsRpcError.of('reloadFailed', e.message);
      throw e;
    }
  }

  /** For DispatcherRuntime: with a cluster, the admin states come from the cluster table. */
  get adminSource(): (() => Promise<AdminStateEntry[]>) | undefined {
    const c = this.cluster;
    if (c === null) return undefined;
    return async () => (c.connected ? c.adminStates() : []);
  }

  /** For DispatcherRuntime: with a cluster, the drains come from the cluster table too. */
  get drainSource(): (() => Promise<DrainEntry[]>) | undefined {
    const c = this.cluster;
    if (c === null) return undefined;
    return async () => (c.connected ? drainEntries(await c.drains()) : []);
  }

  /** Binds the cluster's remote events, resync and heartbeat view to the runtime. */
  attach(runtime: RuntimeLike): void {
    this.runtime = runtime;
    const c = this.cluster;
    if (c === null) return;
    const ds = runtime.ds;
    const target = {
      ds,
      reload: (src: ReloadSource) => runtime.reload(src),
      reloadSource: () => this.source.source(),
      log: this.o.log,
    };
    c.onRemote = async (kind, args, origin) => {
      await applyClusterEvent(target, kind, args);
      if (kind === 'add' || kind === 'remove') runtime.listChanged?.(kind, true);
      this.o.log.info(`cluster: applied ${kind} from ${origin}`);
    };
    c.onResync = async () => {
      await runtime.reload(await this.source.source());
      ds.importAdminStates(await c.adminStates(), 'cluster');
      ds.lb.drains.replace(drainEntries(await c.drains()));
    };
    c.destStates = () => destStatesOf(ds.list);
  }

  /** Connects the cluster node (before runtime.start()); false = reconnecting in the background. */
  async startCluster(): Promise<boolean> {
    return this.cluster ? this.cluster.start() : true;
  }

  /** After runtime.start(): the first heartbeat carries the loaded list. */
  async started(): Promise<void> {
    await this.cluster?.heartbeat().catch(() => undefined);
  }

  /**
   * After a change was applied locally: with `persist`, the database writer stores it
   * first (so a node that hears the event and reloads finds the row); with a cluster, the
   * publisher sends it (queued while PostgreSQL is away; a publish error is logged, it
   * never fails the RPC since the change is live here). A persist failure is thrown
   * afterwards as the DbError (the RPC answers a fault: live, but not stored).
   */
  async afterChange(change: DsChange, persist: boolean): Promise<void> {
    let failed: unknown = null;
    if (persist) {
      try {
        await this.persist(change);
      } catch (e) {
        failed = e;
      }
    }
    if (this.cluster) {
      try {
        await this.publish(change);
      } catch (e) {
        this.o.log.error(
          `cluster: ${CHANGE_METHODS[change.kind]} not sent to the other nodes: ${(e as Error).message}`,
        );
      }
    }
    if (failed !== null) throw failed;
  }

  /** The database writer. */
  private async persist(c: DsChange): Promise<void> {
    const t = this.table;
    switch (c.kind) {
      case 'reload':
      case 'clearOverrides':
        return;
      case 'add':
        await withDb(this.url, (db) =>
          insertDestination(db, t, {
            setId: c.setId,
            uri: c.uri,
            flags: c.flags,
            priority: c.priority,
            attrs: c.attrs,
          }),
        );
        return;
      case 'remove':
        await withDb(this.url, (db) => deleteDestination(db, t, c.setId, c.uri));
        return;
      case 'setState':
      case 'setDuidState': {
        const st = parseRpcState(c.state);
        if (!st.ok) return;
        const byDuid = c.kind === 'setDuidState';
        const target = c.kind === 'setDuidState' ? c.duid : c.uri;
        await withDb(this.url, (db) => persistDestinationState(db, t, c.setId, target, st.state, byDuid));
        return;
      }
      default:
        // Kamailio's table has no drain: --persist keeps it in the state file (or the cluster's dsd_drain)
        return;
    }
  }

  /** The cluster publisher. */
  private async publish(c: DsChange): Promise<void> {
    const node = this.cluster!;
    const ds = this.runtime?.ds;
    const send = <K extends ClusterEventKind>(
      kind: K,
      args: ClusterEventArgs[K],
      adminStates?: AdminStateEntry[],
      forget?: ForgetSpec,
    ): Promise<unknown> => node.publish(kind, args, { adminStates, forget });
    switch (c.kind) {
      case 'reload':
        await send('reload', {});
        return;
      case 'add':
        await send('add', { group: c.setId, address: c.uri, flags: c.flags, priority: c.priority, attrs: c.attrs });
        return;
      case 'remove':
        await send('remove', { group: c.setId, address: c.uri }, undefined, { setId: c.setId, uri: c.uri });
        return;
      case 'setState':
      case 'setDuidState': {
        const byDuid = c.kind === 'setDuidState';
        const target = c.kind === 'setDuidState' ? c.duid : c.uri;
        const entries = ds ? adminEntriesFor(ds.exportAdminStates(), c.setId, target, byDuid) : [];
        if (c.kind === 'setDuidState')
          await send('set_duid_state', { state: c.state, group: c.setId, duid: c.duid }, entries);
        else await send('set_state', { state: c.state, group: c.setId, address: c.uri }, entries);
        return;
      }
      case 'clearOverrides':
        // the rows go in the same transaction, so a node starting later does not import them back
        await send('clear_overrides', { group: c.setId, target: c.target }, undefined, {
          clear: true,
          setId: c.setId,
          target: c.target,
        });
        return;
      default: {
        const drains = drainRowsFor(ds?.list ?? null, c, Date.now());
        const opts = { drains };
        if (c.kind === 'drain' || c.kind === 'undrain')
          await node.publish(c.kind, { group: c.setId, address: c.uri }, opts);
        else
          await node.publish(
            c.kind === 'drainDuid' ? 'drain_duid' : 'undrain_duid',
            { group: c.setId, duid: c.duid },
            opts,
          );
        return;
      }
    }
  }

  /** The cluster.list handler (null without a cluster). */
  clusterListHandler():
    ((args: readonly unknown[], named?: Readonly<Record<string, unknown>>) => Promise<ClusterListEntry[]>) | null {
    const c = this.cluster;
    if (c === null) return null;
    const gone = goneAfter(this.o.cluster);
    return (args, named) => clusterList(c, gone, wantsDest(args, named));
  }

  async close(): Promise<void> {
    await this.cluster?.stop();
  }
}

/** The cluster's drain rows as the engine's drain entries (kept by the cluster, not the state file). */
function drainEntries(rows: readonly DrainRow[]): DrainEntry[] {
  return rows.map((r) =>
    r.duid !== undefined
      ? { setId: r.setId, duid: r.duid, at: r.at, persist: false }
      : { setId: r.setId, uri: r.uri!, at: r.at, persist: false },
  );
}

/**
 * `dsd db init -f dsd.cfg`: creates the dispatcher schema on the cfg's db_url and prints
 * what it did. Returns the exit code: 0 done (or nothing to do), 1 database error,
 * 2 the cfg has no db_url.
 */
export async function dbInitCommand(
  ds: DsParams,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  if (ds.db_url === null || ds.db_url.length === 0) {
    err('dsd db init: the config has no modparam("dispatcher", "db_url", …)');
    return 2;
  }
  try {
    const url = parseDbUrl(ds.db_url);
    const r = await runDbInit(url, { table: tableConfigFromParams(ds, url.masked) });
    for (const line of formatDbInitReport(r, url)) out(line);
    return 0;
  } catch (e) {
    err(`dsd db init: ${(e as Error).message}`);
    return 1;
  }
}
