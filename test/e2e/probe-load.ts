/**
 * Keepalive load measurement (not a test file; the bench calls it): N destinations in S
 * sets probed every interval for a while, answered 200 by a few raw UDP responders (each
 * destination has its own URI user part on one of the responder ports). Reports, from
 * the responders' side, the intervals in which a destination got no probe and the
 * largest gap between two probes of one destination; from the daemon, its missed rounds
 * and round-start lag (metrics endpoint) and its CPU time (/proc/<pid>/stat) and RSS.
 *
 *   node dist/test/e2e/probe-load.js [destinations] [sets] [seconds]
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { startDsd, basicCfg, Dsd, DSCTL_BIN } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { makeResponse, callIdOf } from '../helpers/sip-peer';
import { pause } from '../helpers/wait';
import { at } from '../helpers/at';

export interface ProbeLoadOptions {
  destinations?: number;
  sets?: number;
  durationSec?: number;
  intervalSec?: number;
  responders?: number;
  /** Seconds at the start left out of the analysis (first rounds, state settling). */
  warmupSec?: number;
  log?: (line: string) => void;
}

export interface ProbeLoadResult {
  destinations: number;
  sets: number;
  intervalSec: number;
  measuredSec: number;
  /** Distinct probes the responders got inside the measured window. */
  probes: number;
  /** destinations × measured intervals. */
  expectedProbes: number;
  /** Intervals (per destination, summed) with no probe of that destination: a gap of k intervals counts k − 1. */
  missedIntervals: number;
  /** Largest gap between two consecutive probes of one destination, ms. */
  maxGapMs: number;
  /** 99th percentile of those gaps, ms. */
  p99GapMs: number;
  /** Daemon's own count of interval boundaries with no round, and its worst round-start lag. */
  daemonMissedRounds: number;
  daemonMaxRoundLagMs: number;
  /** Daemon CPU over the measured window: seconds and percent of one core. */
  cpuUserSec: number;
  cpuSystemSec: number;
  cpuPercent: number;
  rssMb: number;
  /** Destinations not AP at the end. */
  notActive: number;
}

