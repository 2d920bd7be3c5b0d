/**
 * `node dist/bench/profile.js` (after npm run build): where dsd spends CPU and memory
 * under the bench load. Two runs, each on a fresh dsd:
 *   cpu — dsd under `node --cpu-prof`; prints the top self-time functions and files.
 *   mem — dsd with bench/lib/mem-sampler.js preloaded: memory every 250 ms, GC pauses,
 *         a forced full GC mid-run (live heap with the transactions of a steady state)
 *         and after the settle (nothing lingering), hence bytes per transaction;
 *         --snapshot adds a heap snapshot mid-run, summarized by object kind.
 *   perf — `perf record -g` of every thread of dsd (node --perf-basic-prof) and of every
 *         Kamailio process under the same load: GC threads, JIT, kernel socket time and
 *         code, side by side (skipped when perf is not installed).
 * Findings are written up by hand in bench/PROFILE.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMain, trackDir } from './lib/cleanup';
import { cliFlags, FlagSpec } from './lib/args';
import { haveCommand, REPO } from './lib/sipp';
import { startDsd, startKamailio, RunningProxy, ProxyName } from './lib/proxies';
import { spawn, ChildProcess } from 'node:child_process';
import { track } from './lib/cleanup';
import { summarizePerf } from './lib/perf-report';
import { runLoad, LoadResult } from './lib/load';
import { summarizeCpuProfile, summarizeHeapSnapshot, newestFile } from './lib/profiles';
import { fmt, fmtMb, fmtUs } from './lib/stats';

const FLAGS: FlagSpec[] = [
  { name: 'mode', kind: 'string', help: 'cpu, mem, perf or all (perf: when perf is installed)', default: 'all' },
  { name: 'rate', kind: 'number', help: 'calls per second', default: 1000 },
  { name: 'duration', kind: 'number', help: 'seconds of load', default: 10 },
  { name: 'top', kind: 'number', help: 'functions listed', default: 25 },
  { name: 'snapshot', kind: 'boolean', help: 'mem: also take and summarize a heap snapshot mid-run (slow, big)' },
  {
    name: 'keep',
    kind: 'string',
    help: 'directory to keep the .cpuprofile / samples / snapshot in (default: a temp dir, removed)',
  },
];

const p = (s = '') => process.stdout.write(`${s}\n`);

function brief(r: LoadResult): string {
  return (
    `${fmt(r.completed)} calls completed, ${fmt(r.failed - r.lateProvisional)} failed, ${fmt(r.cpuUsPerCall, 1)} µs CPU/call, ` +
    `peak RSS ${fmtMb(r.peakRssSum)}`
  );
}

async function cpuRun(dir: string, rate: number, duration: number, top: number): Promise<void> {
  const profDir = path.join(dir, 'cpu');
  fs.mkdirSync(profDir, { recursive: true });
  p(`== cpu: dsd under --cpu-prof, ${fmt(rate)} cps for ${duration} s`);
  const r = await runLoad({
    rate,
    durationS: duration,
    settleMs: 1000,
    probeRate: 0,
    start: (port, backends) => startDsd({ port, backends, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] }),
  });
  p(`   ${brief(r)} (profiling overhead included)`);
  const file = newestFile(profDir, '.cpuprofile');
  if (!file) {
    p('   no .cpuprofile written (dsd did not exit through process.exit/normal exit?)');
    return;
  }
  const s = summarizeCpuProfile(file, REPO, top);
  p(`   profile ${file}: ${fmt(s.totalMs)} ms busy, ${fmt(s.idleMs)} ms idle`);
  p('   top self time:');
  for (const e of s.top)
    p(`   ${e.pct.toFixed(1).padStart(5)} %  ${fmt(e.selfMs).padStart(6)} ms  ${e.name}  ${e.where}`);
  p('   by file:');
  for (const e of s.byFile) p(`   ${e.pct.toFixed(1).padStart(5)} %  ${fmt(e.selfMs).padStart(6)} ms  ${e.name}`);
}

interface Sample {
  t: number;
  tag?: string;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, number>;
  servers: number | null;
  clients: number | null;
  active: number | null;
  gc: {
    count: number;
    totalMs: number;
    maxMs: number;
    byKind: Record<string, { n: number; ms: number; maxMs: number }>;
  };
  file?: string;
}

async function waitForTag(file: string, tag: string, after: number, ms: number): Promise<Sample | null> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (fs.existsSync(file)) {
      const hit = fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Sample)
        .find((s) => s.tag === tag && s.t >= after);
      if (hit) return hit;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

async function memRun(dir: string, rate: number, duration: number, snapshot: boolean): Promise<void> {
  const samples = path.join(dir, 'mem-samples.jsonl');
  const preload = path.join(__dirname, 'lib', 'mem-sampler.js');
  p(
    `== mem: dsd with the memory sampler, ${fmt(rate)} cps for ${duration} s; full GC at ${duration / 2} s and after the settle`,
  );
  let midAt = 0;
  let mid: Sample | null = null;
  let idle: Sample | null = null;
  let snapFile: string | null = null;
  const r = await runLoad({
    rate,
    durationS: duration,
    settleMs: 5500,
    probeRate: 0,
    start: (port, backends) =>
      startDsd({
        port,
        backends,
        nodeArgs: [
          ...(process.env.DSD_PROFILE_NODE_ARGS ?? '').split(' ').filter(Boolean),
          '--expose-gc',
          '--require',
          preload,
        ],
        // dist/src rather than the bundle: the sampler finds the proxy core by requiring
        // dist/src/proxy/core.js, which the bundle's own copy of the class is not
        env: {
          ...process.env,
          DSD_BUNDLE: '0',
          DSD_BENCH_MEM_OUT: samples,
          DSD_BENCH_SNAPSHOT_DIR: snapshot ? dir : '',
        },
      }),
    onStarted: (proxy) => {
      setTimeout(
        () => {
          midAt = Date.now();
          try {
            process.kill(proxy.pid, 'SIGUSR2');
          } catch {
            /* gone */
          }
        },
        (duration * 1000) / 2,
      ).unref();
    },
    beforeStop: async (proxy) => {
      mid = midAt ? await waitForTag(samples, 'afterGc', midAt, 60_000) : null;
      if (snapshot) {
        const s = await waitForTag(samples, 'snapshot', midAt, 120_000);
        snapFile = s?.file ?? null;
      }
      const at = Date.now();
      process.kill(proxy.pid, 'SIGUSR2');
      idle = await waitForTag(samples, 'afterGc', at, snapshot ? 120_000 : 30_000);
    },
  });
  p(`   ${brief(r)}`);
  if (!fs.existsSync(samples)) {
    p('   no samples written');
    return;
  }
  const all = fs
    .readFileSync(samples, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Sample)
    .filter((s) => s.rss);
  const before = all.filter((s) => !midAt || s.t < midAt);
  const maxOf = (k: 'rss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers') =>
    Math.max(...before.map((s) => s[k]));
  p(
    `   before the first forced GC: peak rss ${fmtMb(maxOf('rss'))}, heapTotal ${fmtMb(maxOf('heapTotal'))}, heapUsed ${fmtMb(maxOf('heapUsed'))}, ` +
      `external ${fmtMb(maxOf('external'))} (arrayBuffers ${fmtMb(maxOf('arrayBuffers'))})`,
  );
  const peakTx = before.reduce((a, s) => (!a || (s.servers ?? 0) > (a.servers ?? 0) ? s : a), before[0]);
  if (peakTx) {
    p(
      `   most transactions seen: ${fmt(peakTx.servers ?? NaN)} server + ${fmt(peakTx.clients ?? NaN)} client (${fmt(peakTx.active ?? NaN)} in flight), ` +
        `heapUsed then ${fmtMb(peakTx.heapUsed)}; spaces: ${Object.entries(peakTx.spaces)
          .filter(([, v]) => v > 1 << 20)
          .map(([k, v]) => `${k} ${fmtMb(v)}`)
          .join(', ')}`,
    );
  }
  const m = mid as Sample | null;
  const i = idle as Sample | null;
  if (m && i) {
    const live = m.heapUsed - i.heapUsed;
    // ArrayBuffer memory is released lazily after GC, so the settled reading is no baseline
    // for buffers: count them from before the load (an upper bound)
    const ext = m.arrayBuffers - (all[0]?.arrayBuffers ?? 0);
    const st = m.servers ?? NaN;
    p(
      `   after full GC mid-run: heapUsed ${fmtMb(m.heapUsed)}, arrayBuffers ${fmtMb(m.arrayBuffers)}, ${fmt(st)} server + ${fmt(m.clients ?? NaN)} client transactions`,
    );
    p(
      `   after full GC, settled: heapUsed ${fmtMb(i.heapUsed)}, arrayBuffers ${fmtMb(i.arrayBuffers)}, ${fmt(i.servers ?? NaN)} server transactions`,
    );
    p(
      `   ⇒ per server transaction (with its client branch, messages, timers): ${fmt(live / st)} B of JS heap + ≤ ${fmt(ext / st)} B of buffers ` +
        `= ${fmt((live + ext) / st)} B`,
    );
  } else {
    p('   no forced-GC samples (was --expose-gc accepted?)');
  }
  const last = all[all.length - 1];
  const lastBefore = before[before.length - 1] as Sample & {
    loopDelayMs?: { p50: number; p99: number; max: number } | null;
  };
  if (lastBefore?.loopDelayMs) {
    const d = lastBefore.loopDelayMs;
    p(
      `   event-loop delay up to the first forced GC: p50 ${fmtUs(d.p50 * 1000)}, p99 ${fmtUs(d.p99 * 1000)}, max ${fmtUs(d.max * 1000)}`,
    );
  }
  if (last?.gc) {
    p(
      `   GC over the run: ${fmt(last.gc.count)} pauses, ${fmt(last.gc.totalMs)} ms in total, longest ${fmtUs(last.gc.maxMs * 1000)}`,
    );
    for (const [k, v] of Object.entries(last.gc.byKind))
      p(
        `     ${k.padEnd(14)} ${fmt(v.n).padStart(6)} × , ${fmt(v.ms).padStart(6)} ms, longest ${fmtUs(v.maxMs * 1000)}`,
      );
  }
  const snap = snapFile as string | null;
  if (snap && fs.existsSync(snap)) {
    const h = summarizeHeapSnapshot(snap);
    p(
      `   heap snapshot mid-run (after full GC): ${fmtMb(h.totalBytes)} in ${fmt(h.nodes)} objects; largest kinds (self size):`,
    );
    const st = m?.servers ?? NaN;
    for (const k of h.kinds) {
      p(
        `   ${fmtMb(k.bytes).padStart(10)}  ${fmt(k.count).padStart(9)} ×  ${k.kind}${Number.isFinite(st) && st > 0 ? `   (${fmt(k.bytes / st)} B, ${fmt(k.count / st, 1)} per server txn)` : ''}`,
      );
    }
  }
}

