/**
 * The cold-start run of `npm run bench:compare` (issue #19): the full rate sent at a proxy
 * started one second earlier, for 8 s, dsd and Kamailio in the same run. Reported per
 * proxy: time to ready (dsd: its "ready for traffic" line; both: the moment its UDP port
 * was bound), calls completed/failed, INVITE→200 p50/p99 from the probe (µs clock) and
 * from sipp, and the retransmissions sipp's caller had to make — with destinations that
 * answer in about a millisecond, every one of them is a request the proxy did not relay
 * within 500 ms (T1), i.e. caused by the proxy. The p99 is also given second by second:
 * the first second (code V8 has not optimised yet) and the worst of the others (a
 * collection, another process taking the core) are different causes.
 */
import type { FlagSpec, Flags } from './args';
import { freePorts } from './ports';
import { startUas, runUac, statNum, Uas } from './sipp';
import { ProbeWorker } from './probe-worker';
import { udpTaken, type ProxyName, type RunningProxy, type ProxyOptions } from './proxies';
import { percentile, fmt, fmtUs } from './stats';

export const COLD_FLAGS: FlagSpec[] = [
  { name: 'no-cold-start', kind: 'boolean', help: 'skip the cold-start run' },
  { name: 'cold-rate', kind: 'number', help: 'calls per second of the cold-start run (default --rate)' },
  { name: 'cold-duration', kind: 'number', help: 'seconds of load in the cold-start run', default: 8 },
  { name: 'cold-delay', kind: 'number', help: 'ms between starting the proxy and the load', default: 1000 },
];

export interface ColdStartResult {
  proxy: ProxyName;
  /** How the report names this run when it is not just the proxy (a warm-up budget, say). */
  label?: string;
  rate: number;
  durationS: number;
  delayMs: number;
  /** Spawn → UDP port bound, ms (polled every 5 ms). */
  boundMs: number;
  /** dsd: spawn → "ready for traffic" (process uptime in that line); Kamailio: = boundMs. */
  readyMs: number;
  /** dsd: the warm-up's own time, ms (0 for Kamailio). */
  warmupMs: number;
  created: number;
  completed: number;
  failed: number;
  /** sipp UAC retransmissions (INVITE without 100, BYE without 200, within T1). */
  retransmissions: number;
  probeP50Us: number;
  probeP99Us: number;
  probeCompleted: number;
  rtdP99Ms: number;
  /** The probe's p99 second by second of the load (its calls in answer order, `probeRate` a second). */
  perSecondP99Us: number[];
}

type Starter = (port: number, backends: number[], extra: Pick<ProxyOptions, 'onSpawn'>) => Promise<RunningProxy>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * When dsd served: its "ready for traffic" line (one process), or with workers the
 * primary's "started" line, said once every worker is ready (JSON log lines under -E).
 * Not the port: with workers the first one bound, a worker warmed up briefly, comes
 * before worker 0, the reader, is ready.
 */
function dsdReady(out: string): { uptimeMs: number; warmupMs: number } | null {
  for (const l of out.split('\n')) {
    if (!l.includes('ready for traffic') && !l.includes('SIP workers')) continue;
    try {
      const j = JSON.parse(l) as { uptime_ms?: number; warmup_ms?: number };
      if (typeof j.uptime_ms === 'number') return { uptimeMs: j.uptime_ms, warmupMs: j.warmup_ms ?? 0 };
    } catch {
      /* not JSON */
    }
  }
  return null;
}

/** p99 of each run of `perS` samples: the probe sends `perS` calls a second. */
function perSecond(us: readonly number[], perS: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < us.length; i += perS) out.push(percentile(us.slice(i, i + perS), 99));
  return out;
}

