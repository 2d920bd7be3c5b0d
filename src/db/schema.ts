/**
 * Schema helpers shared by the tables dsd keeps in a database: Kamailio's `version` table
 * (utils/kamctl/{postgres,mysql,db_sqlite}/standard-create.sql, 5.6), its rows, and
 * whether a table exists. The tables themselves belong to their modules (the dispatcher
 * table in modules/dispatcher/db/schema.ts, acc's in modules/acc/schema.ts).
 */

import { DbQueryable, quoteIdent } from './driver';
import { DbKind } from './url';

/** CREATE TABLE for the version table (standard-create.sql). */
export function versionTableDdl(kind: DbKind, name = 'version'): string {
  if (kind === 'mysql') {
    return `CREATE TABLE \`${name}\` (
    \`id\` INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    \`table_name\` VARCHAR(32) NOT NULL,
    \`table_version\` INT UNSIGNED DEFAULT 0 NOT NULL,
    CONSTRAINT table_name_idx UNIQUE (\`table_name\`)
)`;
  }
  const id = kind === 'postgres' ? 'SERIAL PRIMARY KEY NOT NULL' : 'INTEGER PRIMARY KEY NOT NULL';
  return `CREATE TABLE ${name} (
    id ${id},
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT ${name}_table_name_idx UNIQUE (table_name)
)`;
}

/** Whether a table exists, resolved the way an unquoted name in a statement would be. */
export async function tableExists(db: DbQueryable, kind: DbKind, name: string): Promise<boolean> {
  switch (kind) {
    case 'sqlite': {
      const r = await db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND lower(name) = lower(?)", [
        name,
      ]);
      return r.length > 0;
    }
    case 'postgres': {
      const r = await db.query<{ e: boolean }>('SELECT to_regclass(?) IS NOT NULL AS e', [name]);
      return r[0]?.e === true;
    }
    case 'mysql': {
      const dot = name.indexOf('.');
      const r =
        dot < 0
          ? await db.query(
              'SELECT 1 AS e FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
              [name],
            )
          : await db.query('SELECT 1 AS e FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [
              name.slice(0, dot),
              name.slice(dot + 1),
            ]);
      return r.length > 0;
    }
  }
}

export async function versionRow(
  db: DbQueryable,
  kind: DbKind,
  versionTable: string,
  table: string,
): Promise<number | null> {
  const q = (n: string): string => quoteIdent(kind, n);
  const rows = await db.queryArrays(`select ${q('table_version')} from ${q(versionTable)} where ${q('table_name')}=?`, [
    table,
  ]);
  const row = rows[0];
  return row === undefined ? null : Number(row[0]);
}

export async function insertVersionRow(
  db: DbQueryable,
  kind: DbKind,
  versionTable: string,
  table: string,
  v: number,
): Promise<void> {
  const q = (n: string): string => quoteIdent(kind, n);
  await db.exec(`INSERT INTO ${q(versionTable)} (${q('table_name')}, ${q('table_version')}) values (?, ?)`, [table, v]);
}
