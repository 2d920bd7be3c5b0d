/**
 * The primary process with children > 1: it handles no SIP. It forks the workers and
 * restarts them, owns the control socket, the metrics endpoint (summed over workers),
 * the pid file and the signals: SIGTERM/SIGINT drain every worker, SIGHUP reloads the
 * destination list once (in every worker).
 */
import type { Registry } from 'prom-client';
import { serveControl, ServeOptions } from './control';
import { auditSink } from './operator-methods';
import type { Logger } from '../core/log';
import { VERSION } from '../core/version';
import { MetricsServer } from '../metrics/server';
import type { MetricsListen } from '../metrics/params';
import { writePidFile, removePidFile } from './pidfile';
import { WorkerPool } from '../workers/pool';
import { fullGc } from './full-gc';
import { withDaemonFlags } from './node-flags';
import { WorkersRegistry } from '../workers/control';
import { INTERNAL } from '../workers/ipc';

export interface PrimaryOptions {
  readonly children: number;
  readonly log: Logger;
  readonly ctlPath: string;
  /** The control socket(s): binrpc, jsonrpcs, access and limits as in one process. */
  readonly control: Omit<ServeOptions, 'path' | 'log'>;
  readonly metricsListen: MetricsListen | null;
  readonly pidFile: string | null;
  /** The listen sockets as text, for the start line. */
  readonly sockets: string;
  readonly die: (msg: string) => never;
  /** After the start line: drop privileges (-u/-g), tell systemd we are ready. */
  readonly onStarted?: () => void;
}

/** The metrics endpoint's registry: every worker's metrics, aggregated at each scrape. */
function aggregated(pool: WorkerPool): Registry {
  // loaded here, only with the endpoint on: prom-client is a good part of dsd's module loading
  const prom = require('prom-client') as typeof import('prom-client');
  const { AggregatorRegistry } = prom;
  const reg = new prom.Registry();
  reg.metrics = async () => {
    const all = await Promise.all(pool.liveIndexes().map((i) => pool.call(i, INTERNAL.metrics, [], false)));
    return AggregatorRegistry.aggregate(all as object[]).metrics();
  };
  return reg;
}

export async function runPrimary(o: PrimaryOptions): Promise<void> {
  const { log } = o;
  const workerFlags = withDaemonFlags(process.execArgv);
  const pool = new WorkerPool(o.children, log, workerFlags);
  try {
    await pool.start();
  } catch (e) {
    pool.kill();
    o.die(`dsd: ${(e as Error).message}`);
  }
  const registry = new WorkersRegistry(pool, log);
  registry.onAudit = auditSink(log);
  try {
    await registry.learn();
  } catch (e) {
    pool.kill();
    o.die(`dsd: ${(e as Error).message}`);
  }
  let control: Awaited<ReturnType<typeof serveControl>>;
  try {
    control = await serveControl(registry, { ...o.control, path: o.ctlPath, log });
  } catch (e) {
    pool.kill();
    o.die(`dsd: control socket ${o.ctlPath}: ${(e as Error).message}`);
  }
  let metrics: MetricsServer | null = null;
  if (o.metricsListen) {
    try {
      metrics = await MetricsServer.start(o.metricsListen, aggregated(pool), (e) => log.error(`metrics: ${e.message}`));
    } catch (e) {
      pool.kill();
      await control.close();
      o.die(`dsd: ${(e as Error).message}`);
    }
    log.info(`metrics endpoint on http://${metrics.address}/metrics`);
  }
  // signal handlers before "started": a SIGTERM sent on that line drains instead of killing
  let stopping = false;
  const stop = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${sig}: no new transactions; every worker finishes the ones in flight`);
    await pool.stop(15_000);
    await metrics?.close();
    await control.close();
    if (o.pidFile) removePidFile(o.pidFile);
    log.notice('stopped', { signal: sig });
    await log.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    registry.invoke('dispatcher.reload', []).then(
      (r) => log.info(`SIGHUP: destinations reloaded in every worker (${String(r)})`),
      (e: Error & { data?: unknown }) =>
        log.error(`SIGHUP: reload refused, running set kept: ${e.message}${e.data ? ` (${String(e.data)})` : ''}`),
    );
  });
  if (o.pidFile) writePidFile(o.pidFile);
  // the primary's start-up garbage (the cfg compiled to check it, the workers' replies) goes
  // now: it carries no SIP, so the pause costs no call (full-gc.ts)
  fullGc();
  // privileges go before "started" is said: whoever waits for that line sees the final user
  try {
    o.onStarted?.();
  } catch (e) {
    await pool.stop(15_000);
    o.die(`dsd: ${(e as Error).message}`);
  }
  log.notice(
    `dsd ${VERSION} started, listening on ${o.sockets}, control socket ${o.ctlPath}, ${o.children} SIP workers`,
    {
      version: VERSION,
      ctl: o.ctlPath,
      metrics: metrics ? metrics.address : null,
      pid_file: o.pidFile,
      children: o.children,
      worker_node_flags: workerFlags,
      // every worker is ready (worker 0, the first reader, warmed up in full): the moment
      // the daemon serves, as the single process's "ready for traffic" line says it
      uptime_ms: Math.round(performance.now()),
    },
  );
}
