/**
 * Destinations in a database (Kamailio's `dispatcher` table on SQLite, PostgreSQL or
 * MySQL): db_url parsing, the thin driver layer, the schema (`dsd db init`), the loader and
 * the --persist writes. See README.md.
 */

export { DbError } from './errors';
export { parseDbUrl, maskDbUrl, checkDbModule, scanLoadmodules } from './url';
export type { DbKind } from './url';
export { withDb } from './open';
export { DEFAULT_TABLE, tableConfigFromParams } from './table-config';
export type { DsTableConfig } from './table-config';
export { runDbInit, ensureSqliteSchema, dispatcherTableDdl, versionTableDdl } from './schema';
export { loadColumns, loadSql } from './loader';
export { DbListSource, loadAtStart } from './list-source';
export type { DbLog } from './list-source';
export { insertDestination, deleteDestination, persistDestinationState } from './persist';
export { defaultDbParams, DB_PARAMS } from './params';