async function perfRun(dir: string, name: ProxyName, rate: number, duration: number, top: number): Promise<void> {
  const data = path.join(dir, `perf-${name}.data`);
  p(`== perf: ${name}, every thread/process, ${fmt(rate)} cps for ${duration} s`);
  let perf: ChildProcess | null = null;
  let perfDone: Promise<void> = Promise.resolve();
  let pid = 0;
  const r = await runLoad({
    rate,
    durationS: duration,
    settleMs: 500,
    probeRate: 0,
    start: (port, backends): Promise<RunningProxy> =>
      name === 'dsd'
        ? startDsd({ port, backends, nodeArgs: ['--perf-basic-prof'] })
        : startKamailio({ port, backends, children: 4, shmMb: 1024, pkgMb: 16 }),
    onStarted: (proxy) => {
      pid = proxy.pid;
      perf = track(
        spawn(
          'perf',
          [
            'record',
            '-q',
            '-e',
            'cpu-clock',
            '-F',
            '997',
            '-g',
            '-o',
            data,
            '-p',
            proxy.pids().join(','),
            '--',
            'sleep',
            String(duration),
          ],
          { stdio: 'ignore' },
        ),
      );
      const pr = perf;
      perfDone = new Promise((res) => {
        pr.once('exit', () => res());
        pr.once('error', () => res());
      });
    },
    beforeStop: async () => {
      await perfDone;
    },
  });
  p(`   ${brief(r)} (user ${fmt(r.userMs)} ms + system ${fmt(r.sysMs)} ms)`);
  const sum = fs.existsSync(data) ? summarizePerf(data, name === 'dsd' ? 'node' : 'kamailio', top) : null;
  if (pid) fs.rmSync(`/tmp/perf-${pid}.map`, { force: true });
  if (!sum) {
    p('   perf recorded nothing (perf_event_paranoid? run as root)');
    return;
  }
  p(`   ${fmt(sum.samples)} samples at 997 Hz over all threads; by category:`);
  for (const c of sum.categories) p(`   ${c.pct.toFixed(1).padStart(5)} %  ${c.name}`);
  p(`   top functions (self; JS builtins counted for the calling JS function):`);
  for (const c of sum.functions) p(`   ${c.pct.toFixed(1).padStart(5)} %  ${c.name}`);
  p(`   inclusive (sample has the function anywhere on its stack):`);
  for (const c of sum.inclusive) p(`   ${c.pct.toFixed(1).padStart(5)} %  ${c.name}`);
}

