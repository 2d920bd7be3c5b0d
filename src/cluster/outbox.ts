// What a node writes to PostgreSQL — events (NOTIFY) with their admin-state and drain rows
// in one transaction, and admin-state upserts: sent at once while connected, queued while
// not (bounded, the oldest dropped), flushed in order once the connection is back.
import type { AdminStateEntry } from '../modules/dispatcher/admin-state';
import type { DbError } from '../db/errors';
import type { PgDriver } from '../db/postgres';
import type { DbLog } from '../modules/dispatcher/db/list-source';
import type { ClusterTables } from './schema';
import { forgetAdminStates, upsertAdminStates, upsertDrains, type DrainRow, type ForgetSpec } from './store';

export type PublishOutcome = 'sent' | 'queued';

export type Pending =
  | {
      readonly op: 'notify';
      readonly payload: string;
      readonly states: readonly AdminStateEntry[];
      readonly drains: readonly DrainRow[];
      readonly forget: ForgetSpec | null;
    }
  | { readonly op: 'upsert'; readonly states: readonly AdminStateEntry[]; readonly drains?: undefined };

/** The node's side of the connection, as the outbox sees it. */
export interface OutboxHost {
  /** The live connection, or null while disconnected. */
  db(): PgDriver | null;
  /** A write found the connection gone: the node reconnects (and flushes) later. */
  lost(err: Error): void;
}

export interface OutboxOptions {
  readonly tables: ClusterTables;
  readonly name: string;
  readonly channel: string;
  /** Events kept while disconnected. */
  readonly max: number;
  readonly log: DbLog;
}

export class Outbox {
  private readonly queue: Pending[] = [];

  constructor(
    private readonly host: OutboxHost,
    private readonly o: OutboxOptions,
  ) {}

  /** Events waiting for the connection to come back. */
  get length(): number {
    return this.queue.length;
  }

  /** Sends now, or queues when disconnected or when earlier events still wait (order kept). */
  async run(p: Pending): Promise<PublishOutcome> {
    const db = this.host.db();
    if (!db || this.queue.length > 0) return this.enqueue(p);
    try {
      await this.exec(db, p);
      return 'sent';
    } catch (e) {
      if ((e as DbError).kind !== 'connect') throw e;
      if (this.host.db() === db) this.host.lost(e as Error);
      return this.enqueue(p);
    }
  }

  /** Sends what was queued, oldest first; stops at a lost connection. */
  async flush(): Promise<void> {
    for (let next = this.queue[0]; next !== undefined; next = this.queue[0]) {
      const db = this.host.db();
      if (!db) return;
      try {
        await this.exec(db, next);
      } catch (e) {
        if ((e as DbError).kind === 'connect') {
          if (this.host.db() === db) this.host.lost(e as Error);
          return;
        }
        this.o.log.error(`cluster: dropped a queued event: ${(e as Error).message}`);
      }
      this.queue.shift();
    }
  }

  private enqueue(p: Pending): PublishOutcome {
    if (this.queue.length >= this.o.max) {
      this.queue.shift();
      this.o.log.warn(`cluster: more than ${this.o.max} events queued while disconnected; dropped the oldest`);
    }
    this.queue.push(p);
    return 'queued';
  }

  private async exec(db: PgDriver, p: Pending): Promise<void> {
    const { tables, name } = this.o;
    await db.transaction(async (tx) => {
      await upsertAdminStates(tx, tables, p.states, name);
      if (p.drains) await upsertDrains(tx, tables, p.drains, name);
      if (p.op === 'notify') {
        if (p.forget) await forgetAdminStates(tx, tables, p.forget);
        await tx.query('SELECT pg_notify(?, ?)', [this.o.channel, p.payload]);
      }
    });
  }
}
