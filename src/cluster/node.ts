/**
 * One dsd node of a cluster sharing a PostgreSQL db_url (modparam ds_cluster 1).
 *
 * - Events (reload, add, remove, set_state, set_duid_state, [un]drain[_duid]) go out with NOTIFY on one
 *   channel and come in through LISTEN on the same session; the daemon applies a remote
 *   event locally (onRemote) without publishing it again.
 * - Admin states are rows of dsd_admin_state, written in the same transaction as their
 *   NOTIFY (so a node that hears the event finds the row); adminStates() gives a starting
 *   node the cluster's current decisions. Newer decisions win (at_ms). Drains are rows of
 *   dsd_drain, the same way (drains()).
 * - A heartbeat row per node in dsd_nodes, with the node's own view of its destinations.
 * - Losing PostgreSQL never stops routing: the node logs once, keeps its list, queues what
 *   it publishes meanwhile, reconnects with exponential backoff, then flushes the queue and
 *   calls onResync (the daemon reloads from the DB and re-imports the admin states).
 */

import { randomUUID } from 'node:crypto';
import type { AdminStateEntry } from '../modules/dispatcher/admin-state';
import { DbError } from '../db/errors';
import type { DbOpenOptions, DbQueryable } from '../db/driver';
import type { DbLog } from '../modules/dispatcher/db/list-source';
import { PgDriver } from '../db/postgres';
import { DbUrl, parseDbUrl } from '../db/url';
import { SerialQueue } from '../db/driver';
import {
  ClusterEventArgs,
  ClusterEventKind,
  ClusterMessage,
  ClusterMessageError,
  decodeMessage,
  encodeMessage,
} from './messages';
import { Outbox, type PublishOutcome } from './outbox';
import { ClusterTables, DEFAULT_CLUSTER_TABLES, ensureClusterSchema } from './schema';
import {
  ClusterNodeInfo,
  DestStateView,
  DrainRow,
  lastHeartbeat,
  markStopped,
  readAdminStates,
  readDrains,
  readNodes,
  writeNodeRow,
} from './store';

export type { ClusterNodeInfo, DestStateView, DrainRow } from './store';
import type { ForgetSpec } from './store';

export type RemoteHandler = <K extends ClusterEventKind>(
  kind: K,
  args: ClusterEventArgs[K],
  origin: string,
) => void | Promise<void>;

export interface ClusterNodeOptions {
  /** The shared PostgreSQL db_url. */
  readonly url: DbUrl | string;
  /** Unique node name (modparam ds_cluster_node). */
  readonly name: string;
  /** Shown in cluster.list (e.g. the first SIP listen address). */
  readonly address: string;
  readonly version: string;
  /** NOTIFY channel (modparam ds_cluster_channel). Default dsd_cluster. */
  readonly channel?: string;
  /** Heartbeat period in seconds (modparam ds_cluster_heartbeat). Default 5; 0 = no timer. */
  readonly heartbeatSec?: number;
  /** Reconnect backoff: first delay and cap (ms). Default 500 / 10000. */
  readonly reconnectMs?: { readonly initial?: number; readonly max?: number };
  /** At most this many events are queued while disconnected (oldest dropped). Default 1000. */
  readonly maxQueued?: number;
  readonly tables?: ClusterTables;
  /** This node's destinations, sent with each heartbeat. */
  readonly destStates?: () => DestStateView[];
  /** A remote event: apply it locally, do not publish it again. Run one at a time. */
  readonly onRemote?: RemoteHandler;
  /** After a reconnect (or a first connect after a failed start): reload + re-import. */
  readonly onResync?: () => Promise<void>;
  readonly log?: DbLog;
  readonly open?: DbOpenOptions;
}

export interface PublishOptions {
  /** Admin states to store with the event, in the same transaction. */
  readonly adminStates?: readonly AdminStateEntry[];
  /** Drain rows to store with the event, in the same transaction. */
  readonly drains?: readonly DrainRow[];
  /** Admin-state rows to delete with the event (a removed destination's, or clear_overrides'). */
  readonly forget?: ForgetSpec;
}

const noop = (): void => undefined;
const nullLog: DbLog = { info: noop, warn: noop, error: noop };

