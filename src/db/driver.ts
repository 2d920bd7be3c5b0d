/**
 * The thin layer between dsd and a database: plain SQL with `?` placeholders (the
 * PostgreSQL driver numbers them), rows as objects or arrays, one connection per driver
 * (statements run one at a time, so a transaction never interleaves with another
 * statement), and LISTEN/NOTIFY where the server has it. No ORM: dsd issues a handful
 * of statements and each must be exactly what Kamailio would send.
 */

import type { DbKind, DbUrl } from './url';

export type SqlValue = string | number | bigint | boolean | null;
export type DbRowObject = Record<string, unknown>;

export interface ExecResult {
  /** Rows inserted, updated or deleted. */
  readonly changes: number;
  /** Auto-increment id of an INSERT (SQLite, MySQL); null for PostgreSQL (use RETURNING). */
  readonly lastInsertId: number | null;
}

export interface DbQueryable {
  /** Rows as objects keyed by column name. */
  query<R extends DbRowObject = DbRowObject>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** Rows as arrays in SELECT column order (the same column may appear twice). */
  queryArrays(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]>;
  /** A statement without a result set. */
  exec(sql: string, params?: readonly SqlValue[]): Promise<ExecResult>;
}

export interface DbDriver extends DbQueryable {
  readonly kind: DbKind;
  readonly url: DbUrl;
  /**
   * Runs `fn` in BEGIN … COMMIT (ROLLBACK when it throws). Other statements on this driver
   * wait until it ends.
   */
  transaction<T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T>;
  /** PostgreSQL only: LISTEN on `channel`; `cb` gets each NOTIFY payload. */
  listen?(channel: string, cb: (payload: string) => void): Promise<void>;
  /** Called once when the server connection is lost (not after close()). */
  onLost(cb: (err: Error) => void): void;
  close(): Promise<void>;
}

export interface DbOpenOptions {
  /** Connect timeout (ms). Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Per-statement timeout (ms). Default 10000. */
  readonly queryTimeoutMs?: number;
  /** SQLite busy timeout (ms). Default 5000. */
  readonly busyTimeoutMs?: number;
  /** SQLite: open read-only and fail when the file does not exist. Default false. */
  readonly readOnly?: boolean;
  /** application_name (PostgreSQL). Default "dsd". */
  readonly appName?: string;
}

/** Runs async jobs one after the other on one connection. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const p = this.tail.then(job, job);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

/** Identifier quoting as Kamailio does it: backticks for MySQL, nothing elsewhere. */
export function quoteIdent(kind: DbKind, name: string): string {
  return kind === 'mysql' ? `\`${name}\`` : name;
}
