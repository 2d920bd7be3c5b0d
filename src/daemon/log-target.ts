/**
 * Where dsd's log lines go, as Kamailio decides it: `-E` or `log_stderror=yes` to stderr,
 * else syslog with log_facility and log_name. On stderr the lines are JSON, or readable
 * text with `--log-format pretty` (the default when stderr is a terminal). Syslog goes to
 * /dev/log, or $DSD_SYSLOG_SOCKET; when that socket does not exist (a container without a
 * syslog daemon) the lines go to stderr instead, with one warning, rather than nowhere.
 */
import fs from 'node:fs';
import type { LogTarget } from '../core/log';
import type { DaemonArgs } from './args';
import type { DaemonConfig } from './config';

const DEFAULT_SYSLOG_SOCKET = '/dev/log';

function stderrFormat(args: DaemonArgs): 'json' | 'pretty' {
  return args.logFormat ?? (process.stderr.isTTY ? 'pretty' : 'json');
}

/** Before the config is read: stderr. */
export function bootTarget(args: DaemonArgs): LogTarget {
  return { kind: 'fd', fd: 2, format: stderrFormat(args) };
}

function isSocket(p: string): boolean {
  try {
    return fs.statSync(p).isSocket();
  } catch {
    return false;
  }
}

export function logTarget(
  args: DaemonArgs,
  cfg: Pick<DaemonConfig, 'logStderr' | 'logFacility' | 'logName'>,
): LogTarget {
  if (args.logStderr || cfg.logStderr) return bootTarget(args);
  const socket = process.env.DSD_SYSLOG_SOCKET || DEFAULT_SYSLOG_SOCKET;
  if (!isSocket(socket)) {
    process.stderr.write(`dsd: log_stderror=no but there is no syslog socket at ${socket}: logging to stderr\n`);
    return bootTarget(args);
  }
  return { kind: 'syslog', socket, facility: cfg.logFacility, name: cfg.logName ?? 'dsd' };
}
