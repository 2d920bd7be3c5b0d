/**
 * SQLite through better-sqlite3 (synchronous, in process). Kamailio's db_sqlite opens the
 * file read-write and creates it when missing; dsd does the same unless asked read-only.
 */

import type Database from 'better-sqlite3';
import { DbError, DbErrorKind } from './errors';
import { DbDriver, DbOpenOptions, DbQueryable, DbRowObject, ExecResult, SerialQueue, SqlValue } from './driver';
import type { DbUrl } from './url';

type SqliteDb = Database.Database;

function bindable(params: readonly SqlValue[]): unknown[] {
  return params.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
}

function sqliteKind(e: { code?: string; message: string }): DbErrorKind {
  const code = e.code ?? '';
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_NOTADB') return 'connect';
  if (/no such (table|column)/.test(e.message)) return 'schema';
  return 'query';
}

function sqliteError(url: DbUrl, what: string, e: unknown, kind?: DbErrorKind): DbError {
  const err = e as { code?: string; message: string };
  return new DbError(kind ?? sqliteKind(err), url.masked, what, err.message, err.code ?? null);
}

class SqliteOps implements DbQueryable {
  constructor(
    protected readonly db: SqliteDb,
    readonly url: DbUrl,
  ) {}

  private prepare(sql: string): Database.Statement<unknown[]> {
    try {
      return this.db.prepare(sql);
    } catch (e) {
      throw sqliteError(this.url, 'statement failed', e);
    }
  }

  async query<R extends DbRowObject = DbRowObject>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    const st = this.prepare(sql);
    try {
      return st.all(...bindable(params)) as R[];
    } catch (e) {
      throw sqliteError(this.url, 'statement failed', e);
    }
  }

  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    const st = this.prepare(sql);
    try {
      return st.raw(true).all(...bindable(params)) as unknown[][];
    } catch (e) {
      throw sqliteError(this.url, 'statement failed', e);
    }
  }

  async exec(sql: string, params: readonly SqlValue[] = []): Promise<ExecResult> {
    const st = this.prepare(sql);
    try {
      const r = st.run(...bindable(params));
      return { changes: r.changes, lastInsertId: Number(r.lastInsertRowid) };
    } catch (e) {
      throw sqliteError(this.url, 'statement failed', e);
    }
  }
}

export class SqliteDriver extends SqliteOps implements DbDriver {
  readonly kind = 'sqlite' as const;
  private readonly q = new SerialQueue();

  private constructor(db: SqliteDb, url: DbUrl) {
    super(db, url);
  }

  static open(url: DbUrl, opts: DbOpenOptions = {}): SqliteDriver {
    let db: SqliteDb;
    try {
      // loaded on first use: a dsd without a SQLite db_url never loads the native module
      const Sqlite = require('better-sqlite3') as typeof import('better-sqlite3');
      db = new Sqlite(url.database, {
        readonly: opts.readOnly ?? false,
        fileMustExist: opts.readOnly ?? false,
        timeout: opts.busyTimeoutMs ?? 5000,
      });
    } catch (e) {
      throw sqliteError(url, `cannot open SQLite file ${url.database}`, e, 'connect');
    }
    return new SqliteDriver(db, url);
  }

  override query<R extends DbRowObject = DbRowObject>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    return this.q.run(() => super.query<R>(sql, params));
  }

  override queryArrays(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]> {
    return this.q.run(() => super.queryArrays(sql, params));
  }

  override exec(sql: string, params?: readonly SqlValue[]): Promise<ExecResult> {
    return this.q.run(() => super.exec(sql, params));
  }

  transaction<T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T> {
    return this.q.run(async () => {
      const tx = new SqliteOps(this.db, this.url);
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (e) {
        throw sqliteError(this.url, 'cannot begin a transaction', e);
      }
      try {
        const r = await fn(tx);
        this.db.exec('COMMIT');
        return r;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e instanceof DbError ? e : sqliteError(this.url, 'transaction failed', e);
      }
    });
  }

  onLost(): void {
    // An embedded file cannot go away like a server connection.
  }

  async close(): Promise<void> {
    await this.q.run(async () => {
      if (this.db.open) this.db.close();
    });
  }
}
