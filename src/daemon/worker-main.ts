/**
 * A SIP worker's start (children > 1, see src/workers): its engine is built, loaded and
 * warmed up before it binds (so a worker restarted after a crash is warm before the
 * primary hands it traffic), then the control methods answer the primary instead of a
 * socket, the dispatcher replica is wired, calls recorded by the primary are replayed,
 * and the worker reports ready. It drains on the primary's word or on SIGTERM/SIGINT;
 * SIGHUP belongs to the primary.
 */
import type { ProxyCore } from '../proxy/core';
import type { DispatcherRuntime } from '../modules/dispatcher/runtime';
import type { DispatcherDb } from './db-glue';
import type { Logger } from '../core/log';
import type { DaemonConfig } from './config';
import { buildRegistry, workerRowOf } from './control';
import { WorkerLink, WorkerInit, WorkerRole } from '../workers/worker';
import { dropPrivileges } from './kamailio-options';
import { buildEngine, warmEngine, bindEngine, runEngine, logFirstMessage, EngineStart } from './engine';

/** Build, warm up, bind, hand over to the primary. */
export async function startWorker(o: EngineStart & { role: WorkerRole }): Promise<void> {
  const who = `worker ${o.role.index}`;
  const e = await buildEngine(o);
  const warm = await warmEngine(e, o, who);
  logFirstMessage(e.core, o.log, who);
  await bindEngine(e, o);
  const link = new WorkerLink(o.role, e.core, e.transport, o.log, { packPercent: o.cfg.compiled.globals.childrenPack });
  const init = await link.start();
  await runEngine(e, o);
  try {
    dropPrivileges(o.args, o.log);
  } catch (err) {
    o.die(`dsd: ${(err as Error).message}`);
  }
  await runWorker({
    link,
    init,
    core: e.core,
    dispatcher: e.dispatcher,
    dispatcherLoaded: o.cfg.dispatcherLoaded,
    dsDb: e.dsDb,
    cfg: o.cfg,
    log: o.log,
    warmupMs: warm ? Math.round(warm.ms) : 0,
  });
}

interface WorkerStart {
  link: WorkerLink;
  init: WorkerInit;
  core: ProxyCore;
  dispatcher: DispatcherRuntime;
  /** dispatcher.so is loaded (else no replica). */
  dispatcherLoaded: boolean;
  dsDb: DispatcherDb | null;
  cfg: DaemonConfig;
  log: Logger;
  /** How long the warm-up took (0: none), for the primary's "ready" line. */
  warmupMs: number;
}

async function runWorker(o: WorkerStart): Promise<void> {
  const { link, core, log } = o;
  const first = link.role.index === 0;
  const registry = buildRegistry({
    path: '',
    core,
    dispatcher: o.dispatcher,
    log,
    startedAt: o.init.startedAt,
    persistDefault: o.cfg.persistDefault,
    dsDb: o.dsDb,
    persistHere: first,
    audit: false,
    workerRow: () =>
      workerRowOf(core, link.role.index, {
        handedOff: link.handoffStats.sent,
        handedIn: link.handoffStats.received,
        ...link.placementStats,
      }),
  });
  // prom-client is loaded only when the endpoint is on
  const metrics = o.cfg.health.metrics
    ? (await import('../metrics')).buildMetricsRegistry({ core, dispatcher: o.dispatcher })
    : null;
  link.attach({ dispatcher: o.dispatcherLoaded ? o.dispatcher : null, registry, metrics });
  await link.replay(o.init);

  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`worker ${link.role.index}: ${why}, waiting for ${core.inFlight} in flight`);
    await core.drain(10_000);
    o.dispatcher.stop();
    link.close();
    await o.dsDb?.close();
    await core.stop();
    process.exit(0);
  };
  link.onDrain = () => void stop('draining');
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    /* the primary reloads every worker once */
  });
  link.ready(o.warmupMs);
}
