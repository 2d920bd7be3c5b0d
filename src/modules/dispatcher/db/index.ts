/**
 * The dispatcher table in a database (Kamailio's `dispatcher` table, version 4): its
 * modparams, the schema (`dsd db init`), the loader and the --persist writes, on top of the
 * driver layer in src/db. See src/db/README.md.
 */

export { DEFAULT_TABLE, tableConfigFromParams } from './table-config';
export type { DsTableConfig } from './table-config';
export { runDbInit, ensureSqliteSchema, dispatcherTableDdl } from './schema';
export { loadColumns, loadSql } from './loader';
export { DbListSource, loadAtStart } from './list-source';
export type { DbLog } from './list-source';
export { insertDestination, deleteDestination, persistDestinationState } from './persist';
export { defaultDbParams, DB_PARAMS } from './params';
