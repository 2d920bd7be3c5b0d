// Micro-benchmark: cost of running the dispatcher sample's request_route for an
// initial INVITE (maxfwd, sanity, transaction checks, record_route, ds_select_dst,
// t_on_failure, t_relay) with fake SIP functions that do no work, so the number
// is the script engine's own overhead per request.
import * as path from 'node:path';
import { compileConfig } from './config';
import { LogLevel, type ScriptHost } from './host';
import { createRegistry } from './index';
import { newFakeCtx, registerFakeSip, type FakeCtx } from './testing';

export interface ScriptBenchResult {
  readonly name: string;
  readonly iterations: number;
  readonly nsPerOp: number;
  readonly opsPerSec: number;
  /** Runs that reached t_relay with a destination set: proof the route measured did the work. */
  readonly relayed: number;
  /** Destinations ds_select_dst handed out, per URI, over the same runs. */
  readonly picks: Readonly<Record<string, number>>;
}

/** Default: the fixture shipped in test/fixtures/cfg (relative to the compiled file in dist/). */
export function defaultBenchConfig(): string {
  return path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'cfg', 'dispatcher-sample.cfg');
}

export function benchScript(opts: { iterations?: number; config?: string; warmup?: number } = {}): ScriptBenchResult {
  const iterations = opts.iterations ?? 200_000;
  const warmup = opts.warmup ?? Math.min(20_000, iterations);
  const registry = registerFakeSip(createRegistry<FakeCtx>(), false);
  const host: ScriptHost<FakeCtx> = {
    getFlags: (c) => c.flags,
    setFlags: (c, f) => {
      c.flags = f;
    },
    store: (c) => c.store,
    log: () => undefined,
    // debug=2 in the sample: xdbg() lines are filtered before formatting
    isLogEnabled: (level) => level <= LogLevel.INFO,
    isMyself: () => false,
  };
  const cfg = compileConfig(opts.config ?? defaultBenchConfig(), { registry, host });
  const ctx = newFakeCtx();
  const dests = ['sip:127.0.0.1:5080', 'sip:127.0.0.1:5081'];
  let rr = 0;
  let relayed = 0;
  const picks: Record<string, number> = {};
  ctx.results.ds_select_dst = (c: FakeCtx) => {
    const d = dests[rr++ & 1]!;
    picks[d] = (picks[d] ?? 0) + 1;
    c.du = d;
    return 1;
  };
  ctx.results.t_relay = (c: FakeCtx) => {
    if (c.du) relayed++;
    return 1;
  };
  const once = (): void => {
    ctx.flags = 0;
    ctx.du = null;
    const r = cfg.script.runRequestRoute(ctx);
    if (r instanceof Promise) throw new Error('benchmark path must stay synchronous');
  };
  for (let i = 0; i < warmup; i++) once();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) once();
  const ns = Number(process.hrtime.bigint() - t0);
  const nsPerOp = ns / iterations;
  return {
    name: 'script: dispatcher sample request_route (initial INVITE)',
    iterations,
    nsPerOp,
    opsPerSec: 1e9 / nsPerOp,
    relayed,
    picks,
  };
}

if (require.main === module) {
  const r = benchScript();
  process.stdout.write(
    `${r.name}: ${r.nsPerOp.toFixed(0)} ns/op (${Math.round(r.opsPerSec)} ops/s, ${r.iterations} iterations)\n`,
  );
}
