/**
 * PostgreSQL through `pg`: one Client (one session, so LISTEN works and a transaction is
 * one BEGIN … COMMIT on that session). A lost connection is reported once through
 * onLost(); the owner decides whether to reconnect.
 */

import type { Client, ClientConfig } from 'pg';
import { DbError, DbErrorKind, scrub } from './errors';
import { DbDriver, DbOpenOptions, DbQueryable, DbRowObject, ExecResult, SerialQueue, SqlValue } from './driver';
import type { DbUrl } from './url';

/** `?` placeholders → `$1, $2, …` (outside quoted strings and identifiers). */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quote !== null) {
      if (c === quote) quote = null;
      out += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if (c === '?') {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  return out;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
  '3D000',
  '57P01',
  '57P02',
  '57P03',
]);

function pgKind(e: { code?: string; message?: string }): DbErrorKind {
  const code = e.code ?? '';
  if (code === '28P01' || code === '28000') return 'auth';
  if (code === '42P01' || code === '42703') return 'schema';
  if (CONNECT_CODES.has(code) || code.startsWith('08')) return 'connect';
  if (!code && /connect|terminated|timeout/i.test(e.message ?? '')) return 'connect';
  return 'query';
}

function pgError(url: DbUrl, what: string, e: unknown): DbError {
  if (e instanceof DbError) return e;
  const err = e as { code?: string; message?: string };
  const msg = scrub(err.message ?? String(e), url.password);
  return new DbError(pgKind(err), url.masked, what, msg, err.code ?? null);
}

function values(params: readonly SqlValue[]): unknown[] {
  return params.map((v) => (typeof v === 'bigint' ? v.toString() : v));
}

class PgOps implements DbQueryable {
  constructor(
    protected readonly client: Client,
    readonly url: DbUrl,
  ) {}

  async query<R extends DbRowObject = DbRowObject>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    try {
      return (await this.client.query(numberPlaceholders(sql), values(params))).rows as R[];
    } catch (e) {
      throw pgError(this.url, 'statement failed', e);
    }
  }

  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    try {
      return (await this.client.query({ text: numberPlaceholders(sql), values: values(params), rowMode: 'array' }))
        .rows as unknown[][];
    } catch (e) {
      throw pgError(this.url, 'statement failed', e);
    }
  }

  async exec(sql: string, params: readonly SqlValue[] = []): Promise<ExecResult> {
    try {
      const r = await this.client.query(numberPlaceholders(sql), values(params));
      return { changes: r.rowCount ?? 0, lastInsertId: null };
    } catch (e) {
      throw pgError(this.url, 'statement failed', e);
    }
  }
}

/** pg connection settings for a parsed db_url (empty host: the local Unix socket). */
function pgConfig(url: DbUrl, opts: DbOpenOptions = {}): ClientConfig {
  return {
    host: url.host.length > 0 ? url.host : '/var/run/postgresql',
    port: url.port || 5432,
    user: url.user ?? undefined,
    password: url.password ?? undefined,
    database: url.database,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    query_timeout: opts.queryTimeoutMs ?? 10000,
    application_name: opts.appName ?? 'dsd',
  };
}

export class PgDriver extends PgOps implements DbDriver {
  readonly kind = 'postgres' as const;
  private readonly q = new SerialQueue();
  private closing = false;
  private lost = false;
  private lostCbs: ((err: Error) => void)[] = [];
  private readonly listeners = new Map<string, (payload: string) => void>();

  private constructor(client: Client, url: DbUrl) {
    super(client, url);
    const gone = (err: Error): void => {
      if (this.closing || this.lost) return;
      this.lost = true;
      for (const cb of this.lostCbs) cb(err);
    };
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (e) => gone(pgError(url, 'connection lost', e)));
    client.on('end', () =>
      gone(new DbError('connect', url.masked, 'connection lost', 'the server closed the connection')),
    );
    client.on('notification', (m) => {
      const cb = this.listeners.get(m.channel);
      if (cb) cb(m.payload ?? '');
    });
  }

  static async open(url: DbUrl, opts: DbOpenOptions = {}): Promise<PgDriver> {
    // pg is loaded on first use: a dsd without a PostgreSQL db_url never pays its start-up
    const { Client: PgClient } = require('pg') as typeof import('pg');
    const client = new PgClient(pgConfig(url, opts));
    // Errors during connect() are reported by its promise; swallow the duplicate event.
    const early = (): void => undefined;
    client.on('error', early);
    try {
      await client.connect();
    } catch (e) {
      client.end().catch(() => undefined);
      throw pgError(url, 'cannot connect', e);
    } finally {
      client.off('error', early);
    }
    return new PgDriver(client, url);
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
      const tx = new PgOps(this.client, this.url);
      await tx.exec('BEGIN');
      try {
        const r = await fn(tx);
        await tx.exec('COMMIT');
        return r;
      } catch (e) {
        await tx.exec('ROLLBACK').catch(() => undefined);
        throw pgError(this.url, 'transaction failed', e);
      }
    });
  }

  async listen(channel: string, cb: (payload: string) => void): Promise<void> {
    this.listeners.set(channel, cb);
    await this.exec(`LISTEN ${this.client.escapeIdentifier(channel)}`);
  }

  onLost(cb: (err: Error) => void): void {
    this.lostCbs.push(cb);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.client.end().catch(() => undefined);
  }
}
