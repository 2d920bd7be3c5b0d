/**
 * dsd as one process (children=1): the engine is built, loaded and warmed up, the control
 * socket and metrics come up, dsd says it is ready, binds its SIP sockets, starts probing,
 * writes the pid file, drops privileges, says "started" and tells systemd (READY=1).
 * SIGTERM/SIGINT drain then exit 0, SIGHUP reloads the destination list.
 */
import { VERSION } from '../core/version';
import { buildRegistry, serveControl, type ControlOptions } from './control';
import { IdleWarmup, idleWarmupLimit } from './warmup-idle';
import { jsonrpcsConfig } from './jsonrpcs-config';
import { dropPrivileges } from './kamailio-options';
import { notifyReady } from './daemonize';
import { writePidFile, removePidFile } from './pidfile';
import { sdNotify } from './sd-notify';
import { mark, startupMarks, loadedFrom } from './startup-marks';
import type { MetricsServer } from '../metrics';
import { registerTlsRpc } from '../modules/tls/rpc';
import { registerWsRpc } from '../modules/websocket/rpc';
import { buildEngine, warmEngine, bindEngine, openEngine, runEngine, EngineStart } from './engine';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1000);
};

export async function startSingle(o: EngineStart): Promise<void> {
  const { args, cfg, log, svc } = o;
  const e = await buildEngine(o);
  const { core, dispatcher, dsDb, acc } = e;
  // UDP bound first, read only once warm: a datagram sent meanwhile waits in the kernel's
  // buffer for the warm-up instead of meeting a closed port and a 500 ms retransmission
  await bindEngine(e, o);
  mark('bound');
  const warm = await warmEngine(e, o, 'dsd');
  // from here on nothing read reaches the core until the warm-up while idle has ended
  const idleMs = warm ? idleWarmupLimit() : 0;
  const idle = idleMs > 0 ? new IdleWarmup(e, o, 'dsd', idleMs) : null;

  let control;
  try {
    const controlOptions: ControlOptions = {
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
        if (e.tls && cfg.tls) registerTlsRpc(r, e.tls, 2048, cfg.tls.idleMs);
        if (e.ws) registerWsRpc(r, e.ws);
      },
    };
    const registry = buildRegistry(controlOptions);
    idle?.holdCalls(registry);
    control = await serveControl(registry, controlOptions);
  } catch (err) {
    await dsDb?.close();
    o.die(
      err instanceof Error && 'code' in err && String(err.code).startsWith('EJSONRPC')
        ? `dsd: ${err.message}`
        : `dsd: control socket ${cfg.ctlPath}: ${(err as Error).message}`,
    );
  }

  let metrics: MetricsServer | null;
  try {
    // prom-client is loaded only when the endpoint is on (~80-160 ms of module loading otherwise paid by every start)
    metrics = cfg.health.metrics
      ? await (
          await import('../metrics')
        ).startMetrics(cfg.health.metrics, { core, dispatcher }, (x) => log.error(`metrics: ${x.message}`))
      : null;
  } catch (err) {
    await control.close();
    await dsDb?.close();
    o.die(`dsd: ${(err as Error).message}`);
  }
  if (metrics)
    log.info(`metrics endpoint on http://${metrics.address}/metrics`, { url: `http://${metrics.address}/metrics` });

  // the last line before the sockets are read: nothing was read from them yet
  mark('ready');
  const at = startupMarks();
  const loaded = loadedFrom();
  const cut = warm && (warm.cutShort || warm.skipped.length > 0);
  log.notice(
    `dsd ready for traffic${warm ? ` (warm-up ${Math.round(warm.ms)} ms of a ${warm.budgetMs} ms budget${cut ? ', cut at the budget' : ''})` : ''}, ` +
      `${at.ready} ms after start (node and modules ${at.modules} ms, config ${at.config} ms, list ${at.engine} ms` +
      `, UDP bound ${at.bound} ms${warm ? `, warm-up ${at['warm-up']} ms` : ''}): reading the SIP sockets`,
    {
      warmup_ms: warm ? Math.round(warm.ms) : 0,
      warmup_budget_ms: warm ? warm.budgetMs : 0,
      warmup_skipped: warm ? warm.skipped : [],
      warmup_cut_short: warm ? warm.cutShort : false,
      uptime_ms: at.ready,
      marks: at,
      // files node read to get here (the bundle counts as one): what lazy loading and bundling save
      files_loaded: Object.keys(require.cache).length,
      // CPU to here (user + system), steadier than the marks on a busy machine
      cpu_ms: cpuMs(),
      loaded_from: loaded.from,
      code_cache: loaded.codeCache,
      // bin/dsd's #! line gives the GC flags (node-flags.ts); a bare `node bin/dsd` runs without
      node_flags: process.execArgv,
    },
  );
  await openEngine(e, o);
  // the engine's timers (keepalives, the database's heartbeat) only once the warm-up while
  // idle has given the script its services back
  if (idle) void idle.run(() => runEngine(e, o)).catch((err: Error) => log.error(`dsd: ${err.message}`));
  else await runEngine(e, o);

  // the handlers go in before "started" is said: whoever sends SIGTERM on that line must get a drain and
  // exit 0, not node's default death by signal
  let stopping = false;
  const stop = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await idle?.shutdown(sig);
    void sdNotify(`STOPPING=1\nSTATUS=${sig}: draining ${core.inFlight} transaction(s)`);
    log.notice(`${sig}: no new transactions, waiting for ${core.inFlight} in flight`, {
      signal: sig,
      in_flight: core.inFlight,
    });
    await core.drain(10_000);
    dispatcher.stop();
    e.quietHeap.stop();
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
      (err: Error & { detail?: string }) =>
        log.error(`SIGHUP: reload refused, running set kept: ${err.message}${err.detail ? ` (${err.detail})` : ''}`, {
          error: err.message,
          detail: err.detail ?? null,
        }),
    );
  });

  if (args.pidFile) writePidFile(args.pidFile);
  try {
    dropPrivileges(args, log);
  } catch (err) {
    o.die(`dsd: ${(err as Error).message}`);
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
  await sdNotify(`READY=1\nSTATUS=serving on ${listening.join(' ')}`);
}
