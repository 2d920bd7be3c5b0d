/**
 * dsd's entry point: parse argv, `dsd -c` (check only), `dsd db init`, compile the config,
 * then one of three starts: the primary of several SIP workers (src/daemon/primary.ts), a
 * SIP worker (worker-main.ts) or a single process (single-start.ts). The engine both of
 * the last two run is built, warmed up and bound in engine.ts.
 */
import path from 'node:path';
import os from 'node:os';
import cluster from 'node:cluster';
import { parseArgs, UsageError, USAGE, DaemonArgs } from './args';
import { loadDaemonConfig, StartupError, DaemonConfig } from './config';
import { createScriptHost } from './script-host';
import { createLogger, Logger } from '../core/log';
import { logTarget, bootTarget } from './log-target';
import { checkDestinations } from './check-list';
import { checkListLines } from './check-destinations';
import type { RequestContext } from '../proxy/context';
import { registerModules } from './modules';
import type { Services } from '../modules/services';
import { createRegistry, checkConfig, ConfigErrors } from '../script';
import { VERSION } from '../core/version';
import { PACKAGE_ROOT } from '../core/package-root';
import { dbInitCommand } from './db-glue';
import { runPrimary } from './primary';
import { workerRole } from '../workers/worker';
import { startWorker } from './worker-main';
import { startSingle } from './single-start';
import { accDbInit } from '../modules/acc/db-init';
import { dropPrivileges, warnIgnoredOptions } from './kamailio-options';
import { jsonrpcsConfig } from './jsonrpcs-config';
import { daemonize, notifyReady, shouldDaemonize } from './daemonize';
import { sdNotify } from './sd-notify';
import { mark } from './startup-marks';

mark('modules');

export const DEFAULT_CFG = path.join(PACKAGE_ROOT, 'etc', 'dsd.cfg');

function die(msg: string, code = 1): never {
  process.stderr.write(`${msg}\n`);
  process.exit(code);
}

/** Logging before the config said where: stderr, level from -d only. */
const bootLog = (args: DaemonArgs): Logger => createLogger({ debug: 2 + args.debugBump, target: bootTarget(args) });

