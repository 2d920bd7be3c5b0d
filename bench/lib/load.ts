/**
 * One measured run: two sipp destinations, a freshly started proxy, sipp's uac.xml at a
 * fixed rate for a fixed time plus the latency probe, then the proxy's CPU time (all its
 * processes, from /proc, before and after), memory and response times.
 *
 * "After" is read once the proxy went quiet: finished transactions linger for tm's
 * wt_timer (5 s) and freeing them is part of what a call costs, so the run waits
 * `settleMs` after the last call before the second CPU reading.
 */
import { freePorts } from './ports';
import { startUas, runUac, Uas, SippStats, statNum } from './sipp';
import { ProbeWorker } from './probe-worker';
import type { RunningProxy, ProxyName } from './proxies';
import { clockTicks, cpuTicksByPid, ticksBetween, peakRss, MemorySampler } from './procfs';
import { percentile } from './stats';

export interface LoadOptions {
  rate: number;
  durationS: number;
  /** Wait after the last call before reading CPU time (tm wt_timer + margin). */
  settleMs: number;
  /** Latency probe calls per second (0 = no probe). */
  probeRate: number;
  /**
   * Seconds of the same load before the measured run (not counted): the JIT compiles the
   * hot path during the first seconds, a cost paid once per process, not per call.
   */
  warmupS?: number;
  /** Hard limit for sipp (default duration + 30 s); unfinished calls count as failed. */
  timeoutMs?: number;
  /** Starts the proxy on `port` in front of `backends`. */
  start(port: number, backends: number[]): Promise<RunningProxy>;
  /** Called with the running proxy just before the load starts. */
  onStarted?(proxy: RunningProxy): void;
  /** Called with the running proxy once the load is over (before it is stopped). */
  beforeStop?(proxy: RunningProxy): Promise<void>;
  log?(msg: string): void;
}

export interface LoadResult {
  proxy: ProxyName;
  rate: number;
  durationS: number;
  /** Calls sipp was asked to place. */
  offered: number;
  created: number;
  completed: number;
  /** sipp's failed calls (plus unfinished ones), as sipp counts them. */
  failed: number;
  /** Of `failed`, calls set up and torn down but aborted by sipp for a 180 after the 200. */
  lateProvisional: number;
  /** Real failures: (failed − lateProvisional) / created, %. */
  failedPct: number;
  /** Calls per second sipp actually created. */
  achievedRate: number;
  /** sipp could not create calls at the asked rate (the machine, not the proxy, limits). */
  generatorBound: boolean;
  probeSent: number;
  probeAnswered: number;
  probeCompleted: number;
  /** Proxy CPU (user+system, every process) over the run, ms. */
  cpuMs: number;
  /** Its user and system (kernel: socket sends and receives) parts, ms. */
  userMs: number;
  sysMs: number;
  cpuUsPerCall: number;
  /** CPU of the busiest process alone, µs per completed call: with workers, the one that saturates first. */
  busiestUsPerCall: number;
  processes: number;
  /** Sum over processes of VmHWM (per-process peak RSS), bytes. */
  peakRssSum: number;
  /** Largest RSS sum / PSS sum seen while sampling (ready to the end of the run), bytes. */
  maxRssSampled: number;
  maxPssSampled: number;
  /** Largest resident set seen, each physical page counted once (NaN: not privileged), bytes. */
  maxResidentSampled: number;
  /** sipp's INVITE→200 (its clock ticks in steps of a few ms), ms. */
  rtdP50Ms: number;
  rtdP99Ms: number;
  rtdSamples: number;
  /** The probe's INVITE→200, µs. */
  probeP50Us: number;
  probeP90Us: number;
  probeP99Us: number;
  probeMaxUs: number;
  sippErrors: string;
  /** sipp's aborted calls by kind (see classifyAborts). */
  abortKinds: Array<{ kind: string; n: number }>;
  /** sipp's failure counters that are not zero (FailedTimeoutOnRecv, FailedMaxUDPRetrans…). */
  failureCounters: Record<string, number>;
  wallMs: number;
}

function failureCounters(stats: SippStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(stats)) {
    if (k.startsWith('Failed') && k.endsWith('(C)') && statNum(stats, k) > 0) out[k.slice(0, -3)] = statNum(stats, k);
  }
  return out;
}

