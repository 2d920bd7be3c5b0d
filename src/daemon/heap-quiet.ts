/**
 * Gives the heap back once a process has gone quiet after a load. V8's own memory reducer
 * did this, and is off (--no-memory-reducer, node-flags.ts): it decided for itself when a
 * process was idle, and the first time it decided was ~8 s after every start, when the
 * SIP workers that had not been handed a call yet ran its collections while the reader
 * carried the load beside them (README, design notes, "Start-up"). dsd knows when it is
 * quiet: the SIP messages it handles. Every `intervalMs` it compares their count with the
 * last reading; when fewer than `quietPerSecond` a second came (keepalives, no calls) and
 * the heap grew by `growthBytes` since the last collection, it runs one low-memory
 * collection (full-gc.ts). A process that stays quiet is collected once, not at every tick.
 */
import v8 from 'node:v8';
import { fullGc, type GcResult } from './full-gc';

export interface QuietHeapOptions {
  /** SIP messages handled so far (requests and replies). */
  readonly handled: () => number;
  readonly intervalMs?: number;
  readonly quietPerSecond?: number;
  readonly growthBytes?: number;
  /** Told about each collection (the log). */
  readonly onCollect?: (r: GcResult & { committedBefore: number; committedAfter: number }) => void;
}

const DEFAULTS = { intervalMs: 10_000, quietPerSecond: 20, growthBytes: 8 << 20 };

/** The heap's committed size: what the process holds, used or not. */
const committed = (): number => v8.getHeapStatistics().total_heap_size;

export class QuietHeap {
  private timer: NodeJS.Timeout | null = null;
  private seen = 0;
  /** The committed size after the last collection (the warm-up's, at the start). */
  private base = committed();
  private readonly intervalMs: number;
  private readonly quietPerSecond: number;
  private readonly growthBytes: number;

  constructor(private readonly o: QuietHeapOptions) {
    this.intervalMs = o.intervalMs ?? DEFAULTS.intervalMs;
    this.quietPerSecond = o.quietPerSecond ?? DEFAULTS.quietPerSecond;
    this.growthBytes = o.growthBytes ?? DEFAULTS.growthBytes;
  }

  start(): void {
    if (this.timer !== null || this.intervalMs <= 0) return;
    this.seen = this.o.handled();
    this.base = committed();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One reading; public for the tests' own clock. */
  tick(): void {
    const n = this.o.handled();
    const perSecond = ((n - this.seen) * 1000) / this.intervalMs;
    this.seen = n;
    const before = committed();
    if (perSecond >= this.quietPerSecond || before < this.base + this.growthBytes) return;
    const r = fullGc();
    this.base = committed();
    if (r !== null) this.o.onCollect?.({ ...r, committedBefore: before, committedAfter: this.base });
  }
}

/** DSD_HEAP_QUIET_MS: the interval (0: never; at most an hour), else the default. */
export function quietIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.DSD_HEAP_QUIET_MS;
  if (v === undefined || v === '') return DEFAULTS.intervalMs;
  const n = Number(v);
  // setInterval takes at most 2^31-1 ms; an hour is already longer than any quiet spell needs
  return Number.isFinite(n) && n >= 0 ? Math.min(n, 3_600_000) : DEFAULTS.intervalMs;
}

/** DSD_HEAP_QUIET_GROWTH_MB: the growth that makes a quiet process collect (MB, above 0, at most 4096), else the default. */
export function quietGrowthBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.DSD_HEAP_QUIET_GROWTH_MB;
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? Math.round(Math.min(n, 4096) * (1 << 20)) : DEFAULTS.growthBytes;
}
