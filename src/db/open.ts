/**
 * Opens the driver a db_url names, and runs a job on a short-lived connection (Kamailio
 * connects for each load and disconnects afterwards; so does dsd, so a database that
 * went away and came back needs no reconnect logic on the load path).
 */

import { DbDriver, DbOpenOptions } from './driver';
import { MysqlDriver } from './mysql';
import { PgDriver } from './postgres';
import { SqliteDriver } from './sqlite';
import { DbUrl, parseDbUrl } from './url';

export async function openDb(url: DbUrl | string, opts: DbOpenOptions = {}): Promise<DbDriver> {
  const u = typeof url === 'string' ? parseDbUrl(url) : url;
  switch (u.kind) {
    case 'sqlite':
      return SqliteDriver.open(u, opts);
    case 'postgres':
      return PgDriver.open(u, opts);
    case 'mysql':
      return MysqlDriver.open(u, opts);
  }
}

/** Opens, runs `fn`, closes (also when `fn` throws). */
export async function withDb<T>(
  url: DbUrl | string,
  fn: (db: DbDriver) => Promise<T>,
  opts: DbOpenOptions = {},
): Promise<T> {
  const db = await openDb(url, opts);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
