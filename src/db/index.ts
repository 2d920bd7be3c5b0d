/**
 * Destinations in a database (Kamailio's `dispatcher` table on SQLite, PostgreSQL or
 * MySQL): db_url parsing, the thin driver layer, the schema (`dsd db init`), the loader and
 * the --persist writes. See README.md.
 */

export { DbError, scrub } from './errors';
export type { DbErrorKind } from './errors';
export { parseDbUrl, maskDbUrl, checkDbModule, dbModuleFor, moduleBaseName, scanLoadmodules } from './url';
export type { DbKind, DbUrl } from './url';
export type { DbDriver, DbQueryable, DbOpenOptions, SqlValue, ExecResult } from './driver';
export { quoteIdent } from './driver';
export { openDb, withDb } from './open';
export { DEFAULT_TABLE, tableConfigFromParams, isPlainIdentifier } from './table-config';
export type { DsTableConfig, DsTableParams } from './table-config';
export {
  runDbInit,
  initSchema,
  ensureSqliteSchema,
  formatDbInitReport,
  dispatcherTableDdl,
  versionTableDdl,
  tableExists,
  DISPATCHER_TABLE_VERSION,
} from './schema';
export type { DbInitResult, DbInitOptions } from './schema';
export { readTableVersion, loadColumns, loadSql, loadDispatcherRecords } from './loader';
export type { DbLoadResult, LoadOptions } from './loader';
export { DbListSource, loadAtStart } from './list-source';
export type { DbListSourceOptions, DbLog } from './list-source';
export { insertDestination, deleteDestination, persistDestinationState } from './persist';
export type { NewDestination } from './persist';
export { defaultDbParams, DB_PARAMS } from './params';
export type { DsdDbParams } from './params';
export { DispatcherDb, dbInitCommand, defaultNodeName } from './daemon-glue';
export type { DispatcherDbOptions, RuntimeLike } from './daemon-glue';
export { registerDbModules, DB_MODULES, DB_MODULE_PARAMS } from './script-modules';
