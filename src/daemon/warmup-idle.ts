/**
 * The warm-up while idle. The start-up warm-up (warmup.ts) has a short budget because
 * callers may already be waiting in the kernel's buffer; a longer one is worth more (a
 * first second of load at a p99 of 4-6 ms after a 3 s warm-up, 9-15 ms after 300 ms:
 * bench/PROFILE.md, session 15) but only while nobody waits. So once dsd is ready it goes
 * on warming up until something arrives — a SIP message or HTTP request on any listen
 * socket, a control command — or until DSD_WARMUP_IDLE_MS have passed, whichever comes
 * first, and stops within one synthetic call.
 *
 * Meanwhile the script's services are the warm-up's own (warmup.ts swaps them), so nothing
 * from outside may reach the core or a method: the transport holds what arrives and the
 * method registry holds calls (both hand them on, in order, when this ends), and the
 * engine's timers (keepalives, the database's heartbeat) start only after it. A worker
 * does this only as the first reader of a fresh start (no other worker has a call to hand
 * it then).
 */
import type { MethodRegistry } from '../control/registry';
import { warmUp, type WarmupReport } from './warmup';
import { warmupOptions, type Engine, type EngineStart } from './engine';
import { fullGc, mb, type GcResult } from './full-gc';

/** The default limit, ms: DSD_WARMUP_IDLE_MS overrides it (0: no warm-up while idle). */
const IDLE_WARMUP_DEFAULT_MS = 2000;

/** DSD_WARMUP_IDLE_MS, else the default; 0 when the start-up warm-up itself is off. */
export function idleWarmupLimit(env: NodeJS.ProcessEnv = process.env): number {
  if (env.DSD_WARMUP_MS === '0') return 0;
  const v = env.DSD_WARMUP_IDLE_MS;
  if (v === undefined || v === '') return IDLE_WARMUP_DEFAULT_MS;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.min(n, 60_000) : IDLE_WARMUP_DEFAULT_MS;
}

export class IdleWarmup {
  /** What ended it (null: nothing yet). */
  private reason: string | null = null;
  /** The process is stopping (shutdown()): what would have followed it does not. */
  private stopping = false;
  /** Settles once it has ended and everything held was handed on (run() must be called). */
  readonly done: Promise<void>;
  private open!: () => void;

  /** Holds the transport at once: nothing read from here on reaches the core before run() ends. */
  constructor(
    private readonly e: Engine,
    private readonly o: EngineStart,
    private readonly who: string,
    readonly limitMs: number,
  ) {
    this.done = new Promise<void>((resolve) => (this.open = resolve));
    e.transport.inbound.hold(() => this.stop('a SIP message'));
  }

  /** Control commands wait for it too (and end it). */
  holdCalls(registry: MethodRegistry): void {
    registry.hold(this.done, (method) => this.stop(`a control command (${method})`));
  }

  private stop(reason: string): void {
    this.reason ??= reason;
  }

  /** The process stops (a signal, the primary's drain): ends it, and settles once it has. */
  shutdown(reason: string): Promise<void> {
    this.stopping = true;
    this.stop(reason);
    return this.done;
  }

  /**
   * Warms up until something arrives or the limit, hands on what was held, then runs
   * `after` (the engine's timers) unless the process is stopping meanwhile. The warm-up's
   * own failure is logged, not thrown: only `after` can reject.
   */
  async run(after: () => Promise<void>): Promise<void> {
    await this.warm();
    if (!this.stopping) await after();
  }

  private async warm(): Promise<void> {
    let r: WarmupReport | null = null;
    let failed: string | null = null;
    let gc: GcResult | null = null;
    try {
      if (this.reason === null) {
        r = await warmUp(warmupOptions(this.e, this.o, this.limitMs, () => this.reason !== null));
        // Ended by its own limit, nobody waiting: its garbage goes now, as the start-up
        // warm-up's does. Its thousands of calls otherwise stay in the heap until a load
        // fills it to the next full collection (an idle reader held 53 MB of its own, 27
        // with this: bench/PROFILE.md, session 23). Something arriving meanwhile is held,
        // as during the warm-up itself; after an arrival there is no collection here.
        if (this.reason === null) gc = fullGc();
      }
    } catch (err) {
      failed = (err as Error).message;
    } finally {
      // said first: the held messages it hands on next are logged after it
      this.report(r, failed, this.e.transport.inbound.dropped, gc);
      this.e.transport.inbound.release();
      this.open();
    }
  }

  private report(r: WarmupReport | null, failed: string | null, dropped: number, gc: GcResult | null): void {
    const { log } = this.o;
    if (failed !== null) {
      log.warn(`${this.who}: warm-up while idle failed: ${failed}`);
      return;
    }
    const by = this.reason ?? (r?.atMostCalls ? `its most calls (${r.calls})` : `its limit of ${this.limitMs} ms`);
    if (!r) {
      log.info(`${this.who}: no warm-up while idle: ${by} came first`, { idle_warmup_ms: 0, ended_by: by });
      return;
    }
    log.info(
      `${this.who}: warmed up while idle for ${Math.round(r.ms)} ms more (${r.calls} synthetic calls, ` +
        `${Math.round(r.lastUs)} µs per call at the end), ended by ${by}` +
        (gc ? `; heap ${mb(gc.before)} -> ${mb(gc.after)} MB after it` : '') +
        (dropped > 0 ? `; ${dropped} arrival(s) dropped meanwhile (held queue full)` : ''),
      {
        idle_warmup_ms: Math.round(r.ms),
        limit_ms: this.limitMs,
        calls: r.calls,
        last_us: Math.round(r.lastUs),
        ended_by: by,
        dropped,
        ...(gc ? { heap_before_mb: mb(gc.before), heap_after_mb: mb(gc.after) } : {}),
      },
    );
  }
}
