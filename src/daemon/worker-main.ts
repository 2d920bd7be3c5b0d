/**
 * The rest of a SIP worker's start once its engine runs (see src/workers): the control
 * methods answer the primary instead of a socket, the dispatcher replica is wired,
 * calls recorded by the primary are replayed, and the worker reports ready. It drains
 * on the primary's word or on SIGTERM/SIGINT; SIGHUP belongs to the primary.
 */
import type { ProxyCore } from '../proxy/core';
import type { DispatcherRuntime } from '../modules/dispatcher/runtime';
import type { DispatcherDb } from '../db/daemon-glue';
import type { Logger } from '../core/log';
import type { DaemonConfig } from './config';
import { buildRegistry, workerRowOf } from './control';
import { buildMetricsRegistry } from '../metrics';
import type { WorkerLink, WorkerInit } from '../workers/worker';

export interface WorkerStart {
  link: WorkerLink;
  init: WorkerInit;
  core: ProxyCore;
  dispatcher: DispatcherRuntime;
  /** dispatcher.so is loaded (else no replica). */
  dispatcherLoaded: boolean;
  dsDb: DispatcherDb | null;
  cfg: DaemonConfig;
  log: Logger;
}

export async function runWorker(o: WorkerStart): Promise<void> {
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
    workerRow: () => workerRowOf(core, link.role.index, link.handoffStats.sent, link.handoffStats.received),
  });
  const metrics = o.cfg.health.metrics ? buildMetricsRegistry({ core, dispatcher: o.dispatcher }) : null;
  link.attach({ dispatcher: o.dispatcherLoaded ? o.dispatcher : null, registry, metrics });
  await link.replay(o.init);

  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`worker ${link.role.index}: ${why}, waiting for ${core.active.size} in flight`);
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
  link.ready(0);
}
