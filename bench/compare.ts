/**
 * `npm run bench:compare`: the same sipp load through dsd (etc/dsd.cfg) and through
 * Kamailio 5.6 (bench/kamailio.cfg), alternating A B A B over several rounds so drift on
 * the machine hits both. Per proxy and round: calls completed/failed, CPU µs per
 * completed call over every process of the proxy, peak RSS, INVITE→200 p50/p99, the
 * highest offered rate with < 0.1 % failed calls (short step search), and the wall time
 * of `dsctl dispatcher.list` against `kamcmd dispatcher.list`. Writes
 * bench/results/latest.{md,json} (the previous run moves to previous.*) and a chart.
 * Installs nothing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMain } from './lib/cleanup';
import { cliFlags, FlagSpec, Flags } from './lib/args';
import { haveCommand, REPO } from './lib/sipp';
import { startDsd, startKamailio, ProxyName, RunningProxy } from './lib/proxies';
import { childrenSweep, sweepMarkdown, sweepP99Curves, loadNow, SweepRow } from './lib/children-sweep';
import { runLoad, probeFloor, LoadResult } from './lib/load';
import { timeDsctl, timeKamcmd, CommandTiming } from './lib/rpc-time';
import { summarize, ratios, toMarkdown, CompareReport, RoundResult, StepSearch } from './lib/report';
import { renderSvg, writePng, Panel, Series } from './lib/chart';
import { fmt, fmtUs, median } from './lib/stats';
import { COLD_FLAGS, runColdStarts, coldStartMarkdown } from './lib/cold-start';

const FLAGS: FlagSpec[] = [
  { name: 'rounds', kind: 'number', help: 'rounds (each: dsd then Kamailio)', default: 3 },
  { name: 'rate', kind: 'number', help: 'calls per second of the main runs', default: 1000 },
  { name: 'duration', kind: 'number', help: 'seconds of load per main run', default: 10 },
  {
    name: 'steps',
    kind: 'numbers',
    help: 'rates tried above --rate by the step search',
    default: [2000, 3000, 4000, 6000, 8000],
  },
  { name: 'step-duration', kind: 'number', help: 'seconds of load per step', default: 3 },
  { name: 'no-steps', kind: 'boolean', help: 'skip the step search' },
  {
    name: 'settle',
    kind: 'number',
    help: 'ms to wait after the last call before the CPU reading (tm wt_timer + margin)',
    default: 5500,
  },
  { name: 'probe-rate', kind: 'number', help: 'latency probe calls per second (default min(100, rate/10))' },
  {
    name: 'children',
    kind: 'number',
    help: 'Kamailio UDP worker processes (children=) and dsd SIP workers (-n)',
    default: 4,
  },
  {
    name: 'shm',
    kind: 'number',
    help: 'Kamailio shared memory, MB (-m; 256 runs out of tm cells at 3000 cps)',
    default: 1024,
  },
  { name: 'pkg', kind: 'number', help: 'Kamailio private memory per process, MB (-M)', default: 16 },
  {
    name: 'kamailio-cfg',
    kind: 'string',
    help: 'cfg Kamailio runs (etc/dsd.cfg checks the two agree)',
    default: 'bench/kamailio.cfg',
  },
  { name: 'rpc-reps', kind: 'number', help: 'repetitions of dsctl/kamcmd dispatcher.list', default: 10 },
  {
    name: 'axis-rates',
    kind: 'numbers',
    help: 'the children axis: dsd -n 1, dsd -n N and Kamailio children=N at these rates',
    default: [1000, 3000, 6000],
  },
  { name: 'axis-duration', kind: 'number', help: 'seconds of load per children-axis run', default: 5 },
  {
    name: 'axis-rounds',
    kind: 'number',
    help: 'runs of each proxy at each children-axis rate (median shown)',
    default: 3,
  },
  { name: 'no-axis', kind: 'boolean', help: 'skip the children axis' },
  { name: 'redraw', kind: 'boolean', help: 'only draw the chart again, from latest.json in the results directory' },
  { name: 'out', kind: 'string', help: 'results directory', default: path.join(REPO, 'bench', 'results') },
  ...COLD_FLAGS,
];

const PROXIES: ProxyName[] = ['dsd', 'kamailio'];

function say(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return (
    ((r.stdout ?? '') + (r.stderr ?? ''))
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? cmd
  );
}

function isClean(r: LoadResult): boolean {
  return r.created > 0 && r.failedPct < 0.1 && !r.generatorBound;
}

interface Ctx {
  f: Flags;
  t0: number;
}

function starter(ctx: Ctx, name: ProxyName) {
  return (port: number, backends: number[], extra: { onSpawn?: () => void } = {}): Promise<RunningProxy> =>
    name === 'dsd'
      ? startDsd({ port, backends, dsdArgs: ['-n', String(ctx.f.children)], ...extra })
      : startKamailio({
          ...extra,
          port,
          backends,
          children: ctx.f.children as number,
          shmMb: ctx.f.shm as number,
          pkgMb: ctx.f.pkg as number,
          cfgFile: path.resolve(REPO, ctx.f['kamailio-cfg'] as string),
        });
}

function probeRate(ctx: Ctx, rate: number): number {
  return (ctx.f['probe-rate'] as number | undefined) ?? Math.min(100, Math.max(1, Math.round(rate / 10)));
}

function line(ctx: Ctx, name: ProxyName, r: LoadResult): void {
  const el = ((Date.now() - ctx.t0) / 1000).toFixed(0);
  say(
    `  [${el}s] ${name.padEnd(8)} ${fmt(r.rate).padStart(5)} cps (made ${fmt(r.achievedRate, 0)}): ` +
      `${fmt(r.completed)} ok, ${fmt(r.failed - r.lateProvisional)} failed (${fmt(r.failedPct, 3)} %)${r.lateProvisional ? ` +${r.lateProvisional} late-180` : ''}, ${fmt(r.cpuUsPerCall, 1)} µs CPU/call, ` +
      `p50 ${fmtUs(r.probeP50Us)} p99 ${fmtUs(r.probeP99Us)}${r.generatorBound ? ' [sipp-bound]' : ''}`,
  );
}

/** One measured run of `name` at `rate` for `durationS`. */
async function measure(
  ctx: Ctx,
  name: ProxyName,
  rate: number,
  durationS: number,
  rpc?: (p: RunningProxy) => Promise<void>,
): Promise<LoadResult> {
  const r = await runLoad({
    rate,
    durationS,
    settleMs: ctx.f.settle as number,
    probeRate: probeRate(ctx, rate),
    timeoutMs: durationS * 1000 + 15_000,
    start: starter(ctx, name),
    beforeStop: rpc,
  });
  line(ctx, name, r);
  return r;
}

