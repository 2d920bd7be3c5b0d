/**
 * `npm run bench:ab -- --b /path/to/other/checkout`: the same sipp load through two dsd
 * builds, alternating A, B, A, B… so that a shared, noisy machine hurts both alike. A is
 * this checkout; B is another built checkout (e.g. `git worktree add /tmp/old <commit>`,
 * then `npm run build` there). Both run this checkout's etc/dsd.cfg. Prints one line per
 * run and the medians; `--b .` with `--anode`/`--bnode` compares node flags on one build; writes nothing. `-n` is passed only above 1 (older builds lack it).
 */
import path from 'node:path';
import fs from 'node:fs';
import { runMain } from './lib/cleanup';
import { cliFlags, ArgError, FlagSpec, Flags, envOf } from './lib/args';
import { haveCommand } from './lib/sipp';
import { startDsd } from './lib/proxies';
import { DSD_BIN } from './lib/dsd-config';
import { withDaemonFlags } from '../src/daemon/node-flags';
import { runLoad, LoadResult } from './lib/load';
import { fmt, fmtUs, median } from './lib/stats';

const FLAGS: FlagSpec[] = [
  { name: 'b', kind: 'string', help: 'the other checkout (its bin/dsd and dist/ must be built)' },
  { name: 'rates', kind: 'numbers', help: 'offered rates, calls per second', default: [1000] },
  { name: 'duration', kind: 'number', help: 'seconds of load per run', default: 6 },
  { name: 'rounds', kind: 'number', help: 'A/B pairs per rate', default: 3 },
  { name: 'children', kind: 'number', help: 'dsd -n for both', default: 1 },
  { name: 'bchildren', kind: 'number', help: 'dsd -n for B only (default: --children)' },
  {
    name: 'anode',
    kind: 'string',
    help: "node flags for A, space-separated (e.g. --single-threaded-gc); dsd's own (src/daemon/node-flags.ts) are added unless given: --max-semi-space-size=16 is node's default",
    default: '',
  },
  { name: 'bnode', kind: 'string', help: 'node flags for B', default: '' },
  { name: 'aenv', kind: 'string', help: 'environment for A: NAME=VALUE,…', default: '' },
  { name: 'benv', kind: 'string', help: 'environment for B', default: '' },
  { name: 'warmup', kind: 'number', help: 'seconds of unmeasured load first (JIT warm-up)', default: 0 },
  { name: 'settle', kind: 'number', help: 'ms after the last call before the CPU reading', default: 5500 },
  {
    name: 'together',
    kind: 'boolean',
    help: 'run the A and B loads of a pair at the same time (other jobs then slow both alike; each gets half the machine)',
  },
];

function say(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

function line(label: string, rate: number, r: LoadResult): string {
  return (
    `${label.padEnd(4)} ${fmt(rate).padStart(5)} cps: ${fmt(r.completed)} ok, ${fmt(r.failed - r.lateProvisional)} failed, ` +
    `${fmt(r.cpuUsPerCall, 1)} µs/call (user ${fmt((r.userMs * 1000) / Math.max(1, r.completed), 0)}, ` +
    `busiest process ${fmt(r.busiestUsPerCall, 0)}), ` +
    `p50 ${fmtUs(r.probeP50Us)} p99 ${fmtUs(r.probeP99Us)} max ${fmtUs(r.probeMaxUs)}, ` +
    `rss ${fmt(r.peakRssSum / 1e6, 0)} MB`
  );
}

async function main(): Promise<number> {
  const f = cliFlags('bench:ab', 'npm run bench:ab --', FLAGS, (x: Flags) => {
    if (typeof x.b !== 'string') throw new ArgError('--b is required');
  });
  if (typeof f === 'number') return f;
  if (!haveCommand('sipp', ['-v'])) {
    process.stderr.write('bench:ab: sipp not found (apt-get install sip-tester)\n');
    return 1;
  }
  const bBin = f.b === '.' ? DSD_BIN : path.join(path.resolve(f.b as string), 'bin', 'dsd');
  if (!fs.existsSync(bBin)) {
    process.stderr.write(`bench:ab: ${bBin} not found\n`);
    return 1;
  }
  const nA = String(f.children);
  const nB = String(f.bchildren ?? f.children);
  const builds = [
    {
      label: 'A',
      bin: DSD_BIN,
      n: nA,
      node: (f.anode as string).split(' ').filter(Boolean),
      env: envOf(f.aenv as string),
    },
    {
      label: 'B',
      bin: bBin,
      n: nB,
      node: (f.bnode as string).split(' ').filter(Boolean),
      env: envOf(f.benv as string),
    },
  ];
  for (const b of builds)
    say(
      `${b.label} = ${f[b.label === 'A' ? 'aenv' : 'benv'] as string} node ${withDaemonFlags(b.node, '').join(' ')} ${b.bin} -n ${b.n}`,
    );
  for (const rate of f.rates as number[]) {
    const got: Record<string, LoadResult[]> = { A: [], B: [] };
    for (let round = 0; round < (f.rounds as number); round++) {
      const order = round % 2 === 0 ? builds : [...builds].reverse();
      const run = (b: (typeof builds)[number]): Promise<LoadResult> =>
        runLoad({
          rate,
          durationS: f.duration as number,
          settleMs: f.settle as number,
          warmupS: f.warmup as number,
          probeRate: Math.min(100, Math.round(rate / 10)),
          timeoutMs: (f.duration as number) * 1000 + 15_000,
          start: (port, backends) =>
            startDsd({
              port,
              backends,
              dsdBin: b.bin,
              nodeArgs: b.node,
              env: b.env,
              dsdArgs: b.n === '1' ? [] : ['-n', b.n],
            }),
        });
      const together = f.together === true ? await Promise.all(order.map(run)) : null;
      for (const [k, b] of order.entries()) {
        const r = together?.[k] ?? (await run(b));
        (got[b.label] ??= []).push(r);
        say(line(b.label, rate, r));
      }
    }
    for (const b of builds) {
      const rs = got[b.label] ?? [];
      say(
        `${b.label} median at ${fmt(rate)} cps: ${fmt(median(rs.map((r) => r.cpuUsPerCall)), 1)} µs/call, ` +
          `busiest process ${fmt(median(rs.map((r) => r.busiestUsPerCall)), 0)} µs/call, ` +
          `p99 ${fmtUs(median(rs.map((r) => r.probeP99Us)))}, failed ${fmt(median(rs.map((r) => r.failedPct)), 2)} %`,
      );
    }
    const gb = got.B ?? [];
    const ratios = (got.A ?? []).map((a, i) => a.cpuUsPerCall / (gb[i]?.cpuUsPerCall ?? NaN));
    say(
      `A/B CPU per call, pair by pair: ${ratios.map((r) => r.toFixed(3)).join(' ')}; median ${median(ratios).toFixed(3)}`,
    );
  }
  return 0;
}

runMain(main);
