/**
 * Loading the destinations the way Kamailio's ds_load_db() does: the table version from
 * the version table (1..4 decide which columns are read), then ONE plain SELECT of those
 * columns with no ORDER BY, rows taken in the order the server returns them (PostgreSQL,
 * SQLite and MySQL may differ, and so does Kamailio), turned into records by the engine's
 * recordsFromDbRows().
 *
 * dsd appends the `id` column (last) so a bad row can be named by its id; it never changes
 * the plan or the order (the primary key is in every index of these engines). A table
 * without an `id` column is read without it, and rows are then named by position.
 */

import { DsRecordInput } from '../list-file';
import { DbRow, recordsFromDbRows } from '../db-rows';
import { ListLoadError } from '../errors';
import { DbError } from '../../../db/errors';
import { DbDriver, DbQueryable, quoteIdent } from '../../../db/driver';
import { DsTableConfig } from './table-config';
import type { DbKind } from '../../../db/url';

export interface DbLoadResult {
  readonly records: DsRecordInput[];
  /** Rows skipped here (NULL or non-numeric columns), one message each, naming the id. */
  readonly warnings: string[];
  /** The same rows as `origin: problem` (what ds_load_mode 1 would refuse the load for). */
  readonly badRows: string[];
  /** The table version that decided the columns. */
  readonly version: number;
  /** Rows the SELECT returned. */
  readonly rowCount: number;
}

/**
 * db_table_version(): the version row of `cfg.table`. Throws DbError 'schema' when the
 * version table is missing, 'version' when the row is missing or unsupported (Kamailio
 * accepts 1..4).
 */
async function readTableVersion(db: DbDriver, cfg: DsTableConfig): Promise<number> {
  const q = (n: string): string => quoteIdent(db.kind, n);
  let rows: unknown[][];
  try {
    rows = await db.queryArrays(`select ${q('table_version')} from ${q(cfg.versionTable)} where ${q('table_name')}=?`, [
      cfg.table,
    ]);
  } catch (e) {
    const err = e as DbError;
    throw new DbError(
      err.kind === 'query' ? 'schema' : err.kind,
      db.url.masked,
      `cannot read the table version from "${cfg.versionTable}" (run "dsd db init" to create the schema)`,
      err.driverMessage,
      err.driverCode,
    );
  }
  if (rows.length === 0) {
    throw new DbError(
      'version',
      db.url.masked,
      `no row for table "${cfg.table}" in "${cfg.versionTable}" (found 0, required 1, 2, 3 or 4; run "dsd db init")`,
    );
  }
  if (rows.length > 1) {
    throw new DbError(
      'version',
      db.url.masked,
      `${rows.length} rows for table "${cfg.table}" in "${cfg.versionTable}"`,
    );
  }
  const v = toInt(rows[0]?.[0]);
  if (v === null || v < 1 || v > 4) {
    throw new DbError(
      'version',
      db.url.masked,
      `invalid table version for "${cfg.table}" (found ${String(rows[0]?.[0])}, required 1, 2, 3 or 4)`,
    );
  }
  return v;
}

/** The columns ds_load_db() reads for a table version, in its order. */
export function loadColumns(cfg: DsTableConfig, version: number): string[] {
  const cols = [cfg.setidCol, cfg.destinationCol];
  if (version >= 2) cols.push(cfg.flagsCol);
  if (version >= 3) cols.push(cfg.priorityCol);
  if (version >= 4) {
    cols.push(cfg.attrsCol);
    for (const x of cfg.extraAttrs) cols.push(x.column);
  }
  return cols;
}

/** Kamailio's SELECT (same text, same quoting), plus `id` last when `withId`. */
export function loadSql(kind: DbKind, cfg: DsTableConfig, version: number, withId: boolean): string {
  const q = (n: string): string => quoteIdent(kind, n);
  const cols = loadColumns(cfg, version).map(q);
  if (withId) cols.push(q('id'));
  return `select ${cols.join(',')} from ${q(cfg.table)} `;
}

function toInt(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number(v);
  return null;
}

function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

function isUnknownIdColumn(e: unknown): boolean {
  const err = e as DbError;
  return err instanceof DbError && err.kind === 'schema' && /\bid\b/.test(err.driverMessage ?? '');
}

