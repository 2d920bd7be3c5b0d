/**
 * `npm run bench:children`: the `children` axis alone (lib/children-sweep.ts): dsd -n 1,
 * dsd -n N and Kamailio children=N at each rate. Writes bench/results/children.md.
 * Installs nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runMain } from './lib/cleanup';
import { cliFlags, FlagSpec } from './lib/args';
import { haveCommand, REPO } from './lib/sipp';
import { childrenSweep, sweepMarkdown, loadNow } from './lib/children-sweep';

const FLAGS: FlagSpec[] = [
  { name: 'rates', kind: 'numbers', help: 'offered rates, calls per second', default: [1000, 3000, 6000] },
  { name: 'duration', kind: 'number', help: 'seconds of load per run', default: 5 },
  { name: 'rounds', kind: 'number', help: 'runs of each proxy at each rate (the table shows medians)', default: 3 },
  { name: 'children', kind: 'number', help: 'dsd workers (-n) and Kamailio children= of the N runs', default: 2 },
  { name: 'warmup', kind: 'number', help: 'seconds of unmeasured load before each run', default: 2 },
  { name: 'settle', kind: 'number', help: 'ms after the last call before the CPU reading', default: 5500 },
  { name: 'out', kind: 'string', help: 'results directory', default: path.join(REPO, 'bench', 'results') },
];

function say(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

async function main(): Promise<number> {
  const f = cliFlags('bench:children', 'npm run bench:children --', FLAGS);
  if (typeof f === 'number') return f;
  for (const c of ['kamailio', 'sipp']) {
    if (!haveCommand(c, ['-v'])) {
      process.stderr.write(`bench:children: ${c} not found (apt-get install kamailio sip-tester)\n`);
      return 1;
    }
  }
  const o = {
    rates: f.rates as number[],
    durationS: f.duration as number,
    rounds: f.rounds as number,
    children: f.children as number,
    settleMs: f.settle as number,
    warmupS: f.warmup as number,
  };
  const load = loadNow();
  const rows = await childrenSweep({ ...o, log: say });
  fs.mkdirSync(f.out as string, { recursive: true });
  fs.writeFileSync(path.join(f.out as string, 'children.md'), sweepMarkdown(rows, o, '#', load));
  say(`wrote ${path.join(f.out as string, 'children.md')}`);
  return 0;
}

runMain(main);
