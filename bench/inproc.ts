/**
 * `node dist/bench/inproc.js [--b /other/checkout]`: dsd's JavaScript cost per call with
 * the sockets taken out. Each run is a fresh process (lib/inproc-child.ts) that builds the
 * engine on a temp copy of etc/dsd.cfg and pushes the warm-up's synthetic calls through
 * the real core, script and dispatcher on an in-memory transport, round after round; the
 * figure is process CPU (user + system, GC and JIT threads included) per call over the
 * rounds after `--skip` warm ones. With `--b`, runs alternate A, B, A, B… and the medians
 * and the B/A ratio of each pair are printed. Far less noisy than a sipp load: no kernel,
 * no peer, no scheduling between processes — use it to rank changes to the per-message
 * code, then confirm with `bench:ab`. `--prof DIR` writes a .cpuprofile per run. `--b .` with
 * `--anode`/`--bnode` compares node flags (e.g. GC sizing) on one build; peak RSS is reported too.
 */
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { runMain, track, trackDir } from './lib/cleanup';
import { cliFlags, FlagSpec, Flags } from './lib/args';
import { adaptDsdCfg, dispatcherList, readDsdCfg } from './lib/dsd-config';
import { REPO } from './lib/sipp';
import { fmt, median } from './lib/stats';

const FLAGS: FlagSpec[] = [
  { name: 'b', kind: 'string', help: 'another built checkout to compare with (A is this one)' },
  { name: 'pairs', kind: 'number', help: 'runs per build (alternating with --b)', default: 3 },
  { name: 'rounds', kind: 'number', help: 'rounds of synthetic calls per run', default: 6 },
  { name: 'skip', kind: 'number', help: 'first rounds of a run not counted (JIT warm-up)', default: 2 },
  { name: 'budget', kind: 'number', help: 'ms per round (a round stops at 5000 calls)', default: 60000 },
  { name: 'node', kind: 'string', help: 'node flags for every run, space-separated', default: '' },
  {
    name: 'anode',
    kind: 'string',
    help: 'more node flags for A (with --b . compares flags on one build)',
    default: '',
  },
  { name: 'bnode', kind: 'string', help: 'more node flags for B', default: '' },
  { name: 'prof', kind: 'string', help: 'directory for a --cpu-prof of every run' },
  {
    name: 'together',
    kind: 'boolean',
    help: 'run A and B of a pair at the same time (a busy machine then slows both alike)',
  },
];

interface Round {
  calls: number;
  completed: number;
  errors: number;
  firstError: string | null;
  cpuUsPerCall: number;
  userUsPerCall: number;
  maxRssKb: number;
}