const round100 = (v: number) => Math.max(100, Math.round(v / 100) * 100);

/**
 * The highest offered rate with < 0.1 % failed calls. Failures near the limit are not
 * monotonic in the rate (a handful of calls lost to chance can fail one run and not the
 * next), so the search goes up the step list from the main run's rate and stops only
 * after two failing steps in a row; then one step halfway between the highest clean rate
 * and the failing rate just above it. When nothing at or above the main rate was clean it
 * halves the rate, twice. A step sipp could not generate ends the search: there the
 * machine, not the proxy, is the limit.
 */
async function stepSearch(ctx: Ctx, name: ProxyName, main: LoadResult): Promise<StepSearch> {
  const runs: LoadResult[] = [];
  const dur = ctx.f['step-duration'] as number;
  const tried = new Map<number, LoadResult>([[main.rate, main]]);
  const run = async (rate: number) => {
    const r = await measure(ctx, name, rate, dur);
    runs.push(r);
    tried.set(rate, r);
    return r;
  };
  let note = '';
  let failsInRow = isClean(main) ? 0 : 1;
  for (const rate of (ctx.f.steps as number[]).filter((x) => x > main.rate).sort((a, b) => a - b)) {
    const r = await run(rate);
    if (r.generatorBound && r.failedPct < 0.1) {
      note = `sipp could only make ${fmt(r.achievedRate, 0)} of ${fmt(rate)} cps: machine-bound, not a proxy failure`;
      break;
    }
    failsInRow = isClean(r) ? 0 : failsInRow + 1;
    if (failsInRow >= 2) break;
  }
  const cleanRates = () => [...tried.entries()].filter(([, r]) => isClean(r)).map(([rate]) => rate);
  if (cleanRates().length === 0) {
    for (const rate of [round100(main.rate / 2), round100(main.rate / 4)]) {
      if (tried.has(rate)) continue;
      if (isClean(await run(rate))) break;
    }
  }
  let best = cleanRates().length ? Math.max(...cleanRates()) : null;
  const failingAbove = [...tried.entries()]
    .filter(([rate, r]) => !isClean(r) && (best === null || rate > best))
    .map(([rate]) => rate);
  const bad = failingAbove.length ? Math.min(...failingAbove) : null;
  if (best !== null && bad !== null) {
    const mid = round100((best + bad) / 2);
    if (mid > best && mid < bad && !tried.has(mid) && isClean(await run(mid))) best = mid;
  }
  if (!note) {
    const b = bad !== null ? tried.get(bad) : undefined;
    note = b ? `${fmt(bad!)} cps failed (${fmt(b.failedPct, 2)} %)` : 'clean at every step (top of the step list)';
    const dips = [...tried.entries()]
      .filter(([rate, r]) => !isClean(r) && best !== null && rate < best)
      .map(([rate]) => fmt(rate));
    if (dips.length) note += `; also failed below it at ${dips.join(', ')} cps`;
  }
  return { maxClean: best, note, runs };
}

