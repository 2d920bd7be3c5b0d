/**
 * The start-up warm-up (issue #19): before the SIP sockets are bound, synthetic calls run
 * through the real parser, compiled script, dispatcher selection, branch builder and reply
 * path, so V8 has compiled and optimised the hot path when the first real message comes.
 *
 * Nothing leaves the process and nothing the operator sees changes: the calls go through
 * two more ProxyCores taking turns (warmup-engine.ts; one for a worker's short warm-up),
 * each on a loop twin of the real transport layer (warmup-wire.ts: the real classes down
 * to the native module, no socket), a copy of the dispatcher's list (its cursors, loads
 * and counters are the copy's), a logger that discards (xlog formats but prints nothing)
 * and, with acc, an acc that writes nowhere. The script's modules reach these through the
 * Services holder, which is switched for the warm-up and switched back after, also on an
 * error. What the warm-up cannot finish (a lingering transaction's timers) is torn down
 * before it returns. The budget is a deadline checked inside the calls (warmup-deadline.ts):
 * a call running at the deadline is cut where it stands.
 */
import type { Services } from '../modules/services';
import type { Logger } from '../core/log';
import type { RouteWatch } from './script-hooks';
import type { LocalSocket, Proto } from '../transport/types';
import { buildWarmEngine, stopWarmCores, endWarmEngines, type WarmEngineOptions } from './warmup-engine';
import { forgetLiteralHops } from '../proxy/target';
import { Deadline } from './warmup-deadline';

/** Default time budget: enough on a 2-core machine for V8 to optimise the per-call path. */
export const WARMUP_DEFAULT_MS = 300;
/** No more calls than this, however fast they go. */
const MAX_CALLS = 5000;
/** Every n-th call's first branch is answered 500, so failure_route and ds_next_dst run. */
const FAIL_EVERY = 4;
/** The warm core's first-message tap is set again every this many calls (plus one; a power of two, minus one). */
const FIRST_TAP_EVERY = 31;
/** Event-loop turns the teardown gives routes still running to end (a relay on DNS ends at once). */
const SETTLE_TURNS = 50;

/** Waits up to `turns` event-loop turns for `pending()` to reach 0; returns what is left. */
async function settle(pending: () => number, turns: number): Promise<number> {
  for (let i = 0; i < turns && pending() > 0; i++) await new Promise<void>((r) => setImmediate(r));
  return pending();
}

export interface WarmupOptions extends WarmEngineOptions {
  readonly svc: Services;
  readonly log: Logger;
  /** The WebSocket module is loaded: calls also come over ws (tcp sockets) and wss (tls). */
  readonly websocket: boolean;
  /** Warm engines taking turns (warmup-engine.ts): 2 unless said otherwise. */
  readonly engines?: 1 | 2;
  readonly budgetMs: number;
  /**
   * The warm-up while idle (warmup-idle.ts): true once traffic waits, which ends the
   * warm-up at its next deadline check. With it the calls let the event loop turn between
   * them, so that traffic (held, not read into the core) can say it came.
   */
  readonly interrupt?: () => boolean;
}

interface WarmupStep {
  readonly name: string;
  readonly ms: number;
}

export interface WarmupReport {
  readonly ms: number;
  readonly budgetMs: number;
  /** How far past the budget the work went (0 when it ended in time): at most one slice. */
  readonly overrunMs: number;
  /** The longest stretch between two deadline checks: the bound on the overrun. */
  readonly longestSliceMs: number;
  /** Steps the deadline left out entirely. */
  readonly skipped: readonly string[];
  /** The deadline passed in the middle of a synthetic call, which was left there. */
  readonly cutShort: boolean;
  readonly calls: number;
  /** Calls that went INVITE → 200 → ACK → BYE → 200. */
  readonly completed: number;
  /** µs per call over the first and the last tenth of the calls: how far V8 got. */
  readonly firstUs: number;
  readonly lastUs: number;
  readonly steps: readonly WarmupStep[];
  /** Errors the script or the core logged during the warm-up (they were not printed). */
  readonly errors: number;
  readonly firstError: string | null;
  /** Routes still running when the warm-up ended (an async script function that did not return). */
  readonly abandoned: number;
  /** It stopped at its most calls (MAX_CALLS), before its time was up. */
  readonly atMostCalls: boolean;
}

/** A logger that prints nothing at the real one's level, and counts errors. */
function discardingLogger(real: Logger): Logger & { errors: number; firstError: string | null } {
  const l = {
    errors: 0,
    firstError: null as string | null,
    error(msg: string) {
      l.errors++;
      l.firstError ??= msg;
    },
    warn() {},
    notice() {},
    info() {},
    debug() {},
    setDebug() {},
    getDebug: () => real.getDebug(),
    close: async () => undefined,
  };
  return l;
}

/**
 * Every way a call can reach this dsd: each listen socket with its own protocol, and
 * WebSocket (ws over tcp, wss over tls) when the module is loaded, so the core's branches
 * for each protocol (Via, Record-Route, the reply's way back) are warm too.
 */
function callerKinds(sockets: readonly LocalSocket[], websocket: boolean): Array<{ local: LocalSocket; proto: Proto }> {
  const out: Array<{ local: LocalSocket; proto: Proto }> = [];
  for (const local of sockets) {
    if (local.proto === 'udp' || local.proto === 'tcp' || local.proto === 'tls')
      out.push({ local, proto: local.proto });
    if (websocket && local.proto === 'tcp') out.push({ local, proto: 'ws' });
    if (websocket && local.proto === 'tls') out.push({ local, proto: 'wss' });
  }
  return out;
}

