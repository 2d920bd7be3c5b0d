/** dsd's command line, shaped like kamailio's: -f FILE -c -DD -E -P FILE -V -h. */
import { DsdError } from '../core/errors';
export interface DaemonArgs {
  cfgFile: string;
  checkOnly: boolean;
  /** -D count: -DD keeps dsd in the foreground (it never forks; -D alone is accepted). */
  foreground: number;
  logStderr: boolean;
  pidFile: string | null;
  version: boolean;
  help: boolean;
  /** -d given n times raises the log level by n (as kamailio's -d). */
  debugBump: number;
  /** -A NAME[=VALUE]: preprocessor defines, as kamailio's -A. */
  defines: Record<string, string | true>;
  /** --log-format: json, or pretty (human-readable); default pretty for -E on a terminal. */
  logFormat: 'json' | 'pretty' | null;
  /** `dsd db init`: a subcommand instead of running the daemon. */
  command: string[] | null;
  /** -n N: the `children` global, overriding the cfg (as kamailio's -n). */
  children: number | null;
  /** -b N: the `maxbuffer` global, overriding the cfg (as kamailio's -b). */
  maxBuffer: number | null;
  /** -u USER / -g GROUP: run as this user/group once the sockets are open. */
  user: string | null;
  group: string | null;
  /** -Y DIR: runtime directory (jsonrpcs' relative FIFO/socket names, the default ctl socket). */
  runtimeDir: string | null;
  /** -w DIR: working directory (as kamailio's -w); relative paths in the cfg stay relative to the cfg file. */
  workDir: string | null;
  /** Kamailio options dsd accepts without a use (-m, -M, -L): one warning each at start. */
  ignored: string[];
}

export class UsageError extends DsdError {
  constructor(msg: string) {
    super('DSD_ERR_USAGE', msg);
  }
}

export const USAGE = `Usage: dsd [options]
  -f FILE   configuration file (default: etc/dsd.cfg of the installation)
  -c        check the configuration file and exit (errors as file:line:col)
  -DD       stay in the foreground (-D too); without it dsd goes to the background
            once it serves, as kamailio (systemd Type=forking)
  -E        log to stderr (else syslog, as log_stderror=no)
  --log-format json|pretty  JSON lines, or one readable line per event
            (default: pretty for -E on a terminal, else json)
  -P FILE   write the pid to FILE
  -A NAME[=VALUE]  #!define NAME for the config (repeatable)
  -n N      the children global (overrides the config), as kamailio's -n
  -b N      the maxbuffer global: largest UDP receive buffer in bytes (overrides the
            config), as kamailio's -b
  -u USER   run as USER once the sockets are open (-g GROUP: as GROUP)
  -Y DIR    runtime directory (jsonrpcs FIFO/socket names without a path)
  -w DIR    working directory
  -m MB, -M MB, -L DIR   kamailio's memory sizes and module path: accepted, no use in dsd
  -d        raise the log level (repeatable)
  -V        print the version and exit
  -h        this help
       dsd db init -f FILE   create the dispatcher schema on the config's db_url (idempotent)`;

export function parseArgs(argv: readonly string[], defaultCfg: string): DaemonArgs {
  const a: DaemonArgs = {
    cfgFile: defaultCfg,
    checkOnly: false,
    foreground: 0,
    logStderr: false,
    pidFile: null,
    version: false,
    help: false,
    debugBump: 0,
    defines: {},
    command: null,
    logFormat: null,
    children: null,
    maxBuffer: null,
    user: null,
    group: null,
    runtimeDir: null,
    workDir: null,
    ignored: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === 'db' && i === 0) {
      a.command = ['db', ...argv.slice(1).filter((x, k, all) => x !== '-f' && all[k - 1] !== '-f')];
      const cfgFile = argv[argv.indexOf('-f') + 1];
      if (argv.includes('-f') && cfgFile !== undefined) a.cfgFile = cfgFile;
      return a;
    }
    if (arg === '-A') {
      const v = argv[++i];
      if (v === undefined || v === '') throw new UsageError('option -A needs NAME[=VALUE]');
      const eq = v.indexOf('=');
      if (eq > 0) a.defines[v.slice(0, eq)] = v.slice(eq + 1);
      else a.defines[v] = true;
      continue;
    }
    if (
      arg === '-n' ||
      arg === '-b' ||
      arg === '-u' ||
      arg === '-g' ||
      arg === '-Y' ||
      arg === '-w' ||
      arg === '-m' ||
      arg === '-M' ||
      arg === '-L'
    ) {
      const v = argv[++i];
      if (v === undefined || v === '') throw new UsageError(`option ${arg} needs a value`);
      if (arg === '-n') {
        if (!/^\d+$/.test(v) || Number(v) < 1)
          throw new UsageError(`option -n needs a number of children (1 or more), got "${v}"`);
        a.children = Number(v);
      } else if (arg === '-b') {
        if (!/^\d+$/.test(v)) throw new UsageError(`option -b needs a buffer size in bytes, got "${v}"`);
        a.maxBuffer = Number(v);
      } else if (arg === '-u') a.user = v;
      else if (arg === '-g') a.group = v;
      else if (arg === '-Y') a.runtimeDir = v;
      else if (arg === '-w') a.workDir = v;
      else {
        if ((arg === '-m' || arg === '-M') && !/^\d+$/.test(v))
          throw new UsageError(`option ${arg} needs a size in MB, got "${v}"`);
        a.ignored.push(`${arg} ${v}`);
      }
      continue;
    }
    if (arg === '-f' || arg === '-P') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`option ${arg} needs a file name`);
      if (arg === '-f') a.cfgFile = v;
      else a.pidFile = v;
      continue;
    }
    if (/^-[cDEVhd]+$/.test(arg)) {
      for (const ch of arg.slice(1)) {
        if (ch === 'c') a.checkOnly = true;
        else if (ch === 'D') a.foreground++;
        else if (ch === 'E') a.logStderr = true;
        else if (ch === 'V') a.version = true;
        else if (ch === 'h') a.help = true;
        else if (ch === 'd') a.debugBump++;
      }
      continue;
    }
    if (arg === '--log-format' || arg.startsWith('--log-format=')) {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v !== 'json' && v !== 'pretty') throw new UsageError('option --log-format takes json or pretty');
      a.logFormat = v;
      continue;
    }
    if (arg === '--help') {
      a.help = true;
      continue;
    }
    if (arg === '--version') {
      a.version = true;
      continue;
    }
    throw new UsageError(`unknown option ${arg}`);
  }
  return a;
}
