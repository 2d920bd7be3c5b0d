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
import { WorkerLink, WorkerInit, WorkerRole, reportLoaded } from '../workers/worker';
import { dropPrivileges } from './kamailio-options';
import type { QuietHeap } from './heap-quiet';
import { buildEngine, warmEngine, bindEngine, runEngine, logFirstMessage, EngineStart } from './engine';
import { IdleWarmup, idleWarmupLimit } from './warmup-idle';

/** Build, warm up, bind, hand over to the primary. */
export async function startWorker(o: EngineStart & { role: WorkerRole }): Promise<void> {
  const who = `worker ${o.role.index}`;
  const e = await buildEngine(o);
  reportLoaded(o.role.index);
  const warm = await warmEngine(e, o, who);
  logFirstMessage(e.core, who);
  // the first reader goes on warming up once ready, until its first traffic: from here on
  // nothing read reaches its core until that has ended (warmup-idle.ts)
  const idleMs = warm && o.role.idleWarmup ? idleWarmupLimit() : 0;
  const idle = idleMs > 0 ? new IdleWarmup(e, o, who, idleMs) : null;
  await bindEngine(e, o);
  const link = new WorkerLink(o.role, e.core, e.transport, o.log, { packPercent: o.cfg.compiled.globals.childrenPack });
  const init = await link.start();
  // the engine's timers (keepalives, the database's heartbeat) once the script has its services back
  const run = () => runEngine(e, o);
  if (!idle) await run();
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
    quietHeap: e.quietHeap,
    dispatcherLoaded: o.cfg.dispatcherLoaded,
    dsDb: e.dsDb,
    cfg: o.cfg,
    log: o.log,
    warmupMs: warm ? Math.round(warm.ms) : 0,
    idle: idle ? { warmup: idle, then: run } : null,
  });
}

interface WorkerStart {
  link: WorkerLink;
  init: WorkerInit;
  core: ProxyCore;
  dispatcher: DispatcherRuntime;
  quietHeap: QuietHeap;
  /** dispatcher.so is loaded (else no replica). */
  dispatcherLoaded: boolean;
  dsDb: DispatcherDb | null;
  cfg: DaemonConfig;
  log: Logger;
  /** How long the warm-up took (0: none), for the primary's "ready" line. */
  warmupMs: number;
  /** The warm-up while idle, to run once ready, and what comes after it. */
  idle: { warmup: IdleWarmup; then: () => Promise<void> } | null;
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
  // after the replay, which calls the registry itself; before "ready", after which the primary may
  o.idle?.warmup.holdCalls(registry);

  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await o.idle?.warmup.shutdown(why);
    log.info(`worker ${link.role.index}: ${why}, waiting for ${core.inFlight} in flight`);
    await core.drain(10_000);
    o.dispatcher.stop();
    o.quietHeap.stop();
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
  if (o.idle) {
    const { warmup, then } = o.idle;
    void warmup.run(then).catch((err: Error) => log.error(`worker ${link.role.index}: ${err.message}`));
  }
}
