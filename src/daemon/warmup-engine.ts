/**
 * One warm engine of the warm-up (warmup.ts): a ProxyCore of its own on a wire of its own
 * (warmup-wire.ts), a copy of the dispatcher, an acc that writes nowhere, and the driver of
 * its synthetic calls. The warm-up runs two and gives them the calls in turn: an object
 * the engine makes per core (a route hook, a port's callback, the dispatcher's gate) is a
 * closure, and V8's optimised code checks a call's target. Having met two closures of the
 * same function at a call, it checks the function instead of the object, which the real
 * core's closures pass too; having met one, it checks that one, and the real core's first
 * message threw the code away ("wrong call target", bench/PROFILE.md, session 17).
 */
import type { Logger } from '../core/log';
import type { RouteWatch } from './script-hooks';
import type { AccRuntime } from '../modules/acc/runtime';
import { ProxyCore, type CoreOptions, type CoreSteer, type RouteHooks } from '../proxy/core';
import type { Transport } from '../transport/types';
import type { TransportLayer } from '../transport/layer';
import { DispatcherRuntime } from '../modules/dispatcher/runtime';
import { CallDriver } from './warmup-calls';
import { warmWire, type WarmWire } from './warmup-wire';
import { FirstMessageLog } from './first-message';
import type { Deadline } from './warmup-deadline';

/** What a warm engine is made of (the warm-up's options: warmup.ts WarmupOptions). */
export interface WarmEngineOptions {
  /** The real transport: the warm core runs on a loop twin of it (warmup-wire.ts). */
  readonly transport: TransportLayer;
  /** The real core's options, for a core of the warm-up's own on `transport`. */
  readonly coreOptions: (transport: Transport, log: Logger) => CoreOptions;
  /** The script's hooks, as the real core has them, telling `watch` (script-hooks.ts). */
  readonly hooks: (log: Logger, watch: RouteWatch) => RouteHooks;
  /** The loaded dispatcher (its list is copied), or null without dispatcher.so. */
  readonly dispatcher: DispatcherRuntime | null;
  /** An acc of the warm-up's own (AccRuntime.detached), or null. */
  readonly acc: ((log: Logger) => AccRuntime) | null;
  /** In a worker of several: the warm core's steering, as the real core's (workers/steering.ts). */
  readonly steering?: ((core: ProxyCore) => CoreSteer) | null;
}

export interface WarmEngine {
  readonly wire: WarmWire;
  readonly core: ProxyCore;
  readonly dispatcher: DispatcherRuntime | null;
  readonly acc: AccRuntime | null;
  readonly driver: CallDriver;
  /** The core's first-message tap, set again now and then (the real core's first message takes that path). */
  readonly firstTap: FirstMessageLog;
}

export async function buildWarmEngine(
  o: WarmEngineOptions,
  log: Logger,
  watch: RouteWatch,
  deadline: Deadline,
): Promise<WarmEngine> {
  const wire = warmWire(o.transport);
  const core = new ProxyCore(o.coreOptions(wire.transport, log), o.hooks(log, watch));
  const firstTap = new FirstMessageLog(log);
  core.firstTap = firstTap;
  if (o.steering) core.steer = o.steering(core);
  await core.start();
  let dispatcher: DispatcherRuntime | null = null;
  if (o.dispatcher) {
    dispatcher = new DispatcherRuntime({
      core,
      // the real dispatcher's own params (read-only here): a copy could have a hidden class
      // of its own, and the code optimised on it would be thrown away at the first real call
      params: o.dispatcher.ds.params,
      log,
      stateFile: null,
      probe: false,
      saveAdmin: false,
      onEvent: () => undefined,
    });
    dispatcher.ds.adoptCopyOf(o.dispatcher.ds);
    dispatcher.hashPvar = o.dispatcher.hashPvar;
    dispatcher.compileFormat = o.dispatcher.compileFormat;
    // as run() does for the real one (its timers and keepalives stay off here)
    core.branchTap = dispatcher;
  }
  const acc = o.acc ? o.acc(log) : null;
  if (acc) core.observers.push(acc.engine);
  return { wire, core, dispatcher, acc, driver: new CallDriver(wire, () => watch.pending, deadline), firstTap };
}

/**
 * Stops the cores first: a route still running (a call cut at the deadline, waiting on
 * DNS) gives up its relay while the warm-up's services are still the ones it sees.
 */
export async function stopWarmCores(engines: readonly WarmEngine[]): Promise<void> {
  for (const e of engines) await e.core.stop();
}

/** What the cores still hold (a call cut short: its timers) ends; the dispatchers' copies stop. */
export function endWarmEngines(engines: readonly WarmEngine[]): void {
  for (const { core, dispatcher } of engines) {
    core.txns.endAll();
    dispatcher?.stop();
  }
}
