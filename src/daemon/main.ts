/**
 * dsd's entry point: parse argv, compile the config, start the proxy core, the
 * dispatcher and the control socket, and handle signals (SIGTERM/SIGINT drain then exit
 * 0, SIGHUP reloads the destination list) and the pid file.
 */
import path from 'node:path';
import os from 'node:os';
import { parseArgs, UsageError, USAGE, DaemonArgs } from './args';
import { writePidFile, removePidFile } from './pidfile';
import { loadDaemonConfig, StartupError, DaemonConfig } from './config';
import { createScriptHost } from './script-host';
import { scriptHooks, runDispatcherEvent } from './script-hooks';
import { startControl } from './control';
import { createLogger, Logger } from '../core/log';
import { logTarget, bootTarget } from './log-target';
import { startupSummary } from './startup-log';
import { checkDestinations } from './check-list';
import { checkListLines } from './check-destinations';
import { ProxyCore } from '../proxy/core';
import { TransportLayer } from '../transport/layer';
import { RequestContext } from '../proxy/context';
import { DispatcherRuntime } from '../modules/dispatcher/runtime';
import { registerModules } from '../modules';
import type { Services } from '../modules/services';
import { createRegistry, checkConfig, ConfigErrors } from '../script';
import { VERSION } from '../core/version';
import { startMetrics, MetricsServer } from '../metrics';
import { DispatcherDb, dbInitCommand } from '../db/daemon-glue';
import cluster from 'node:cluster';
import { runPrimary } from '../workers/primary';
import { workerRole, WorkerLink } from '../workers/worker';
import { runWorker } from './worker-main';
import { AccRuntime } from '../modules/acc/runtime';
import { accDbInit } from '../modules/acc/db-init';
import { TlsProfiles } from '../transport/tls-profiles';
import { TlsTransport } from '../transport/tls';
import { registerTlsRpc } from '../modules/tls/rpc';
import { WsTransport } from '../transport/ws';
import { registerWsRpc } from '../modules/websocket/rpc';
import { runXhttpRequest } from '../modules/xhttp/request';
import { HttpServer } from '../transport/http';

/** The Server header line for HTTP replies (the cfg may hold the value or the whole line). */
function serverLine(h: string | null): string | null {
  if (!h) return null;
  return /^server:/i.test(h) ? h.replace(/\r?\n$/, '') : `Server: ${h}`;
}
import { dropPrivileges, warnIgnoredOptions } from './kamailio-options';
import { jsonrpcsConfig } from './jsonrpcs-config';
import { daemonize, notifyReady, shouldDaemonize } from './daemonize';