/** Clean runs of a proxy grouped by offered rate: medians of CPU/call and latency. */
function curve(
  rounds: readonly RoundResult[],
  name: ProxyName,
): Array<{ rate: number; cpu: number; p50: number; p99: number }> {
  const by = new Map<number, LoadResult[]>();
  for (const r of rounds) {
    if (r.proxy !== name) continue;
    for (const x of [r.main, ...(r.steps?.runs ?? [])]) {
      if (!isClean(x)) continue;
      const l = by.get(x.rate) ?? [];
      l.push(x);
      by.set(x.rate, l);
    }
  }
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([rate, xs]) => ({
      rate,
      cpu: median(xs.map((x) => x.cpuUsPerCall)),
      p50: median(xs.map((x) => x.probeP50Us)) / 1000,
      p99: median(xs.map((x) => x.probeP99Us)) / 1000,
    }));
}

/** dsd -n 1 and -n N dashed and solid in dsd's colour, Kamailio in its own. */
function axisSeries(axis: readonly SweepRow[]): Series[] {
  const k = (rate: number) => (rate >= 1000 ? `${rate / 1000}k` : String(rate));
  return sweepP99Curves(axis).map(({ label, points, unclean }) => ({
    name: `${label} p99${unclean.length ? ` (≥ 0.1 % failed at ${unclean.map(k).join(', ')})` : ''}`,
    color: label.startsWith('dsd') ? '#d9480f' : '#1864ab',
    dashed: label === 'dsd -n 1',
    points,
  }));
}

function chart(rep: CompareReport, dir: string, axis: readonly SweepRow[] | null): string[] {
  const colors: Record<ProxyName, string> = { dsd: '#d9480f', kamailio: '#1864ab' };
  const cpu: Series[] = [];
  const rt: Series[] = [];
  for (const p of PROXIES) {
    const c = curve(rep.rounds, p);
    const name = p === 'dsd' ? 'dsd' : 'Kamailio 5.6';
    cpu.push({ name, color: colors[p], points: c.map((q) => [q.rate, q.cpu]) });
    rt.push({ name: `${name} p50`, color: colors[p], points: c.map((q) => [q.rate, q.p50]) });
    rt.push({ name: `${name} p99`, color: colors[p], dashed: true, points: c.map((q) => [q.rate, q.p99]) });
  }
  const panels: Panel[] = [
    {
      title: 'Proxy CPU per completed call',
      xLabel: 'offered rate (calls/s)',
      yLabel: 'µs CPU per call (all processes)',
      series: cpu,
    },
    {
      title: 'INVITE→200, a fresh proxy per run',
      xLabel: 'offered rate (calls/s)',
      yLabel: 'ms (log scale)',
      logY: true,
      series: rt,
    },
  ];
  if (axis?.length)
    panels.push({
      title: 'Workers: INVITE→200 p99, after 2 s of load',
      xLabel: 'offered rate (calls/s)',
      yLabel: 'ms, median over the runs',
      series: axisSeries(axis),
    });
  const svg = renderSvg(
    panels,
    `${rep.date.slice(0, 10)} · ${rep.machine.cpus} cores · left and middle: the main runs and the step search, clean runs only (< 0.1 % failed), medians · right: the children axis, every run · bench/results/latest.md`,
  );
  const svgFile = path.join(dir, 'chart.svg');
  fs.writeFileSync(svgFile, svg);
  const why = writePng(svg, path.join(dir, 'chart.png'));
  return why ? [`chart: ${svgFile}`, why] : [`chart: ${path.join(dir, 'chart.png')} (and chart.svg)`];
}

