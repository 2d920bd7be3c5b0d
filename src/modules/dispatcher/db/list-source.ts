/**
 * The destination list when it lives in a database: each load connects, reads the table
 * version (first load only, as Kamailio reads it once at start), runs the SELECT and
 * disconnects. A failing load throws and changes nothing, so the engine keeps the running
 * list on a failed reload; at start the daemon exits non-zero with the masked URL unless
 * ds_db_start_empty is set.
 */

import type { ReloadSource } from '../list-manager';
import { DbError } from '../../../db/errors';
import { DbOpenOptions } from '../../../db/driver';
import { DbLoadResult, loadDispatcherRecords } from './loader';
import { withDb } from '../../../db/open';
import { DsTableConfig } from './table-config';
import { DbUrl, parseDbUrl } from '../../../db/url';

export interface DbLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface DbListSourceOptions {
  readonly url: DbUrl | string;
  readonly table: DsTableConfig;
  /** ds_load_mode. */
  readonly loadMode: number;
  readonly log?: DbLog;
  readonly open?: DbOpenOptions;
}

export class DbListSource {
  readonly url: DbUrl;
  readonly table: DsTableConfig;
  private readonly loadMode: number;
  private readonly log: DbLog | null;
  private readonly openOpts: DbOpenOptions;
  private version: number | null = null;
  private hasId: boolean | null = null;

  constructor(o: DbListSourceOptions) {
    this.url = typeof o.url === 'string' ? parseDbUrl(o.url) : o.url;
    this.table = o.table;
    this.loadMode = o.loadMode;
    this.log = o.log ?? null;
    this.openOpts = o.open ?? {};
  }

  /** The table version read by the first successful load (null before). */
  get tableVersion(): number | null {
    return this.version;
  }

  /**
   * Reads the table. Throws DbError (database unreachable, wrong password, missing table,
   * bad version) or ListLoadError (ds_load_mode 1 and a bad row). Skipped rows are logged
   * as warnings naming their id.
   */
  async load(loadMode = this.loadMode, quiet = false): Promise<DbLoadResult> {
    const r = await withDb(
      this.url,
      (db) =>
        loadDispatcherRecords(db, this.table, {
          loadMode,
          version: this.version ?? undefined,
          hasId: this.hasId,
        }),
      this.openOpts,
    );
    this.version = r.version;
    this.hasId = r.hasId;
    if (quiet) return r;
    for (const w of r.warnings) this.log?.warn(`dispatcher: ${w}`);
    if (r.rowCount === 0)
      this.log?.warn(
        `dispatcher: no dispatching data in ${this.url.masked} table ${this.table.table} -- empty destination set`,
      );
    return r;
  }

  /** load() as the engine's ReloadSource: `ds.reload(await src.source())`. */
  async source(): Promise<ReloadSource> {
    return { records: (await this.load()).records };
  }

  /**
   * The source of a dry-run reload: every good row, and the bad ones as warnings (skipped,
   * ds_load_mode 0) or as the errors that would refuse the reload (ds_load_mode 1), so the
   * dry run can show them all instead of failing on the first.
   */
  async dryRunSource(): Promise<ReloadSource> {
    const r = await this.load(0, true);
    if (this.loadMode === 1)
      return { records: r.records, errors: r.badRows.map((b) => `${b} (ds_load_mode=1: load refused)`) };
    return { records: r.records, warnings: r.warnings };
  }
}

/**
 * The start-time load. Database down (or any DbError): with `startEmpty`
 * (modparam ds_db_start_empty 1) logs the error and returns an empty list (a later
 * dispatcher.reload fills it); otherwise rethrows, for the daemon to exit non-zero with
 * the message (masked URL + driver error).
 */
export async function loadAtStart(
  src: DbListSource,
  opts: { startEmpty: boolean; log?: DbLog },
): Promise<ReloadSource> {
  try {
    return await src.source();
  } catch (e) {
    if (!(e instanceof DbError) || !opts.startEmpty) throw e;
    opts.log?.error(
      `dispatcher: ${e.message}; starting with an empty destination list (ds_db_start_empty=1), use dispatcher.reload once the database is back`,
    );
    return { records: [] };
  }
}