export interface LoadOptions {
  /** ds_load_mode: 1 refuses the whole load on a bad row, 0 skips it with a warning. */
  readonly loadMode: number;
  /** Known table version (skip the version query), e.g. from the initial load. */
  readonly version?: number;
  /** Whether the table has an `id` column (null/undefined: try, then fall back). */
  readonly hasId?: boolean | null;
}

async function select(
  db: DbQueryable & { kind: DbKind },
  cfg: DsTableConfig,
  version: number,
  hasId: boolean | null | undefined,
): Promise<{ rows: unknown[][]; withId: boolean }> {
  if (hasId !== false) {
    try {
      return { rows: await db.queryArrays(loadSql(db.kind, cfg, version, true)), withId: true };
    } catch (e) {
      if (hasId === true || !isUnknownIdColumn(e)) throw e;
    }
  }
  return { rows: await db.queryArrays(loadSql(db.kind, cfg, version, false)), withId: false };
}

/**
 * Reads the destinations: records in DB order, ready for Dispatcher.loadInitial/reload
 * ({ records }). Throws DbError when the database cannot be read, ListLoadError when
 * ds_load_mode is 1 and a row is bad (or an attrs value overflows, which fails any load).
 */
export async function loadDispatcherRecords(
  db: DbDriver,
  cfg: DsTableConfig,
  opts: LoadOptions,
): Promise<DbLoadResult & { hasId: boolean }> {
  const version = opts.version ?? (await readTableVersion(db, cfg));
  let res: { rows: unknown[][]; withId: boolean };
  try {
    res = await select(db, cfg, version, opts.hasId);
  } catch (e) {
    const err = e as DbError;
    throw new DbError(
      err.kind ?? 'query',
      db.url.masked,
      `cannot load table "${cfg.table}"`,
      err.driverMessage ?? err.message,
      e instanceof DbError ? e.driverCode : ((e as { code?: string }).code ?? null),
    );
  }
  const ncols = loadColumns(cfg, version).length;
  const records: DsRecordInput[] = [];
  const warnings: string[] = [];
  const badRows: string[] = [];
  res.rows.forEach((r, i) => {
    const id = res.withId ? toInt(r[ncols]) : null;
    const origin = id !== null ? `${cfg.table} id ${id}` : `${cfg.table} row ${i + 1}`;
    const setid = toInt(r[0]);
    const destination = toText(r[1]);
    const flags = version >= 2 && r[2] !== null ? toInt(r[2]) : 0;
    const priority = version >= 3 && r[3] !== null ? toInt(r[3]) : 0;
    const problem =
      setid === null
        ? `${cfg.setidCol} is ${r[0] === null ? 'NULL' : `not an integer (${String(r[0])})`}`
        : destination === null
          ? `${cfg.destinationCol} is NULL`
          : flags === null
            ? `${cfg.flagsCol} is not an integer (${String(r[2])})`
            : priority === null
              ? `${cfg.priorityCol} is not an integer (${String(r[3])})`
              : null;
    if (problem !== null) {
      if (opts.loadMode === 1) throw new ListLoadError(`${origin}: ${problem} (ds_load_mode=1: load refused)`, []);
      warnings.push(`${origin}: ${problem} -- skipping`);
      badRows.push(`${origin}: ${problem}`);
      return;
    }
    const row: DbRow = {
      setid: setid!,
      destination: destination!,
      flags,
      priority,
      attrs: version >= 4 ? toText(r[4]) : null,
      extra: version >= 4 ? r.slice(5, ncols).map((v) => (typeof v === 'number' ? v : toText(v))) : [],
    };
    let rec: DsRecordInput | undefined;
    try {
      [rec] = recordsFromDbRows([row], cfg.extraAttrs, cfg.table);
    } catch (e) {
      // An attrs buffer overflow fails the whole load in Kamailio, whatever ds_load_mode.
      const reason = (e as Error).message.replace(/^.*? row \d+: /, '');
      throw new ListLoadError(`${origin}: ${reason}`, [e as Error]);
    }
    // One row in, one record out: recordsFromDbRows maps rows one to one.
    records.push({ ...rec!, origin });
  });
  return { records, warnings, badRows, version, rowCount: res.rows.length, hasId: res.withId };
}