/**
 * What the last warm-up ran on, kept for the life of the process. V8's optimised code
 * checks the hidden classes ("maps") of the objects it works on, and holds them weakly: a
 * full collection that finds no object of a map left frees the map and throws away every
 * piece of code that checks it ("weak objects" in `--trace-deopt`). Right after the
 * warm-up no message, transaction or context exists any more, and the collection that
 * follows (full-gc.ts) would free their maps and drop ~100 optimised functions, the
 * whole hot path, before the first real call. Kept here: the torn-down warm core, its
 * dispatcher copy, the driver and the last few calls' contexts (and so their messages,
 * transactions and buffers): a few hundred kB; measured: heap after the collection 9.3
 * against 9.4 MB.
 */
const keptAlive: { last: unknown } = { last: null };
/** The contexts of the last few synthetic calls (see keptAlive). */
const recent: unknown[] = [];
let recentAt = 0;

/** One turn of the event loop: I/O callbacks run (setImmediate comes after the poll phase). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function warmUp(o: WarmupOptions): Promise<WarmupReport> {
  const t0 = performance.now();
  const deadline = new Deadline(t0 + o.budgetMs, t0, o.interrupt);
  const steps: WarmupStep[] = [];
  const skipped: string[] = [];
  const step = (name: string, since: number): number => {
    const now = performance.now();
    steps.push({ name, ms: now - since });
    return now;
  };
  const log = discardingLogger(o.log);
  // the routes still running (an async function in the script): the driver waits for
  // them, and only for them, before it looks at what was sent; and the last few requests'
  // contexts, kept alive with the rest (keptAlive)
  const watch: RouteWatch = {
    pending: 0,
    request(ctx) {
      recent[recentAt++ & 7] = ctx;
    },
  };
  // two engines, taking the calls in turn (warmup-engine.ts); one for a short warm-up (a
  // worker that does not read at first), which leaves the cores to the reader
  const engines = [await buildWarmEngine(o, log, watch, deadline)];
  if (o.engines !== 1) engines.push(await buildWarmEngine(o, log, watch, deadline));
  let t = step('setup', t0);

  const saved = { core: o.svc.core, dispatcher: o.svc.dispatcher, acc: o.svc.acc, log: o.svc.log };
  o.svc.log = log;
  o.svc.warming = true;
  // the same listen sockets in both (each wire's own objects, made alike)
  const callers = callerKinds(engines[0]!.wire.sockets, o.websocket);
  const perCall: number[] = [];
  let completed = 0;
  let cutShort = false;
  let workEnd = t;
  let abandoned = 0;
  try {
    if (callers.length > 0 && !deadline.ok()) skipped.push('calls');
    else if (callers.length > 0) {
      for (let n = 0; n < MAX_CALLS && deadline.ok(); n++) {
        if (o.interrupt) {
          await turn();
          if (!deadline.ok()) break;
        }
        const c0 = performance.now();
        const e = engines[n % engines.length]!;
        o.svc.core = e.core;
        o.svc.dispatcher = e.dispatcher;
        if (e.acc) o.svc.acc = e.acc;
        if ((n & FIRST_TAP_EVERY) === FIRST_TAP_EVERY) e.core.firstTap = e.firstTap;
        const k = callers[n % callers.length]!;
        const local = e.wire.sockets[k.local.id] ?? k.local;
        const r = await e.driver.call(e.driver.caller(local, n, k.proto), n, n % FAIL_EVERY === FAIL_EVERY - 1);
        if (r.cut) {
          cutShort = true;
          break;
        }
        if (r.completed) completed++;
        perCall.push(performance.now() - c0);
      }
      // the step ends where the deadline was found passed: what follows is the break and the teardown
      steps.push({ name: 'calls', ms: (deadline.passedAt ?? performance.now()) - t });
    }
    workEnd = deadline.passedAt ?? performance.now();
    t = workEnd;
  } finally {
    // The core stops first: a route still running (a call cut at the deadline, waiting on
    // DNS) gives up its relay and ends while the warm-up's services are still the ones it
    // sees, so nothing it does after reaches the real core, dispatcher or log.
    await stopWarmCores(engines);
    abandoned = await settle(() => watch.pending, SETTLE_TURNS);
    endWarmEngines(engines);
    o.svc.core = saved.core;
    o.svc.dispatcher = saved.dispatcher;
    o.svc.acc = saved.acc;
    o.svc.log = saved.log;
    o.svc.warming = false;
    // the synthetic destinations' Contact URIs (warmup-calls.ts) are no use to real calls
    forgetLiteralHops();
  }
  step('teardown', t);
  // one engine is enough to keep the classes alive (both are made of the same ones)
  keptAlive.last = { engine: engines[0], recent: recent.splice(0) };
  recentAt = 0;
  const tenth = Math.max(1, Math.floor(perCall.length / 10));
  const mean = (xs: number[]) => (xs.length ? (xs.reduce((a, b) => a + b, 0) * 1000) / xs.length : NaN);
  return {
    ms: performance.now() - t0,
    budgetMs: o.budgetMs,
    overrunMs: Math.max(0, workEnd - deadline.at),
    longestSliceMs: deadline.longestSliceMs,
    skipped,
    cutShort,
    calls: perCall.length,
    completed,
    firstUs: mean(perCall.slice(0, tenth)),
    lastUs: mean(perCall.slice(-tenth)),
    steps,
    errors: log.errors,
    firstError: log.firstError,
    abandoned,
    atMostCalls: perCall.length >= MAX_CALLS,
  };
}