function clockTicks(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

/** utime + stime (clock ticks) and resident memory (kB) of a process. */
function procCpu(pid: number): { utime: number; stime: number; rssKb: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after "(comm) ": state is index 0, utime (field 14) index 11, stime index 12
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { utime: Number(f[11]), stime: Number(f[12]), rssKb: rss ? Number(rss[1]) : 0 };
}

async function scrapeSample(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return at(sorted, Math.min(sorted.length - 1, Math.floor(p * sorted.length)));
}

export async function runProbeLoad(o: ProbeLoadOptions = {}): Promise<ProbeLoadResult> {
  const nDest = o.destinations ?? 200;
  const nSets = o.sets ?? 20;
  const duration = o.durationSec ?? 60;
  const interval = o.intervalSec ?? 1;
  const nResp = o.responders ?? 4;
  const warmup = o.warmupSec ?? 3;
  const log = o.log ?? (() => undefined);
  const [px, pm, ...rports] = await freePorts(2 + nResp);
  assert.ok(px !== undefined && pm !== undefined, 'ports for the proxy and its metrics');

  // responders: remember each distinct probe (by Call-ID) per destination (R-URI user)
  const arrivals = new Map<string, number[]>();
  const seen = new Set<string>();
  const socks: dgram.Socket[] = [];
  for (const port of rports) {
    const s = dgram.createSocket('udp4');
    s.on('message', (buf, rinfo) => {
      const text = buf.toString('latin1');
      if (!text.startsWith('OPTIONS ')) return;
      const at = performance.now();
      const id = callIdOf(text) ?? '';
      if (!seen.has(id)) {
        seen.add(id);
        const user = text.slice(12, text.indexOf('@'));
        let a = arrivals.get(user);
        if (a === undefined) arrivals.set(user, (a = []));
        a.push(at);
      }
      s.send(makeResponse(text, 200, 'OK'), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => s.bind(port, '127.0.0.1', () => resolve()));
    socks.push(s);
  }

  const lines: string[] = [];
  for (let i = 0; i < nDest; i++) lines.push(`${1 + (i % nSets)} sip:d${i}@127.0.0.1:${rports[i % nResp]} 0 0`);
  let dsd: Dsd | null = null;
  try {
    dsd = await startDsd({
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${px}`],
        params: [
          `modparam("dispatcher", "ds_ping_interval", ${interval})`,
          'modparam("dispatcher", "ds_probing_mode", 1)',
          'modparam("dispatcher", "ds_ping_latency_stats", 1)',
          `modparam("dispatcher", "ds_metrics_listen", "127.0.0.1:${pm}")`,
        ],
      }),
      list: lines.join('\n') + '\n',
    });
    const pid = dsd.proc.pid!;
    const hz = clockTicks();
    await pause(warmup * 1000);
    const t0 = performance.now();
    const c0 = procCpu(pid);
    log(`probing ${nDest} destinations in ${nSets} sets every ${interval}s for ${duration}s`);
    await pause(duration * 1000);
    const t1 = performance.now();
    const c1 = procCpu(pid);
    const measured = (t1 - t0) / 1000;

    const iv = interval * 1000;
    let probes = 0,
      missed = 0;
    const gaps: number[] = [];
    for (let i = 0; i < nDest; i++) {
      const a = arrivals.get(`d${i}`) ?? [];
      const inWin = a.filter((x) => x >= t0 && x < t1);
      probes += inWin.length;
      // a gap of about k intervals between two probes means k − 1 missed intervals; the
      // window edges count as probes so a destination that went quiet is caught too
      const around = [t0, ...a.filter((x) => x >= t0 - iv && x < t1 + iv), t1];
      around.sort((x, y) => x - y);
      for (let k = 1; k < around.length; k++) {
        const g = at(around, k) - at(around, k - 1);
        missed += Math.max(0, Math.round(g / iv) - 1);
        if (k > 1 && k < around.length - 1) gaps.push(g);
      }
    }
    gaps.sort((x, y) => x - y);
    const list = spawnSync(process.execPath, [DSCTL_BIN, '-s', `unix:${dsd.dir}/dsd_ctl`, 'dispatcher.list'], {
      encoding: 'utf8',
    });
    const notActive = (list.stdout.match(/FLAGS: (?!AP)\w+/g) ?? []).length;
    const result: ProbeLoadResult = {
      destinations: nDest,
      sets: nSets,
      intervalSec: interval,
      measuredSec: Number(measured.toFixed(2)),
      probes,
      expectedProbes: nDest * Math.floor((t1 - t0) / iv),
      missedIntervals: missed,
      maxGapMs: Number((gaps[gaps.length - 1] ?? 0).toFixed(1)),
      p99GapMs: Number(percentile(gaps, 0.99).toFixed(1)),
      daemonMissedRounds: await scrapeSample(pm, 'dsd_dispatcher_keepalive_missed_rounds_total'),
      daemonMaxRoundLagMs: Number(
        ((await scrapeSample(pm, 'dsd_dispatcher_keepalive_round_lag_max_seconds')) * 1000).toFixed(2),
      ),
      cpuUserSec: (c1.utime - c0.utime) / hz,
      cpuSystemSec: (c1.stime - c0.stime) / hz,
      cpuPercent: Number((((c1.utime - c0.utime + (c1.stime - c0.stime)) / hz / measured) * 100).toFixed(2)),
      rssMb: Number((c1.rssKb / 1024).toFixed(1)),
      notActive,
    };
    return result;
  } finally {
    if (dsd) await dsd.stop();
    for (const s of socks) s.close();
  }
}

if (require.main === module) {
  const [d, s, sec] = process.argv.slice(2).map(Number);
  runProbeLoad({
    destinations: d || undefined,
    sets: s || undefined,
    durationSec: sec || undefined,
    log: (l) => process.stderr.write(`${l}\n`),
  }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