function say(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

function runOnce(
  b: { root: string; node: string },
  cfgFile: string,
  f: Flags,
  profDir: string | null,
  tag: string,
): Promise<Round[]> {
  const root = b.root;
  const child = path.join(__dirname, 'lib', 'inproc-child.js');
  const nodeArgs = `${f.node as string} ${b.node}`.split(' ').filter(Boolean);
  if (profDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${tag}.cpuprofile`);
  const args = [...nodeArgs, child, root, cfgFile, String(f.rounds), String(f.budget)];
  return new Promise((resolve, reject) => {
    const p = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: path.dirname(cfgFile) }));
    let out = '';
    let err = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`inproc run (${root}) exited ${code}: ${err.slice(-2000)}`));
        return;
      }
      resolve(
        out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Round),
      );
    });
  });
}

async function main(): Promise<number> {
  const f = cliFlags('bench/inproc', 'node dist/bench/inproc.js', FLAGS);
  if (typeof f === 'number') return f;
  const builds: Array<{ label: 'A' | 'B'; root: string; node: string }> = [
    { label: 'A', root: REPO, node: f.anode as string },
  ];
  if (typeof f.b === 'string') {
    const b = path.resolve(f.b);
    if (!fs.existsSync(path.join(b, 'dist', 'src', 'daemon', 'warmup.js'))) {
      process.stderr.write(`bench/inproc: ${b} is not a built checkout with the warm-up\n`);
      return 1;
    }
    builds.push({ label: 'B', root: b, node: f.bnode as string });
  }
  const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-inproc-')));
  const listFile = path.join(dir, 'dispatcher.list');
  // the destinations are never reached (nothing is sent): any two ports do
  fs.writeFileSync(listFile, dispatcherList([5091, 5092]));
  const cfgFile = path.join(dir, 'dsd.cfg');
  fs.writeFileSync(cfgFile, adaptDsdCfg(readDsdCfg(), 5090, listFile, path.join(dir, 'ctl.sock'), false).text);
  const profDir = typeof f.prof === 'string' ? path.resolve(f.prof) : null;
  if (profDir) fs.mkdirSync(profDir, { recursive: true });
  const skip = f.skip as number;
  const per: Record<'A' | 'B', number[]> = { A: [], B: [] };
  // noise from other jobs only adds CPU (stolen time is charged to the running process on a VM):
  // the least costly round of a run is the steadiest figure
  const best: Record<'A' | 'B', number[]> = { A: [], B: [] };
  const rss: Record<'A' | 'B', number[]> = { A: [], B: [] };
  for (let i = 0; i < (f.pairs as number); i++) {
    const order = i % 2 === 0 ? builds : [...builds].reverse();
    const together =
      f.together === true
        ? await Promise.all(order.map((b) => runOnce(b, cfgFile, f, profDir, `${b.label}-${i}`)))
        : null;
    for (const [k, b] of order.entries()) {
      const rounds = together?.[k] ?? (await runOnce(b, cfgFile, f, profDir, `${b.label}-${i}`));
      const counted = rounds.slice(skip);
      const calls = counted.reduce((s, r) => s + r.calls, 0);
      const cpu = calls ? counted.reduce((s, r) => s + r.cpuUsPerCall * r.calls, 0) / calls : NaN;
      const user = calls ? counted.reduce((s, r) => s + r.userUsPerCall * r.calls, 0) / calls : NaN;
      const incomplete = counted.reduce((s, r) => s + r.calls - r.completed, 0);
      const errors = counted.reduce((s, r) => s + r.errors, 0);
      per[b.label].push(cpu);
      const low = Math.min(...counted.map((r) => r.cpuUsPerCall));
      best[b.label].push(low);
      const peakMb = Math.max(...rounds.map((r) => r.maxRssKb ?? NaN)) / 1024;
      rss[b.label].push(peakMb);
      say(
        `${b.label} run ${i + 1}: ${fmt(cpu, 1)} µs CPU/call (user ${fmt(user, 1)}, best round ${fmt(low, 1)}) ` +
          `over ${fmt(calls)} calls, peak RSS ${fmt(peakMb, 0)} MB; ` +
          `rounds ${rounds.map((r) => fmt(r.cpuUsPerCall, 0)).join(' ')}` +
          (incomplete || errors
            ? `; ${incomplete} not completed, ${errors} errors (${counted.find((r) => r.firstError)?.firstError ?? ''})`
            : ''),
      );
    }
  }
  for (const b of builds)
    say(
      `${b.label} median: ${fmt(median(per[b.label]), 1)} µs CPU/call, ` +
        `best rounds ${fmt(median(best[b.label]), 1)} (${best[b.label].map((x) => fmt(x, 0)).join(' ')}), ` +
        `peak RSS ${fmt(median(rss[b.label]), 0)} MB`,
    );
  if (builds.length === 2) {
    for (const [what, xs] of [
      ['whole runs', per],
      ['best rounds', best],
      ['peak RSS', rss],
    ] as const) {
      const ratios = xs.A.map((a, i) => a / (xs.B[i] ?? NaN));
      say(
        `A/B per pair, ${what}: ${ratios.map((r) => r.toFixed(3)).join(' ')}; median ${median(ratios).toFixed(3)} ` +
          `(${fmt(median(xs.A) - median(xs.B), 1)} ${what === 'peak RSS' ? 'MB' : 'µs/call'})`,
      );
    }
  }
  return 0;
}

runMain(main);
