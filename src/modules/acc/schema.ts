/**
 * Kamailio's accounting tables, as utils/kamctl/{db_sqlite,postgres,mysql}/acc-create.sql
 * (5.6) create them: `acc` (version 5), `acc_cdrs` (2) and `missed_calls` (4), with
 * their version rows; table and column names follow the cfg's acc modparams. Kamailio
 * leaves the db_extra columns to the operator (ALTER TABLE by hand); `dsd db init` adds
 * the missing ones as VARCHAR(255) DEFAULT '' (NOT NULL unless acc_extra_nullable), so
 * the cfg's first INSERT works.
 */
import type { DbDriver, DbQueryable } from '../../db/driver';
import { quoteIdent } from '../../db/driver';
import { tableExists, versionTableDdl } from '../../db/schema';
import type { DbKind } from '../../db/url';
import type { AccParams } from './params';

const VERSIONS = { acc: 5, acc_cdrs: 2, missed_calls: 4 } as const;

function idCol(kind: DbKind): string {
  return kind === 'mysql'
    ? 'INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL'
    : kind === 'postgres'
      ? 'SERIAL PRIMARY KEY NOT NULL'
      : 'INTEGER PRIMARY KEY NOT NULL';
}

function timeType(kind: DbKind): string {
  return kind === 'mysql' ? 'DATETIME' : 'TIMESTAMP WITHOUT TIME ZONE';
}

/** CREATE TABLE and CREATE INDEX for acc or missed_calls under `name`. */
export function accTableDdl(kind: DbKind, name: string, p: AccParams): string[] {
  const q = (n: string): string => quoteIdent(kind, n);
  const c = p.cols;
  const table = `CREATE TABLE ${q(name)} (
    ${q('id')} ${idCol(kind)},
    ${q(c.method)} VARCHAR(16) DEFAULT '' NOT NULL,
    ${q(c.fromTag)} VARCHAR(128) DEFAULT '' NOT NULL,
    ${q(c.toTag)} VARCHAR(128) DEFAULT '' NOT NULL,
    ${q(c.callId)} VARCHAR(255) DEFAULT '' NOT NULL,
    ${q(c.sipCode)} VARCHAR(3) DEFAULT '' NOT NULL,
    ${q(c.sipReason)} VARCHAR(128) DEFAULT '' NOT NULL,
    ${q(c.time)} ${timeType(kind)} NOT NULL
)`;
  // index names as Kamailio's scripts: plain callid_idx on MySQL (per table), prefixed elsewhere
  // (the table name unquoted there, as in the scripts)
  const idx = kind === 'mysql' ? 'callid_idx' : `${name}_callid_idx`;
  return [table, `CREATE INDEX ${idx} ON ${name} (${q(c.callId)})`];
}

export function accCdrsDdl(kind: DbKind): string[] {
  const q = (n: string): string => quoteIdent(kind, n);
  const dur = kind === 'mysql' ? 'FLOAT(10,3)' : 'REAL';
  return [
    `CREATE TABLE ${q('acc_cdrs')} (
    ${q('id')} ${idCol(kind)},
    ${q('start_time')} ${timeType(kind)} DEFAULT '2000-01-01 00:00:00' NOT NULL,
    ${q('end_time')} ${timeType(kind)} DEFAULT '2000-01-01 00:00:00' NOT NULL,
    ${q('duration')} ${dur} DEFAULT 0 NOT NULL
)`,
    kind === 'mysql'
      ? 'CREATE INDEX start_time_idx ON acc_cdrs (`start_time`)'
      : 'CREATE INDEX acc_cdrs_start_time_idx ON acc_cdrs (start_time)',
  ];
}

/** Asked of the catalog, not by a failing SELECT: that would abort a PostgreSQL transaction. */
async function columnExists(db: DbQueryable, kind: DbKind, table: string, col: string): Promise<boolean> {
  switch (kind) {
    case 'sqlite':
      return (
        (await db.query('select name from pragma_table_info(?) where lower(name) = lower(?)', [table, col])).length > 0
      );
    case 'postgres':
      return (
        (
          await db.query(
            'select 1 as e from information_schema.columns where table_name = lower(?) and column_name = lower(?)',
            [table, col],
          )
        ).length > 0
      );
    case 'mysql':
      return (
        (
          await db.query(
            'select 1 as e from information_schema.columns where table_schema = DATABASE() and table_name = ? and column_name = ?',
            [table, col],
          )
        ).length > 0
      );
  }
}

async function hasVersionRow(db: DbQueryable, kind: DbKind, table: string): Promise<boolean> {
  const q = (n: string): string => quoteIdent(kind, n);
  const rows = await db.queryArrays(`select ${q('table_version')} from ${q('version')} where ${q('table_name')}=?`, [
    table,
  ]);
  return rows.length > 0;
}

/** Creates what is missing of the accounting schema; returns lines for `dsd db init`. */
export async function initAccSchema(db: DbDriver, p: AccParams): Promise<{ created: string[]; existed: string[] }> {
  const created: string[] = [];
  const existed: string[] = [];
  const kind = db.kind;
  const q = (n: string): string => quoteIdent(kind, n);
  const usesDb = p.dbFlag >= 0 || p.dbMissedFlag >= 0;
  await db.transaction(async (tx) => {
    if (!(await tableExists(tx, kind, 'version'))) {
      await tx.exec(versionTableDdl(kind, 'version'));
      await tx.exec(`INSERT INTO ${q('version')} (${q('table_name')}, ${q('table_version')}) values (?, ?)`, [
        'version',
        1,
      ]);
      created.push('table version');
    }
    const tables: Array<[string, keyof typeof VERSIONS, string[]]> = [
      [p.tableAcc, 'acc', accTableDdl(kind, p.tableAcc, p)],
      ['acc_cdrs', 'acc_cdrs', accCdrsDdl(kind)],
      [p.tableMissed, 'missed_calls', accTableDdl(kind, p.tableMissed, p)],
    ];
    for (const [name, std, ddl] of tables) {
      if (await tableExists(tx, kind, name)) existed.push(`table ${name}`);
      else {
        for (const stmt of ddl) await tx.exec(stmt);
        created.push(`table ${name}`);
      }
      if (await hasVersionRow(tx, kind, name)) existed.push(`version row ${name}`);
      else {
        await tx.exec(`INSERT INTO ${q('version')} (${q('table_name')}, ${q('table_version')}) values (?, ?)`, [
          name,
          VERSIONS[std],
        ]);
        created.push(`version row ${name}=${VERSIONS[std]}`);
      }
    }
    if (!usesDb) return;
    const extraType = `VARCHAR(255) DEFAULT ''${p.extraNullable ? '' : ' NOT NULL'}`;
    for (const table of [p.tableAcc, p.tableMissed]) {
      for (const e of p.dbExtra) {
        if (await columnExists(tx, kind, table, e.name)) continue;
        await tx.exec(`ALTER TABLE ${q(table)} ADD COLUMN ${q(e.name)} ${extraType}`);
        created.push(`column ${table}.${e.name}`);
      }
    }
  });
  return { created, existed };
}