/** What Kamailio's default Server/User-Agent say about it, for dsd. */
const SIGNATURE = `dsd (${VERSION} (${os.arch()}/${os.platform()}))`;

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const DEFAULT_CFG = path.join(ROOT, 'etc', 'dsd.cfg');

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
  if (args.children !== null) cfg.compiled.globals.children = args.children;
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
    return;
  }
  const role = children > 1 ? workerRole(children) : null;

  const transport = new TransportLayer(cfg.listen, {
    maxStreamMessage: 65535,
    limits: cfg.tcpLimits,
    log,
    // several workers: the first reads every socket and holds the stream connections
    listenTcp: role === null || role.index === 0,
    receiveUdp: role === null || role.index === 0,
  });
  const core = new ProxyCore(
    {
      transport,
      tm: cfg.tm,
      log,
      aliases: cfg.aliases,
      rr: cfg.rr,
      admission: cfg.admission,
      // Kamailio's server_header / user_agent_header are whole lines; server_signature=no drops both
      serverHeader: cfg.serverSignature ? (cfg.serverHeader ?? `Server: ${SIGNATURE}`) : null,
      userAgentHeader: cfg.serverSignature ? (cfg.userAgentHeader ?? `User-Agent: ${SIGNATURE}`) : null,
    },
    scriptHooks(cfg.compiled.script, log),
  );
  let tlsTransport: TlsTransport | null = null;
  if (cfg.tls) {
    const profiles = new TlsProfiles(cfg.tls.settings);
    try {
      profiles.load();
    } catch (e) {
      die(`dsd: tls: ${(e as Error).message}`);
    }
    tlsTransport = new TlsTransport(profiles, {
      maxStreamMessage: 65535,
      idleMs: cfg.tls.idleMs,
      handshakeMs: cfg.tls.handshakeMs,
      log,
    });
    transport.plug(tlsTransport);
  }
  let wsTransport: WsTransport | null = null;
  if (cfg.xhttp || cfg.websocket) {
    // HTTP on the TCP/TLS listen sockets: xhttp on its own, or under a WebSocket upgrade
    const http = new HttpServer({
      maxHead: 16384,
      maxBody: 65535,
      server: () => serverLine(core.serverHeader),
      log,
    });
    http.onRequest = (r) => runXhttpRequest(cfg.compiled.script, log, r);
    transport.http = (s, first, local, secure, touch) => http.take(s, first, local, secure, touch);
    svc.xhttp = http;
    if (cfg.websocket) {
      const w = cfg.websocket;
      wsTransport = new WsTransport(
        {
          maxMessage: 65535,
          keepaliveMechanism: w.keepaliveMechanism,
          keepaliveTimeout: w.keepaliveTimeout,
          keepaliveInterval: w.keepaliveInterval,
          corsMode: w.corsMode,
          log,
          server: () => serverLine(core.serverHeader),
        },
        http,
        transport.pluggedEvents(),
      );
      transport.plug(wsTransport);
      svc.websocket = wsTransport;
    }
  }
  try {
    await core.start();
  } catch (e) {
    die(`dsd: cannot listen: ${(e as Error).message}`);
  }
  svc.core = core;
  const link = role ? new WorkerLink(role, core, transport, log) : null;
  const init = link ? await link.start() : null;

  let acc: AccRuntime | null = null;
  if (cfg.acc) {
    try {
      acc = await AccRuntime.start(cfg.acc, log, (t) => cfg.compiled.compilePv(t));
    } catch (e) {
      await core.stop();
      die(`dsd: acc: ${(e as Error).message}`);
    }
    core.observers.push(acc.engine);
    svc.acc = acc;
  }

  let dsDb: DispatcherDb | null;
  try {
    dsDb = await DispatcherDb.create({
      ds: cfg.ds,
      db: cfg.db,
      cluster: cfg.cluster,
      loadedModules: cfg.loadedModules,
      log,
      version: `dsd ${VERSION}`,
      address: core.transport.sockets[0]?.text ?? '',
    });
  } catch (e) {
    await core.stop();
    die(`dsd: ${(e as Error).message}`);
  }
  const dispatcher = new DispatcherRuntime({
    core,
    params: cfg.ds,
    log,
    stateFile: cfg.stateFile,
    initialStateEvents: cfg.health.initialStateEvents,
    listSource: dsDb?.listSource,
    adminSource: dsDb?.adminSource,
    drainSource: dsDb?.drainSource,
    saveAdmin: role === null || role.index === 0,
    probe: role === null || role.index === 0,
  });
  if (cfg.ds.hash_pvar) {
    try {
      dispatcher.hashPvar = cfg.compiled.compileFormat(cfg.ds.hash_pvar);
    } catch (e) {
      await core.stop();
      die(`${args.cfgFile}: modparam("dispatcher", "hash_pvar"): ${(e as Error).message}`);
    }
  }
  dsDb?.attach(dispatcher);
  await dsDb?.startCluster();
  dispatcher.onEvent = (ev) => runDispatcherEvent(cfg.compiled.script, core, log, ev);
  dispatcher.compileFormat = (fmt) => cfg.compiled.compileFormat(fmt);
  svc.dispatcher = dispatcher;
  try {
    if (cfg.dispatcherLoaded) startupSummary(log, cfg, dispatcher, await dispatcher.start());
  } catch (e) {
    const detail = (e as { detail?: string }).detail;
    await dsDb?.close();
    await core.stop();
    die(`dsd: ${(e as Error).message}${detail ? ` (${detail})` : ''}`);
  }

  await dsDb?.started();

  if (link && init) {
    try {
      dropPrivileges(args, log);
    } catch (e) {
      die(`dsd: ${(e as Error).message}`);
    }
    await runWorker({ link, init, core, dispatcher, dispatcherLoaded: cfg.dispatcherLoaded, dsDb, cfg, log });
    return;
  }

  let control;
  try {
    control = await startControl({
      path: cfg.ctlPath,
      limits: cfg.ctlLimits,
      binrpcExtra: cfg.ctlExtra,
      jsonrpcs: jsonrpcsConfig(cfg, args.runtimeDir),
      core,
      dispatcher,
      log,
      startedAt: new Date(),
      persistDefault: cfg.persistDefault,
      dsDb,
      access: cfg.ctlAccess,
      moduleRpc: svc.rpc?.filter((m) => cfg.loadedModules.includes(m.module)),
      extraMethods: (r) => {
        if (tlsTransport && cfg.tls) registerTlsRpc(r, tlsTransport, 2048, cfg.tls.idleMs);
        if (wsTransport) registerWsRpc(r, wsTransport);
      },
    });
  } catch (e) {
    dispatcher.stop();
    await core.stop();
    die(
      e instanceof Error && 'code' in e && String(e.code).startsWith('EJSONRPC')
        ? `dsd: ${e.message}`
        : `dsd: control socket ${cfg.ctlPath}: ${(e as Error).message}`,
    );
  }

  let metrics: MetricsServer | null;
  try {
    metrics = await startMetrics(cfg.health.metrics, { core, dispatcher }, (e) => log.error(`metrics: ${e.message}`));
  } catch (e) {
    dispatcher.stop();
    await control.close();
    await core.stop();
    die(`dsd: ${(e as Error).message}`);
  }
  if (metrics)
    log.info(`metrics endpoint on http://${metrics.address}/metrics`, { url: `http://${metrics.address}/metrics` });

  if (args.pidFile) writePidFile(args.pidFile);
  try {
    dropPrivileges(args, log);
  } catch (e) {
    die(`dsd: ${(e as Error).message}`);
  }
  const listening = core.transport.sockets.map((s) => s.text);
  log.notice(`dsd ${VERSION} started, listening on ${listening.join(' ')}, control socket ${cfg.ctlPath}`, {
    version: VERSION,
    listen: listening,
    ctl: cfg.ctlPath,
    metrics: metrics ? metrics.address : null,
    pid_file: args.pidFile,
  });
  notifyReady();

  let stopping = false;
  const stop = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.notice(`${sig}: no new transactions, waiting for ${core.active.size} in flight`, {
      signal: sig,
      in_flight: core.active.size,
    });
    await core.drain(10_000);
    dispatcher.stop();
    await dsDb?.close();
    await acc?.close();
    await metrics?.close();
    await control.close();
    await core.stop();
    if (args.pidFile) removePidFile(args.pidFile);
    log.notice('stopped', { signal: sig });
    await log.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    dispatcher.reload().then(
      (r) => {
        log.notice(`SIGHUP: destinations reloaded (${r.message})`, {
          sets: r.report.sets,
          destinations: r.report.destinations,
          warnings: r.report.warnings.length,
        });
        void dsDb?.afterChange({ kind: 'reload' }, false);
      },
      (e: Error & { detail?: string }) =>
        log.error(`SIGHUP: reload refused, running set kept: ${e.message}${e.detail ? ` (${e.detail})` : ''}`, {
          error: e.message,
          detail: e.detail ?? null,
        }),
    );
  });
}