/** The chart of the last run again (after a change to the chart's code), from latest.json. */
function redraw(dir: string): number {
  const file = path.join(dir, 'latest.json');
  let rep: CompareReport & { axis?: SweepRow[] | null };
  try {
    rep = JSON.parse(fs.readFileSync(file, 'utf8')) as CompareReport & { axis?: SweepRow[] | null };
  } catch (e) {
    process.stderr.write(`bench:compare: cannot read ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  for (const l of chart(rep, dir, rep.axis ?? null)) say(l);
  return 0;
}

async function main(): Promise<number> {
  const f = cliFlags('bench:compare', 'npm run bench:compare --', FLAGS);
  if (typeof f === 'number') return f;
  if (f.redraw) return redraw(f.out as string);
  const missing = [
    ['kamailio', ['-v']],
    ['sipp', ['-v']],
  ]
    .filter(([c, a]) => !haveCommand(c as string, a as string[]))
    .map(([c]) => c);
  if (missing.length) {
    process.stderr.write(
      `bench:compare: ${missing.join(' and ')} not found. It installs nothing itself; install them first:\n` +
        '  apt-get install kamailio sip-tester\n',
    );
    return 1;
  }
  if (!fs.existsSync(path.join(REPO, 'dist', 'src', 'daemon', 'main.js'))) {
    process.stderr.write('bench:compare: dsd is not built (dist/src/daemon/main.js missing): run npm run build\n');
    return 1;
  }
  const ctx: Ctx = { f, t0: Date.now() };
  const rate = f.rate as number;
  const rounds = Math.max(1, Math.floor(f.rounds as number));
  const haveKamcmd = haveCommand('kamcmd', ['-V']);
  say(
    `bench:compare: ${rounds} rounds × (dsd, Kamailio), ${fmt(rate)} cps for ${f.duration} s each` +
      `${f['no-steps'] ? '' : `, then a step search (${(f.steps as number[]).join(', ')} cps, ${f['step-duration']} s each)`}`,
  );
  const floor = await probeFloor();
  say(`probe floor without a proxy (probe → sipp uas): p50 ${fmtUs(floor.p50Us)}, p99 ${fmtUs(floor.p99Us)}`);
  const results: RoundResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    say(`round ${round}/${rounds}`);
    const mains = new Map<ProxyName, { r: LoadResult; rpc: CommandTiming | null }>();
    for (const name of PROXIES) {
      let rpc: CommandTiming | null = null;
      const reps = f['rpc-reps'] as number;
      const r = await measure(ctx, name, rate, f.duration as number, async (p) => {
        if (name === 'dsd') rpc = timeDsctl(p.ctl, reps);
        else
          rpc = haveKamcmd
            ? timeKamcmd(p.ctl, reps)
            : { ok: false, medianMs: NaN, reps: 0, note: 'skipped: kamcmd not installed' };
      });
      mains.set(name, { r, rpc });
    }
    for (const name of PROXIES) {
      const m = mains.get(name)!;
      const steps = f['no-steps'] ? null : await stepSearch(ctx, name, m.r);
      results.push({ round, proxy: name, main: m.r, steps, rpc: m.rpc });
    }
  }
  const axisOpts = {
    rates: f['axis-rates'] as number[],
    durationS: f['axis-duration'] as number,
    rounds: f['axis-rounds'] as number,
    children: Math.max(2, f.children as number),
    settleMs: f.settle as number,
    warmupS: 2,
    kamailioCfg: path.resolve(REPO, f['kamailio-cfg'] as string),
  };
  if (!f['no-axis'])
    say(`children axis: dsd -n 1, dsd -n ${axisOpts.children}, Kamailio children=${axisOpts.children}`);
  const axisLoad = loadNow();
  const axis = f['no-axis'] ? null : await childrenSweep({ ...axisOpts, log: (m) => say(`  ${m}`) });
  const cold = f['no-cold-start']
    ? null
    : await runColdStarts(
        f,
        (n) => starter(ctx, n),
        (r) => probeRate(ctx, r),
        say,
      );
  const dsd = summarize(results, 'dsd');
  const kam = summarize(results, 'kamailio');
  const rep: CompareReport = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? '?',
      node: process.version,
      kamailio: firstLine('kamailio', ['-v']).replace(/^version:\s*/, ''),
      sipp: firstLine('sipp', ['-v']),
      load: os
        .loadavg()
        .map((v) => v.toFixed(2))
        .join(' '),
    },
    options: {
      rounds,
      rate,
      duration: f.duration,
      steps: f['no-steps'] ? [] : f.steps,
      stepDuration: f['step-duration'],
      settleMs: f.settle,
      probeRate: probeRate(ctx, rate),
      kamailio: { cfg: f['kamailio-cfg'], children: f.children, shmMb: f.shm, pkgMb: f.pkg },
    },
    floor,
    rounds: results,
    summary: { dsd, kamailio: kam },
    ratios: ratios(dsd, kam),
    notes: [
      'CPU per call: utime+stime from /proc/PID/stat of every process of the proxy (Kamailio: the main process and all its forked children), ' +
        "read before the load and again after the proxy went quiet (the settle wait covers tm's wt_timer, so freeing the transactions is counted), " +
        "divided by the completed calls (sipp's and the probe's).",
      'Peak RSS: VmHWM; for Kamailio it is summed over its processes, which counts the shared memory segment once per process that touched it. ' +
        'The PSS column splits shared pages among the processes and is the fairer footprint to compare.',
      "INVITE→200 p50/p99: measured by the bench's probe (its own calls through the proxy, µs clock, in a worker thread). " +
        "sipp's rtd is printed too, but its clock moves in steps of a few ms, so it cannot resolve sub-millisecond differences. " +
        'The sipp destinations themselves answer about 1 ms after they receive (the floor above): compare differences, not absolutes.',
      'Failed calls exclude "late-180" aborts: sipp\'s uac.xml aborts a call when the 180 arrives after the 200 (or waits for a second 200 ' +
        "until its receive timeout when the 180 lands between its ACK and its BYE), although the call was set up normally. Kamailio's workers handle the 180 and the 200 of one INVITE in parallel and sometimes forward them " +
        'in the other order; dsd (one thread) never does. They are shown apart and count as completed calls.',
      "Highest clean rate: offered rate with < 0.1 % failed calls over a short run; sipp, the two destinations and the proxy share the machine's cores, " +
        'so the number is a property of this machine as a whole, the same for both proxies.',
      `Kamailio runs ${f['kamailio-cfg']} (children=${f.children}, -m ${f.shm} -M ${f.pkg}) and dsd runs etc/dsd.cfg, ` +
        "each a temp copy with only the listen lines, list_file and the ctl socket path changed; fr_timer/fr_inv_timer are etc/dsd.cfg's.",
    ],
  };
  const outDir = f.out as string;
  fs.mkdirSync(outDir, { recursive: true });
  const latestJson = path.join(outDir, 'latest.json');
  let previous: CompareReport | null = null;
  if (fs.existsSync(latestJson)) {
    try {
      previous = JSON.parse(fs.readFileSync(latestJson, 'utf8')) as CompareReport;
      fs.copyFileSync(latestJson, path.join(outDir, 'previous.json'));
      const md = path.join(outDir, 'latest.md');
      if (fs.existsSync(md)) fs.copyFileSync(md, path.join(outDir, 'previous.md'));
    } catch {
      previous = null;
    }
  }
  const md =
    toMarkdown(rep, previous) +
    coldStartMarkdown(cold) +
    (axis ? `\n${sweepMarkdown(axis, axisOpts, '##', axisLoad)}` : '');
  fs.writeFileSync(path.join(outDir, 'latest.md'), md);
  fs.writeFileSync(
    latestJson,
    JSON.stringify(
      { ...rep, coldStart: cold, axis },
      (k, v) => (k === 'sippErrors' && typeof v === 'string' ? v.slice(0, 600) : v),
      2,
    ) + '\n',
  );
  process.stdout.write(md);
  for (const l of chart(rep, outDir, axis)) say(l);
  say(`written: ${path.join(outDir, 'latest.md')}, ${latestJson} (${((Date.now() - ctx.t0) / 1000).toFixed(0)} s)`);
  return 0;
}

void runMain(main);
