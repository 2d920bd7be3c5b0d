/**
 * The database driver layer (SQLite, PostgreSQL, MySQL): db_url parsing, connections,
 * statements, the `version` table. The tables themselves belong to the modules that keep
 * them (modules/dispatcher/db, modules/acc). See README.md.
 */

export { DbError } from './errors';
export { parseDbUrl, maskDbUrl, checkDbModule, scanLoadmodules } from './url';
export type { DbKind } from './url';
export { withDb } from './open';
export { versionTableDdl } from './schema';
