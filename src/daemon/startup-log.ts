/**
 * What start-up loaded, in the log where an operator looks first: the destination source
 * (list file or masked db_url), how many sets and destinations, the lines skipped, and the
 * admin states restored from the state file (or the cluster table).
 */
import type { Logger } from '../core/log';
import type { DaemonConfig } from './config';
import type { DispatcherRuntime } from '../modules/dispatcher/runtime';
import type { LoadReport } from '../modules/dispatcher/list-manager';
import { maskDbUrl } from '../db/url';

export function startupSummary(
  log: Logger,
  cfg: DaemonConfig,
  dispatcher: DispatcherRuntime,
  report: LoadReport,
): void {
  const source = cfg.ds.db_url
    ? { db_url: maskDbUrl(cfg.ds.db_url), table: cfg.ds.table_name }
    : { list_file: cfg.ds.list_file };
  const where = 'db_url' in source ? `${source.db_url} (table ${source.table})` : source.list_file;
  log.notice(
    `destinations loaded from ${where}: ${report.sets} set(s), ${report.destinations} destination(s)` +
      (report.warnings.length ? `, ${report.warnings.length} line(s) skipped` : ''),
    {
      ...source,
      sets: report.sets,
      destinations: report.destinations,
      skipped: report.warnings.length,
    },
  );
  const states = dispatcher.ds.exportAdminStates();
  if (states.length) {
    log.notice(
      `admin states restored: ${states.map((e) => `set ${e.setId} ${e.uri ?? `duid=${e.duid}`} ${e.state}`).join(', ')}`,
      {
        state_file: cfg.ds.db_url && cfg.cluster.enabled ? null : cfg.stateFile,
        states: states.map((e) => ({
          set: e.setId,
          ...(e.uri !== undefined ? { uri: e.uri } : { duid: e.duid }),
          state: e.state,
        })),
      },
    );
  }
}