export async function main(argv: string[]): Promise<void> {
  let args: DaemonArgs;
  try {
    args = parseArgs(argv, DEFAULT_CFG);
  } catch (e) {
    if (e instanceof UsageError) die(`dsd: ${e.message}\n${USAGE}`, 2);
    throw e;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (shouldDaemonize(args)) process.exit(await daemonize(argv));
  if (args.workDir !== null) {
    // the cfg and pid file named on the command line stay where the caller meant them
    args.cfgFile = path.resolve(args.cfgFile);
    if (args.pidFile) args.pidFile = path.resolve(args.pidFile);
    try {
      process.chdir(args.workDir);
    } catch (e) {
      die(`dsd: -w ${args.workDir}: ${(e as Error).message}`);
    }
  }
  if (args.version) {
    process.stdout.write(`version: dsd ${VERSION} (${os.arch()}/${os.platform()})\n`);
    return;
  }

  let debug = 2 + args.debugBump;
  const svc: Services = { core: null, dispatcher: null, log: bootLog(args) };
  const registry = createRegistry<RequestContext>();
  registerModules(registry, svc);
  const host = createScriptHost(svc, () => svc.log.getDebug());

  if (args.checkOnly) {
    const r = checkConfig(args.cfgFile, registry, { host, defines: args.defines });
    for (const w of r.warnings) process.stderr.write(`${w.message}\n`);
    for (const e of r.errors) process.stderr.write(`${e.message}\n`);
    if (r.errors.length) die(`${args.cfgFile}: ${r.errors.length} error(s) in the configuration`);
    let checked: DaemonConfig;
    try {
      checked = await loadDaemonConfig(args.cfgFile, registry, host, args.defines);
    } catch (e) {
      if (e instanceof ConfigErrors) die(e.errors.map((x) => x.message).join('\n'));
      die(`${(e as Error).message}`);
    }
    process.stderr.write('config file ok, exiting...\n');
    let listErrors = 0;
    if (checked.dispatcherLoaded) {
      // every line's URI and attributes (stderr), then what a start or reload would load, as a diff (stdout)
      const l = await checkListLines(checked);
      for (const w of l.warnings) process.stderr.write(`warning: ${w}\n`);
      for (const e of l.errors) process.stderr.write(`${e}\n`);
      listErrors = l.errors.length;
      process.stderr.write(
        listErrors
          ? `${l.source}: ${listErrors} error(s) in the destinations\n`
          : `destinations ok: ${l.usable} usable in ${l.source}\n`,
      );
      const rc = await checkDestinations(checked, bootLog(args), (x) => process.stdout.write(`${x}\n`));
      if (rc !== 0 || listErrors) process.exit(rc || 1);
    }
    return;
  }

  let cfg: DaemonConfig;
  try {
    cfg = await loadDaemonConfig(args.cfgFile, registry, host, args.defines);
  } catch (e) {
    if (e instanceof ConfigErrors) die(e.errors.map((x) => x.message).join('\n'));
    if (e instanceof StartupError) die(e.message);
    die(`${args.cfgFile}: ${(e as Error).message}`);
  }
  if (args.command) {
    if (args.command[0] !== 'db' || args.command[1] !== 'init' || args.command.length !== 2) {
      die(`dsd: unknown command "${args.command.join(' ')}" (dsd db init -f FILE)\n${USAGE}`, 2);
    }
    const out = (l: string): void => void process.stdout.write(`${l}\n`);
    const err = (l: string): void => void process.stderr.write(`${l}\n`);
    const accDb = cfg.acc?.dbUrl ? cfg.acc : null;
    // the dispatcher's schema when it has a db_url (or nothing else to do), then acc's
    let code = cfg.ds.db_url || !accDb ? await dbInitCommand(cfg.ds, out, err) : 0;
    if (code === 0 && accDb) code = await accDbInit(accDb, out, err);
    process.exit(code);
  }
  mark('config');
  if (args.children !== null) cfg.compiled.globals.children = args.children;
  if (args.maxBuffer !== null) cfg.compiled.globals.maxBuffer = args.maxBuffer;
  debug = cfg.debug + args.debugBump;
  const log = createLogger({ debug, target: logTarget(args, cfg), name: cfg.logName ?? 'dsd' });
  svc.log = log;
  log.notice('configuration loaded', { cfg: path.resolve(args.cfgFile), debug, defines: Object.keys(args.defines) });
  for (const w of cfg.compiled.warnings) log.warn(w.message);
  warnIgnoredOptions(args, log);
  const children = cfg.compiled.globals.children;
  if (children > 1 && cluster.isPrimary) {
    if (cfg.cluster.enabled)
      die(
        `${args.cfgFile}: ds_cluster needs children=1 (or -n 1): several SIP workers in a cluster node are not supported yet`,
      );
    const sockets = cfg.listen
      .map((l) => `${l.proto}:${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`)
      .join(' ');
    await runPrimary({
      children,
      log,
      ctlPath: cfg.ctlPath,
      control: {
        limits: cfg.ctlLimits,
        binrpcExtra: cfg.ctlExtra,
        jsonrpcs: jsonrpcsConfig(cfg, args.runtimeDir),
        access: cfg.ctlAccess,
      },
      metricsListen: cfg.health.metrics,
      pidFile: args.pidFile,
      sockets,
      die,
      onStarted: () => {
        dropPrivileges(args, log);
        notifyReady();
      },
    });
    // runPrimary returns once every worker is ready and "started" is logged
    await sdNotify(`READY=1\nSTATUS=serving on ${sockets}, ${children} SIP workers`);
    const stopping = (sig: string) => () => void sdNotify(`STOPPING=1\nSTATUS=${sig}: workers draining`);
    process.once('SIGTERM', stopping('SIGTERM'));
    process.once('SIGINT', stopping('SIGINT'));
    return;
  }
  const role = children > 1 ? workerRole(children) : null;
  const start = { args, cfg, svc, log, role, die };
  if (role) await startWorker({ ...start, role });
  else await startSingle(start);
}