async function main(): Promise<number> {
  const f = cliFlags('profile', 'node dist/bench/profile.js', FLAGS);
  if (typeof f === 'number') return f;
  if (!haveCommand('sipp')) {
    process.stderr.write('profile: sipp is not installed: apt-get install sip-tester\n');
    return 1;
  }
  const keep = typeof f.keep === 'string' ? path.resolve(f.keep) : null;
  const dir = keep ?? trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-profile-')));
  fs.mkdirSync(dir, { recursive: true });
  const mode = f.mode as string;
  if (!['cpu', 'mem', 'perf', 'all'].includes(mode)) {
    process.stderr.write(`profile: --mode must be cpu, mem, perf or all\n`);
    return 2;
  }
  const rate = f.rate as number;
  const duration = f.duration as number;
  if (mode === 'cpu' || mode === 'all') await cpuRun(dir, rate, duration, f.top as number);
  if (mode === 'mem' || mode === 'all') await memRun(dir, rate, duration, Boolean(f.snapshot));
  if (mode === 'perf' || mode === 'all') {
    if (!haveCommand('perf', ['--version'])) p('== perf: skipped (perf is not installed)');
    else {
      await perfRun(dir, 'dsd', rate, duration, f.top as number);
      if (haveCommand('kamailio', ['-v'])) await perfRun(dir, 'kamailio', rate, duration, f.top as number);
    }
  }
  if (keep) p(`kept in ${keep}`);
  return 0;
}

void runMain(main);