export class ClusterNode {
  readonly url: DbUrl;
  readonly name: string;
  /** Random per process: own notifications are recognized by it. */
  readonly instance = randomUUID();
  readonly channel: string;
  private readonly o: ClusterNodeOptions;
  private readonly tables: ClusterTables;
  private readonly log: DbLog;
  private db: PgDriver | null = null;
  private stopped = false;
  private seq = 0;
  private readonly outbox: Outbox;
  private downSince: number | null = null;
  private backoffMs: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private hbTimer: NodeJS.Timeout | null = null;
  private readonly remoteQ = new SerialQueue();
  /** Set after construction when the handlers need the node (see ClusterNodeOptions). */
  onRemote: RemoteHandler | null;
  onResync: (() => Promise<void>) | null;
  destStates: (() => DestStateView[]) | null;

  constructor(o: ClusterNodeOptions) {
    this.url = typeof o.url === 'string' ? parseDbUrl(o.url) : o.url;
    if (this.url.kind !== 'postgres') {
      throw new DbError(
        'config',
        this.url.masked,
        'modparam("dispatcher", "ds_cluster", 1) needs a postgres:// db_url (LISTEN/NOTIFY)',
      );
    }
    this.o = o;
    this.onRemote = o.onRemote ?? null;
    this.onResync = o.onResync ?? null;
    this.destStates = o.destStates ?? null;
    this.name = o.name;
    this.channel = o.channel ?? 'dsd_cluster';
    this.tables = o.tables ?? DEFAULT_CLUSTER_TABLES;
    this.log = o.log ?? nullLog;
    this.backoffMs = o.reconnectMs?.initial ?? 500;
    this.outbox = new Outbox(
      { db: () => this.db, lost: (e) => this.lost(e) },
      { tables: this.tables, name: this.name, channel: this.channel, max: o.maxQueued ?? 1000, log: this.log },
    );
  }

  /** Connected to PostgreSQL right now. */
  get connected(): boolean {
    return this.db !== null;
  }

  /** Events waiting for the connection to come back. */
  get queued(): number {
    return this.outbox.length;
  }

  /**
   * Connects, creates the cluster tables if needed, LISTENs and writes the node row. On
   * failure logs it and keeps reconnecting in the background; returns whether it is up.
   */
  async start(): Promise<boolean> {
    this.stopped = false;
    try {
      await this.connect();
    } catch (e) {
      this.lost(e as Error);
      return false;
    }
    this.startHeartbeat();
    return true;
  }

  /** Marks the node stopped in dsd_nodes (shown as gone at once) and disconnects. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.hbTimer) clearInterval(this.hbTimer);
    this.reconnectTimer = this.hbTimer = null;
    const db = this.db;
    this.db = null;
    if (db) {
      await markStopped(db, this.tables, this.name).catch(noop);
      await db.close();
    }
    await this.remoteQ.run(async () => undefined);
  }

  private async connect(): Promise<void> {
    const db = await PgDriver.open(this.url, { appName: `dsd ${this.name}`, ...this.o.open });
    db.onLost((err) => {
      if (this.db === db) this.lost(err);
    });
    try {
      await db.transaction((tx) => ensureClusterSchema(tx, this.tables));
      await db.listen(this.channel, (p) => this.onNotify(p));
      await this.writeSelf(db, true);
    } catch (e) {
      await db.close();
      throw e;
    }
    if (this.stopped) {
      // stop() ran while this (re)connect was under way.
      await db.close();
      throw new DbError('connect', this.url.masked, 'cluster node stopped');
    }
    this.db = db;
  }

  private lost(err: Error): void {
    const db = this.db;
    this.db = null;
    if (db) void db.close();
    if (this.stopped) return;
    if (this.downSince === null) {
      this.downSince = Date.now();
      this.log.error(
        `cluster: ${err.message}; routing continues on the current list, reconnecting to ${this.url.masked}`,
      );
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.stopped) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.reconnectMs?.max ?? 10000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private async reconnect(): Promise<void> {
    if (this.stopped || this.db) return;
    try {
      await this.connect();
    } catch {
      this.scheduleReconnect();
      return;
    }
    const secs = this.downSince === null ? 0 : Math.round((Date.now() - this.downSince) / 1000);
    this.downSince = null;
    this.backoffMs = this.o.reconnectMs?.initial ?? 500;
    this.log.info(
      `cluster: connected to ${this.url.masked} again after ${secs}s; sending ${this.outbox.length} queued event(s) and resyncing`,
    );
    this.startHeartbeat();
    await this.outbox.flush();
    try {
      await this.onResync?.();
    } catch (e) {
      this.log.error(`cluster: resync after reconnect failed: ${(e as Error).message}`);
    }
  }

  private startHeartbeat(): void {
    const sec = this.o.heartbeatSec ?? 5;
    if (this.hbTimer || sec <= 0) return;
    this.hbTimer = setInterval(() => {
      void this.heartbeat().catch(noop);
    }, sec * 1000);
    this.hbTimer.unref();
  }

  // ---- node rows ---------------------------------------------------------------------

  private destJson(): string | null {
    const f = this.destStates;
    return f ? JSON.stringify(f()) : null;
  }

  private async writeSelf(db: DbQueryable, starting: boolean): Promise<void> {
    if (starting) {
      const prev = await lastHeartbeat(db, this.tables, this.name);
      if (prev && !prev.stopped && prev.ageSec < 2 * (this.o.heartbeatSec ?? 5)) {
        this.log.warn(
          `cluster: another node named "${this.name}" heartbeated ${Math.round(prev.ageSec)}s ago; node names must be unique (modparam ds_cluster_node)`,
        );
      }
    }
    await writeNodeRow(
      db,
      this.tables,
      { name: this.name, address: this.o.address, version: this.o.version, destStates: this.destJson() },
      starting,
    );
  }

  /** Refreshes this node's row (the timer calls it every heartbeatSec). */
  async heartbeat(): Promise<void> {
    const db = this.db;
    if (!db) return;
    try {
      await this.writeSelf(db, false);
    } catch (e) {
      if ((e as DbError).kind === 'connect' && this.db === db) this.lost(e as Error);
      throw e;
    }
  }

