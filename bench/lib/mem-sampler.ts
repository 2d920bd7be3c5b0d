/**
 * Preloaded into dsd by `bench/profile.ts` (`node --require …/mem-sampler.js bin/dsd …`),
 * never by dsd itself: samples the process's memory every 250 ms into a JSON-lines file,
 * with the transaction table sizes when it can find the proxy core, and the garbage
 * collector's pauses. SIGUSR2 forces a full GC (when --expose-gc is on), writes a sample
 * marked `afterGc` and, when DSD_BENCH_SNAPSHOT_DIR is set, a heap snapshot.
 *
 * Environment: DSD_BENCH_MEM_OUT (required, the samples file), DSD_BENCH_SNAPSHOT_DIR.
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay } from 'node:perf_hooks';

interface CoreLike {
  txns?: { servers?: Map<unknown, unknown>; clients?: Map<unknown, unknown> };
  /** Proxy transactions awaiting their final reply. */
  inFlight?: number;
}

const out = process.env.DSD_BENCH_MEM_OUT;
const snapDir = process.env.DSD_BENCH_SNAPSHOT_DIR;
const REPO = path.resolve(__dirname, '..', '..', '..');

/** Every core started: the warm-up's (start-up, torn down) and the real one. */
const cores: CoreLike[] = [];
/** The real core: the one holding the most transactions (the warm-up's holds none after it). */
function busiest(): CoreLike | null {
  let best: CoreLike | null = null;
  let most = -1;
  for (const c of cores) {
    const n = (c.txns?.servers?.size ?? 0) + (c.txns?.clients?.size ?? 0) + (c.inFlight ?? 0);
    if (n > most) [best, most] = [c, n];
  }
  return best;
}
const eld = out ? monitorEventLoopDelay({ resolution: 1 }) : null;
eld?.enable();

/** Finds the ProxyCore instance by wrapping its start(); harmless when the module moved. */
function hookCore(): void {
  try {
    const mod = require(path.join(REPO, 'dist', 'src', 'proxy', 'core.js')) as {
      ProxyCore?: { prototype: { start?: (...a: unknown[]) => unknown } };
    };
    const proto = mod.ProxyCore?.prototype;
    if (!proto || typeof proto.start !== 'function') return;
    const orig = proto.start;
    proto.start = function (this: CoreLike, ...a: unknown[]) {
      cores.push(this);
      return orig.apply(this, a);
    };
  } catch {
    /* no core: samples without transaction counts */
  }
}

const gcStats = {
  count: 0,
  totalMs: 0,
  maxMs: 0,
  byKind: {} as Record<string, { n: number; ms: number; maxMs: number }>,
};

function gcKind(kind: number | undefined): string {
  switch (kind) {
    case perfConstants.NODE_PERFORMANCE_GC_MINOR:
      return 'scavenge';
    case perfConstants.NODE_PERFORMANCE_GC_MAJOR:
      return 'mark-sweep';
    case perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 'incremental';
    case perfConstants.NODE_PERFORMANCE_GC_WEAKCB:
      return 'weak-callbacks';
    default:
      return `kind-${kind}`;
  }
}

function sample(tag?: string): void {
  if (!out) return;
  const m = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = s.space_used_size;
  const core = busiest();
  const rec = {
    t: Date.now(),
    tag,
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    spaces,
    servers: core?.txns?.servers?.size ?? null,
    clients: core?.txns?.clients?.size ?? null,
    active: core?.inFlight ?? null,
    gc: { count: gcStats.count, totalMs: gcStats.totalMs, maxMs: gcStats.maxMs, byKind: gcStats.byKind },
    loopDelayMs: eld ? { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 } : null,
  };
  fs.appendFileSync(out, JSON.stringify(rec) + '\n');
}

if (out) {
  hookCore();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = gcKind((e as unknown as { detail?: { kind?: number } }).detail?.kind);
      gcStats.count++;
      gcStats.totalMs += e.duration;
      gcStats.maxMs = Math.max(gcStats.maxMs, e.duration);
      const k = (gcStats.byKind[kind] ??= { n: 0, ms: 0, maxMs: 0 });
      k.n++;
      k.ms += e.duration;
      k.maxMs = Math.max(k.maxMs, e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const timer = setInterval(() => sample(), 250);
  timer.unref();
  process.on('SIGUSR2', () => {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) g();
    sample('afterGc');
    if (snapDir) {
      const file = v8.writeHeapSnapshot(path.join(snapDir, `dsd-${process.pid}-${Date.now()}.heapsnapshot`));
      fs.appendFileSync(out, JSON.stringify({ t: Date.now(), tag: 'snapshot', file }) + '\n');
    }
  });
  process.on('exit', () => sample('exit'));
}