/** Runs the load once against a fresh proxy and stops everything it started. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const log = o.log ?? (() => {});
  const [proxyPort, uas1, uas2, cp1, cp2, uacPort, uacCp, probePort] = await freePorts(8);
  const t0 = Date.now();
  const uases: Uas[] = [];
  let proxy: RunningProxy | null = null;
  let probe: ProbeWorker | null = null;
  let sampler: MemorySampler | null = null;
  try {
    uases.push(await startUas(uas1, cp1), await startUas(uas2, cp2));
    proxy = await o.start(proxyPort, [uas1, uas2]);
    // memory from ready on, through the warm-up: a peak is a peak whenever it comes
    const running = proxy;
    sampler = new MemorySampler(() => running.pids(), 1000);
    sampler.start();
    if (o.warmupS) {
      log(`  ${proxy.name}: warm-up, ${o.warmupS} s at ${o.rate} cps…`);
      await runUac({
        remote: `127.0.0.1:${proxyPort}`,
        port: uacPort,
        controlPort: uacCp,
        rate: o.rate,
        calls: Math.max(1, Math.round(o.rate * o.warmupS)),
        timeoutMs: o.warmupS * 1000 + 30_000,
      });
      await new Promise((r) => setTimeout(r, o.settleMs));
    }
    const pids = proxy.pids();
    const before = cpuTicksByPid(pids);
    const calls = Math.max(1, Math.round(o.rate * o.durationS));
    if (o.probeRate > 0) {
      probe = new ProbeWorker({ proxyIp: '127.0.0.1', proxyPort, localPort: probePort, rate: o.probeRate });
      await probe.start();
    }
    log(`  ${proxy.name}: ${calls} calls at ${o.rate} cps…`);
    o.onStarted?.(proxy);
    const uac = await runUac({
      remote: `127.0.0.1:${proxyPort}`,
      port: uacPort,
      controlPort: uacCp,
      rate: o.rate,
      calls,
      timeoutMs: o.timeoutMs ?? o.durationS * 1000 + 30_000,
    });
    const pr = probe ? await probe.stop() : { sent: 0, answered: 0, completed: 0, latencyUs: [] };
    probe = null;
    await new Promise((r) => setTimeout(r, o.settleMs));
    const afterPids = proxy.pids();
    const after = cpuTicksByPid(afterPids);
    sampler.stop();
    const ticks = ticksBetween(before, after);
    let busiest = 0;
    for (const [pid, t] of after) {
      const b = before.get(pid);
      busiest = Math.max(busiest, t.user + t.sys - (b ? b.user + b.sys : 0));
    }
    const userMs = (ticks.user * 1000) / clockTicks();
    const sysMs = (ticks.sys * 1000) / clockTicks();
    const cpuMs = userMs + sysMs;
    const peak = peakRss(afterPids);
    if (o.beforeStop) await o.beforeStop(proxy);
    const completedAll = uac.successful + uac.lateProvisional + pr.completed;
    const failedPct = uac.created > 0 ? (100 * (uac.failed - uac.lateProvisional)) / uac.created : 100;
    return {
      proxy: proxy.name,
      rate: o.rate,
      durationS: o.durationS,
      offered: calls,
      created: uac.created,
      completed: uac.successful,
      failed: uac.failed,
      lateProvisional: uac.lateProvisional,
      failedPct,
      achievedRate: uac.achievedRate,
      generatorBound: uac.achievedRate > 0 && uac.achievedRate < 0.9 * o.rate,
      probeSent: pr.sent,
      probeAnswered: pr.answered,
      probeCompleted: pr.completed,
      cpuMs,
      userMs,
      sysMs,
      cpuUsPerCall: completedAll > 0 ? (cpuMs * 1000) / completedAll : NaN,
      busiestUsPerCall: completedAll > 0 ? (busiest * 1e6) / clockTicks() / completedAll : NaN,
      processes: afterPids.length,
      peakRssSum: peak,
      maxRssSampled: sampler.maxRss,
      maxPssSampled: sampler.maxPss,
      maxResidentSampled: sampler.maxResident,
      rtdP50Ms: percentile(uac.rtdMs, 50),
      rtdP99Ms: percentile(uac.rtdMs, 99),
      rtdSamples: uac.rtdMs.length,
      probeP50Us: percentile(pr.latencyUs, 50),
      probeP90Us: percentile(pr.latencyUs, 90),
      probeP99Us: percentile(pr.latencyUs, 99),
      probeMaxUs: pr.latencyUs.length ? Math.max(...pr.latencyUs) : NaN,
      sippErrors: uac.errors,
      abortKinds: uac.abortKinds,
      failureCounters: failureCounters(uac.stats),
      wallMs: Date.now() - t0,
    };
  } finally {
    sampler?.cancel();
    if (probe) await probe.stop();
    if (proxy) await proxy.stop();
    for (const u of uases) await u.stop();
  }
}

/**
 * The latency floor the destinations add: the probe straight to one sipp uas.xml, no
 * proxy. sipp answers about a millisecond after it receives, whatever the proxy does.
 */
export async function probeFloor(rate = 100, ms = 2000): Promise<{ p50Us: number; p99Us: number; n: number }> {
  const [uasPort, cp, probePort] = await freePorts(3);
  const uas = await startUas(uasPort, cp);
  try {
    const probe = new ProbeWorker({ proxyIp: '127.0.0.1', proxyPort: uasPort, localPort: probePort, rate });
    await probe.start();
    await new Promise((r) => setTimeout(r, ms));
    const pr = await probe.stop();
    return { p50Us: percentile(pr.latencyUs, 50), p99Us: percentile(pr.latencyUs, 99), n: pr.latencyUs.length };
  } finally {
    await uas.stop();
  }
}
