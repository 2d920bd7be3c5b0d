/** dsd's command line, shaped like kamailio's: -f FILE -c -DD -E -P FILE -V -h. */
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
  /** `dsd db init`: a subcommand instead of running the daemon. */
  command: string[] | null;
  /** -n N: SIP worker processes, overriding the config's `children` (as kamailio -n). */
  children: number | null;
}

export class UsageError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage: dsd [options]
  -f FILE   configuration file (default: etc/dsd.cfg of the installation)
  -c        check the configuration file and exit (errors as file:line:col)
  -DD       stay in the foreground (dsd never forks; accepted for kamailio parity)
  -E        log to stderr
  -P FILE   write the pid to FILE
  -A NAME[=VALUE]  #!define NAME for the config (repeatable)
  -n N      SIP worker processes (overrides children= of the config)
  -d        raise the log level (repeatable)
  -V        print the version and exit
  -h        this help
       dsd db init -f FILE   create the dispatcher schema on the config's db_url (idempotent)`;

export function parseArgs(argv: readonly string[], defaultCfg: string): DaemonArgs {
  const a: DaemonArgs = {
    cfgFile: defaultCfg, checkOnly: false, foreground: 0, logStderr: false,
    pidFile: null, version: false, help: false, debugBump: 0, defines: {}, command: null, children: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === 'db' && i === 0) {
      a.command = ['db', ...argv.slice(1).filter((x, k, all) => x !== '-f' && all[k - 1] !== '-f')];
      const f = argv.indexOf('-f');
      if (f >= 0 && argv[f + 1] !== undefined) a.cfgFile = argv[f + 1];
      return a;
    }
    if (arg === '-A') {
      const v = argv[++i];
      if (v === undefined || v === '') throw new UsageError('option -A needs NAME[=VALUE]');
      const eq = v.indexOf('=');
      if (eq > 0) a.defines[v.slice(0, eq)] = v.slice(eq + 1); else a.defines[v] = true;
      continue;
    }
    if (arg === '-n') {
      const v = argv[++i];
      if (v === undefined || !/^[1-9][0-9]{0,2}$/.test(v)) throw new UsageError('option -n needs a number of workers (1-999)');
      a.children = Number(v);
      continue;
    }
    if (arg === '-f' || arg === '-P') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`option ${arg} needs a file name`);
      if (arg === '-f') a.cfgFile = v; else a.pidFile = v;
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
    if (arg === '--help') { a.help = true; continue; }
    if (arg === '--version') { a.version = true; continue; }
    throw new UsageError(`unknown option ${arg}`);
  }
  return a;
}
