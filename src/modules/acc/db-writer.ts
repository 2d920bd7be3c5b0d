/**
 * DB accounting (acc_db_request): one INSERT per record into Kamailio's `acc` or
 * `missed_calls` table, columns named by the acc_*_column modparams then the db_extra
 * names, the time as Kamailio's DB drivers store a DATETIME: a string in local time
 * (db_time2str) on PostgreSQL and MySQL, a Julian day number on SQLite (db_sqlite's
 * timet_to_sqlite). Inserts run one
 * after the other on one connection; a failed insert is logged with the record, so an
 * outage loses no accounting data from the log, and the next insert reconnects.
 */
import type { DbDriver } from '../../db/driver';
import { quoteIdent } from '../../db/driver';
import { openDb } from '../../db/open';
import { parseDbUrl, DbUrl } from '../../db/url';
import type { Logger } from '../../core/log';
import type { AccParams } from './params';
import { AccExtraValue, AccRecord, accLogLine } from './record';

/** 'YYYY-MM-DD HH:MM:SS' in local time, as Kamailio's db_time2str writes a DATETIME. */
export function dbTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** db_sqlite's timet_to_sqlite: a REAL Julian day, half a second early as Kamailio writes it. */
export function sqliteTime(unixSeconds: number): number {
  return (unixSeconds - 0.5) / 86400 + 2440587.5;
}

export class AccDbWriter {
  private db: DbDriver | null = null;
  private tail: Promise<void> = Promise.resolve();
  private readonly url: DbUrl;
  private closed = false;

  constructor(
    private readonly p: AccParams,
    private readonly log: Logger,
  ) {
    this.url = parseDbUrl(p.dbUrl!);
  }

  /** Connects now (start fails when the database is unreachable, as Kamailio's child_init does). */
  async open(): Promise<void> {
    this.db = await openDb(this.url);
  }

  insert(table: string, r: AccRecord, extras: readonly AccExtraValue[]): void {
    this.tail = this.tail.then(() => this.write(table, r, extras));
  }

  /** Resolves when every queued insert finished (for shutdown and tests). */
  flush(): Promise<void> {
    return this.tail;
  }

  private async write(table: string, r: AccRecord, extras: readonly AccExtraValue[]): Promise<void> {
    if (this.closed) return;
    const kind = this.url.kind;
    const c = this.p.cols;
    const cols = [c.method, c.fromTag, c.toTag, c.callId, c.sipCode, c.sipReason, c.time, ...extras.map((e) => e.name)];
    const vals = [
      r.method,
      r.fromTag,
      r.toTag,
      r.callId,
      r.code,
      r.reason,
      kind === 'sqlite' ? sqliteTime(r.time) : dbTime(r.time),
      ...extras.map((e) => (e.value === null ? (this.p.extraNullable ? null : '') : e.value)),
    ];
    const sql = `insert into ${quoteIdent(kind, table)} (${cols.map((n) => quoteIdent(kind, n)).join(',')}) values (${cols.map(() => '?').join(',')})`;
    try {
      if (!this.db) await this.open();
      await this.db!.exec(sql, vals);
    } catch (e) {
      this.log.error(
        `acc: insert into ${table} on ${this.url.masked} failed: ${(e as Error).message}; record: ${accLogLine(r, extras)}`,
      );
      const db = this.db;
      this.db = null;
      await db?.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.db?.close().catch(() => undefined);
    this.db = null;
  }
}