/** One cold start of `name`: destinations up, proxy spawned, load at spawn + delay. */
export async function coldStart(
  name: ProxyName,
  start: Starter,
  rate: number,
  durationS: number,
  delayMs: number,
  probeRate: number,
): Promise<ColdStartResult> {
  const [px, u1, u2, cp1, cp2, uacPort, uacCp, probePort] = await freePorts(8);
  const uases: Uas[] = [];
  let proxy: RunningProxy | null = null;
  let probe: ProbeWorker | null = null;
  try {
    uases.push(await startUas(u1, cp1), await startUas(u2, cp2));
    let spawnedAt = 0;
    let boundAt = 0;
    const spawned = new Promise<void>((resolve) => {
      const p = start(px, [u1, u2], {
        onSpawn: () => {
          spawnedAt = performance.now();
          resolve();
        },
      });
      p.then(
        (x) => {
          proxy = x;
        },
        () => resolve(),
      );
      void p.catch(() => undefined);
    });
    await spawned;
    const poll = setInterval(() => {
      if (!boundAt && udpTaken(px)) boundAt = performance.now();
    }, 5);
    await sleep(Math.max(0, delayMs - (performance.now() - spawnedAt)));
    probe = new ProbeWorker({ proxyIp: '127.0.0.1', proxyPort: px, localPort: probePort, rate: probeRate });
    await probe.start();
    const calls = Math.max(1, Math.round(rate * durationS));
    const uac = await runUac({
      remote: `127.0.0.1:${px}`,
      port: uacPort,
      controlPort: uacCp,
      rate,
      calls,
      timeoutMs: durationS * 1000 + 40_000,
    });
    const pr = await probe.stop();
    probe = null;
    clearInterval(poll);
    const running = proxy as RunningProxy | null;
    const ready = name === 'dsd' && running ? dsdReady(running.output()) : null;
    const boundMs = boundAt ? boundAt - spawnedAt : NaN;
    return {
      proxy: name,
      rate,
      durationS,
      delayMs,
      boundMs,
      readyMs: ready ? ready.uptimeMs : boundMs,
      warmupMs: ready ? ready.warmupMs : 0,
      created: uac.created,
      completed: uac.successful + uac.lateProvisional,
      failed: uac.failed - uac.lateProvisional,
      retransmissions: statNum(uac.stats, 'Retransmissions(C)'),
      probeP50Us: percentile(pr.latencyUs, 50),
      probeP99Us: percentile(pr.latencyUs, 99),
      probeCompleted: pr.completed,
      rtdP99Ms: percentile(uac.rtdMs, 99),
      // the load's seconds only: the probe goes on until sipp has ended its last call
      perSecondP99Us: perSecond(pr.latencyUs.slice(0, durationS * probeRate), probeRate),
    };
  } finally {
    if (probe) await probe.stop();
    const running = proxy as RunningProxy | null;
    if (running) await running.stop();
    for (const u of uases) await u.stop();
  }
}

/** One cold start of dsd, then one of Kamailio. */
export async function runColdStarts(
  f: Flags,
  starter: (name: ProxyName) => Starter,
  probeRate: (rate: number) => number,
  say: (msg: string) => void,
): Promise<ColdStartResult[]> {
  const rate = (f['cold-rate'] as number | undefined) ?? (f.rate as number);
  const durationS = f['cold-duration'] as number;
  const delayMs = f['cold-delay'] as number;
  const out: ColdStartResult[] = [];
  say(`cold start: ${fmt(rate)} cps for ${durationS} s, sent ${delayMs} ms after the proxy was started`);
  const only = f.only as string | undefined;
  for (const name of (['dsd', 'kamailio'] as ProxyName[]).filter((n) => !only || n === only)) {
    const r = await coldStart(name, starter(name), rate, durationS, delayMs, probeRate(rate));
    say(
      `  ${name.padEnd(8)} ready after ${fmt(r.readyMs)} ms (bound ${fmt(r.boundMs)} ms${r.warmupMs ? `, warm-up ${fmt(r.warmupMs)} ms` : ''}): ` +
        `${fmt(r.completed)} ok, ${fmt(r.failed)} failed, ${fmt(r.retransmissions)} retransmissions, ` +
        `INVITE→200 p50 ${fmtUs(r.probeP50Us)} p99 ${fmtUs(r.probeP99Us)} (sipp p99 ${fmt(r.rtdP99Ms)} ms); ` +
        `p99 second by second ${r.perSecondP99Us.map(fmtUs).join(', ')}`,
    );
    out.push(r);
  }
  return out;
}

/** The worst per-second p99 after the first second of load. */
function laterP99(r: ColdStartResult): number {
  const later = r.perSecondP99Us.slice(1);
  return later.length ? Math.max(...later) : NaN;
}

export function coldStartMarkdown(rs: readonly ColdStartResult[] | null): string {
  if (!rs || rs.length === 0) return '';
  const r0 = rs[0]!;
  const rows = rs.map(
    (r) =>
      `| ${r.label ?? (r.proxy === 'dsd' ? 'dsd' : 'Kamailio 5.6')} | ${fmt(r.readyMs)} ms | ${fmt(r.boundMs)} ms | ` +
      `${r.warmupMs ? `${fmt(r.warmupMs)} ms` : '–'} | ${fmt(r.completed)} / ${fmt(r.created)} | ${fmt(r.retransmissions)} | ` +
      `${fmtUs(r.probeP50Us)} | ${fmtUs(r.probeP99Us)} | ${fmtUs(r.perSecondP99Us[0] ?? NaN)} | ${fmtUs(laterP99(r))} | ${fmt(r.rtdP99Ms)} ms |`,
  );
  return [
    '',
    '## Cold start',
    '',
    `${fmt(r0.rate)} cps for ${r0.durationS} s, sent ${r0.delayMs} ms after the proxy process was started ` +
      "(INVITE→200 from the probe; retransmissions: sipp's caller, each one a request the proxy did not relay within 500 ms).",
    '',
    '| proxy | time to ready | port bound | warm-up | calls ok / made | retransmissions | p50 | p99 | p99, first second | p99, worst later second | sipp p99 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}