  /**
   * Every node of the cluster, ordered by name. A node is `gone` when it stopped or has
   * not heartbeated for `goneAfterSec`. Throws DbError while disconnected.
   */
  async listNodes(goneAfterSec: number): Promise<ClusterNodeInfo[]> {
    return readNodes(this.requireDb('cannot list the cluster nodes'), this.tables, goneAfterSec, this.name);
  }

  // ---- admin states ------------------------------------------------------------------

  private requireDb(what: string): PgDriver {
    if (!this.db)
      throw new DbError('connect', this.url.masked, what, 'not connected to the cluster database (reconnecting)');
    return this.db;
  }

  /** The cluster's admin states (oldest first), for Dispatcher.importAdminStates(). */
  async adminStates(): Promise<AdminStateEntry[]> {
    return readAdminStates(this.requireDb('cannot read the cluster admin states'), this.tables);
  }

  /** The cluster's drains in force (oldest first), for DrainTable.replace(). */
  async drains(): Promise<DrainRow[]> {
    return readDrains(this.requireDb('cannot read the cluster drains'), this.tables);
  }

  /** Stores admin states without an event (queued while disconnected). */
  async upsertAdminState(...states: AdminStateEntry[]): Promise<PublishOutcome> {
    return this.outbox.run({ op: 'upsert', states });
  }

  // ---- events ------------------------------------------------------------------------

  /**
   * Sends an event to every other node (with its admin-state rows in the same
   * transaction). While disconnected the event is queued and sent on reconnect.
   * Throws ClusterMessageError for an event too large for NOTIFY.
   */
  async publish<K extends ClusterEventKind>(
    kind: K,
    args: ClusterEventArgs[K],
    opts: PublishOptions = {},
  ): Promise<PublishOutcome> {
    const msg: ClusterMessage<K> = { v: 1, origin: this.name, instance: this.instance, seq: ++this.seq, kind, args };
    return this.outbox.run({
      op: 'notify',
      payload: encodeMessage(msg),
      states: opts.adminStates ?? [],
      drains: opts.drains ?? [],
      forget: opts.forget ?? null,
    });
  }

  private onNotify(payload: string): void {
    let m: ClusterMessage;
    try {
      m = decodeMessage(payload);
    } catch (e) {
      this.log.warn(`cluster: ignored a notification on ${this.channel}: ${(e as ClusterMessageError).message}`);
      return;
    }
    if (m.instance === this.instance) return;
    const handler = this.onRemote;
    if (!handler) return;
    void this.remoteQ.run(async () => {
      try {
        await handler(m.kind, m.args, m.origin);
      } catch (e) {
        this.log.warn(`cluster: ${m.kind} from ${m.origin} not applied: ${(e as Error).message}`);
      }
    });
  }
}
