/**
 * Kamailio's schema for the dispatcher, as `kamdbctl create` makes it from
 * utils/kamctl/{postgres,mysql,db_sqlite}/{standard,dispatcher}-create.sql (5.6): the
 * `version` table with its own row ('version', 1), the `dispatcher` table (version 4) and
 * its row ('dispatcher', 4). Column names follow the cfg's *_col modparams, so a renamed
 * table is created the way the cfg will read it.
 *
 * `dsd db init` (runDbInit) creates what is missing and leaves what exists untouched;
 * run twice, it changes nothing. A SQLite db_url naming a file that does not exist yet
 * gets the schema at start (ensureSqliteSchema).
 */

import fs from 'node:fs';
import { DbError } from '../../../db/errors';
import { DbDriver, DbOpenOptions, quoteIdent } from '../../../db/driver';
import { withDb } from '../../../db/open';
import { insertVersionRow, tableExists, versionRow, versionTableDdl } from '../../../db/schema';
import { DbKind, DbUrl, parseDbUrl } from '../../../db/url';
import { DEFAULT_TABLE, DsTableConfig } from './table-config';

const DISPATCHER_TABLE_VERSION = 4;

/** CREATE TABLE for the dispatcher table, version 4 (dispatcher-create.sql). */
export function dispatcherTableDdl(kind: DbKind, t: DsTableConfig = DEFAULT_TABLE): string {
  const q = (n: string): string => quoteIdent(kind, n);
  const id =
    kind === 'mysql'
      ? 'INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL'
      : kind === 'postgres'
        ? 'SERIAL PRIMARY KEY NOT NULL'
        : 'INTEGER PRIMARY KEY NOT NULL';
  const int = kind === 'mysql' ? 'INT' : 'INTEGER';
  return `CREATE TABLE ${q(t.table)} (
    ${q('id')} ${id},
    ${q(t.setidCol)} ${int} DEFAULT 0 NOT NULL,
    ${q(t.destinationCol)} VARCHAR(192) DEFAULT '' NOT NULL,
    ${q(t.flagsCol)} ${int} DEFAULT 0 NOT NULL,
    ${q(t.priorityCol)} ${int} DEFAULT 0 NOT NULL,
    ${q(t.attrsCol)} VARCHAR(128) DEFAULT '' NOT NULL,
    ${q('description')} VARCHAR(64) DEFAULT '' NOT NULL
)`;
}

export interface DbInitResult {
  /** What this run created, e.g. "table version", "version row dispatcher=4". */
  readonly created: string[];
  /** What was there already (left untouched). */
  readonly existed: string[];
}

export interface DbInitOptions {
  readonly table?: DsTableConfig;
  /** One line per action (what `dsd db init` prints). */
  readonly log?: (line: string) => void;
  readonly open?: DbOpenOptions;
}

/** Creates whatever of the schema is missing on an open connection. */
async function initSchema(db: DbDriver, t: DsTableConfig = DEFAULT_TABLE): Promise<DbInitResult> {
  const created: string[] = [];
  const existed: string[] = [];
  await db.transaction(async (tx) => {
    if (await tableExists(tx, db.kind, t.versionTable)) {
      existed.push(`table ${t.versionTable}`);
    } else {
      await tx.exec(versionTableDdl(db.kind, t.versionTable));
      await insertVersionRow(tx, db.kind, t.versionTable, t.versionTable, 1);
      created.push(`table ${t.versionTable}`, `version row ${t.versionTable}=1`);
    }
    let tableIsNew = false;
    if (await tableExists(tx, db.kind, t.table)) {
      existed.push(`table ${t.table}`);
    } else {
      await tx.exec(dispatcherTableDdl(db.kind, t));
      created.push(`table ${t.table}`);
      tableIsNew = true;
    }
    const v = await versionRow(tx, db.kind, t.versionTable, t.table);
    if (v !== null) {
      existed.push(`version row ${t.table}=${v}`);
      return;
    }
    if (!tableIsNew) {
      // A hand-made table: claim version 4 only when it has the version 4 columns.
      const q = (n: string): string => quoteIdent(db.kind, n);
      try {
        await tx.queryArrays(
          `select ${[t.setidCol, t.destinationCol, t.flagsCol, t.priorityCol, t.attrsCol].map(q).join(',')} from ${q(t.table)} where 1=0`,
        );
      } catch (e) {
        throw new DbError(
          'schema',
          db.url.masked,
          `table ${t.table} exists without a ${t.versionTable} row and is not a version ${DISPATCHER_TABLE_VERSION} dispatcher table`,
          (e as DbError).driverMessage ?? (e as Error).message,
        );
      }
    }
    await insertVersionRow(tx, db.kind, t.versionTable, t.table, DISPATCHER_TABLE_VERSION);
    created.push(`version row ${t.table}=${DISPATCHER_TABLE_VERSION}`);
  });
  return { created, existed };
}

/**
 * `dsd db init`: creates the version table and row and the dispatcher table on the
 * configured database when missing. Idempotent. Throws DbError (masked URL).
 */
export async function runDbInit(dbUrl: string | DbUrl, opts: DbInitOptions = {}): Promise<DbInitResult> {
  const url = typeof dbUrl === 'string' ? parseDbUrl(dbUrl) : dbUrl;
  const r = await withDb(url, (db) => initSchema(db, opts.table ?? DEFAULT_TABLE), opts.open);
  if (opts.log) for (const line of formatDbInitReport(r, url)) opts.log(line);
  return r;
}

/** The lines `dsd db init` prints. */
export function formatDbInitReport(r: DbInitResult, url: DbUrl): string[] {
  const lines = [...r.created.map((c) => `created ${c}`), ...r.existed.map((e) => `exists  ${e} (unchanged)`)];
  lines.push(
    r.created.length === 0 ? `${url.masked}: schema already in place, nothing changed` : `${url.masked}: schema ready`,
  );
  return lines;
}

/**
 * SQLite is the embedded default: when db_url names a file that does not exist yet, it is
 * created with the schema. Returns true when it created the file (and logs it), false when
 * the file was there (its content is left alone). The directory must exist.
 */
export async function ensureSqliteSchema(
  dbUrl: string | DbUrl,
  opts: { table?: DsTableConfig; log?: (line: string) => void } = {},
): Promise<boolean> {
  const url = typeof dbUrl === 'string' ? parseDbUrl(dbUrl) : dbUrl;
  if (url.kind !== 'sqlite' || fs.existsSync(url.database)) return false;
  const r = await withDb(url, (db) => initSchema(db, opts.table ?? DEFAULT_TABLE));
  opts.log?.(`SQLite database ${url.database} did not exist: created it with ${r.created.join(', ')}`);
  return true;
}
