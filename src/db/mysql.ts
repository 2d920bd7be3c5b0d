/**
 * MySQL / MariaDB through mysql2 (one connection, plain queries as Kamailio's db_mysql
 * sends them). As with libmysqlclient, host `localhost` (or none) means the local Unix
 * socket when there is one.
 */

import fs from 'node:fs';
import type { Connection, ConnectionOptions } from 'mysql2/promise';
import { DbError, DbErrorKind, scrub } from './errors';
import { DbDriver, DbOpenOptions, DbQueryable, DbRowObject, ExecResult, SerialQueue, SqlValue } from './driver';
import type { DbUrl } from './url';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  'EPIPE',
  'ENOENT',
  'EAI_AGAIN',
  'ER_BAD_DB_ERROR',
  'PROTOCOL_CONNECTION_LOST',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

function myKind(e: { code?: string; message?: string }): DbErrorKind {
  const code = e.code ?? '';
  if (
    code === 'ER_ACCESS_DENIED_ERROR' ||
    code === 'ER_DBACCESS_DENIED_ERROR' ||
    code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR'
  )
    return 'auth';
  if (code === 'ER_NO_SUCH_TABLE' || code === 'ER_BAD_FIELD_ERROR' || code === 'ER_BAD_TABLE_ERROR') return 'schema';
  if (CONNECT_CODES.has(code) || /closed state|connection lost/i.test(e.message ?? '')) return 'connect';
  return 'query';
}

function mysqlError(url: DbUrl, what: string, e: unknown): DbError {
  if (e instanceof DbError) return e;
  const err = e as { code?: string; message?: string };
  return new DbError(myKind(err), url.masked, what, scrub(err.message ?? String(e), url.password), err.code ?? null);
}

const DEFAULT_SOCKETS = ['/run/mysqld/mysqld.sock', '/var/run/mysqld/mysqld.sock', '/tmp/mysql.sock'];

/** mysql2 settings for a parsed db_url. */
function mysqlConfig(url: DbUrl, opts: DbOpenOptions = {}): ConnectionOptions {
  const base: ConnectionOptions = {
    user: url.user ?? undefined,
    password: url.password ?? undefined,
    database: url.database,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    supportBigNumbers: true,
    dateStrings: true,
  };
  if (url.host === '' || url.host === 'localhost') {
    const sock = [process.env.MYSQL_UNIX_PORT, ...DEFAULT_SOCKETS].find(
      (p) => p !== undefined && p.length > 0 && fs.existsSync(p),
    );
    if (sock) return { ...base, socketPath: sock };
  }
  return { ...base, host: url.host || 'localhost', port: url.port || 3306 };
}

class MysqlOps implements DbQueryable {
  constructor(
    protected readonly conn: Connection,
    readonly url: DbUrl,
    protected readonly timeoutMs: number,
  ) {}

  async query<R extends DbRowObject = DbRowObject>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    try {
      const [rows] = await this.conn.query({ sql, timeout: this.timeoutMs }, params as unknown[]);
      return rows as R[];
    } catch (e) {
      throw mysqlError(this.url, 'statement failed', e);
    }
  }

  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    try {
      const [rows] = await this.conn.query({ sql, rowsAsArray: true, timeout: this.timeoutMs }, params as unknown[]);
      return rows as unknown[][];
    } catch (e) {
      throw mysqlError(this.url, 'statement failed', e);
    }
  }

  async exec(sql: string, params: readonly SqlValue[] = []): Promise<ExecResult> {
    try {
      const [r] = await this.conn.query({ sql, timeout: this.timeoutMs }, params as unknown[]);
      const h = r as { affectedRows?: number; insertId?: number };
      return { changes: h.affectedRows ?? 0, lastInsertId: h.insertId ? Number(h.insertId) : null };
    } catch (e) {
      throw mysqlError(this.url, 'statement failed', e);
    }
  }
}

export class MysqlDriver extends MysqlOps implements DbDriver {
  readonly kind = 'mysql' as const;
  private readonly q = new SerialQueue();
  private closing = false;
  private lost = false;
  private lostCbs: ((err: Error) => void)[] = [];

  private constructor(conn: Connection, url: DbUrl, timeoutMs: number) {
    super(conn, url, timeoutMs);
    const gone = (err: Error): void => {
      if (this.closing || this.lost) return;
      this.lost = true;
      for (const cb of this.lostCbs) cb(err);
    };
    conn.on('error', (e: Error) => gone(mysqlError(url, 'connection lost', e)));
    conn.on('end', () =>
      gone(new DbError('connect', url.masked, 'connection lost', 'the server closed the connection')),
    );
  }

  static async open(url: DbUrl, opts: DbOpenOptions = {}): Promise<MysqlDriver> {
    let conn: Connection;
    try {
      // mysql2 is loaded on first use: a dsd without a MySQL db_url never pays its start-up
      const { createConnection } = require('mysql2/promise') as typeof import('mysql2/promise');
      conn = await createConnection(mysqlConfig(url, opts));
    } catch (e) {
      throw mysqlError(url, 'cannot connect', e);
    }
    return new MysqlDriver(conn, url, opts.queryTimeoutMs ?? 10000);
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
      const tx = new MysqlOps(this.conn, this.url, this.timeoutMs);
      await tx.exec('START TRANSACTION');
      try {
        const r = await fn(tx);
        await tx.exec('COMMIT');
        return r;
      } catch (e) {
        await tx.exec('ROLLBACK').catch(() => undefined);
        throw mysqlError(this.url, 'transaction failed', e);
      }
    });
  }

  onLost(cb: (err: Error) => void): void {
    this.lostCbs.push(cb);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.conn.end().catch(() => this.conn.destroy());
  }
}
