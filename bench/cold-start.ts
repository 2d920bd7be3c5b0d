/**
 * `node dist/bench/cold-start.js`: only the cold-start run of `npm run bench:compare`
 * (lib/cold-start.ts), for trying start-up changes without the whole comparison. Prints
 * the markdown table; writes nothing. `--warmups 0,150,300` instead compares warm-up budgets
 * (dsd only, alternating, `--rounds` times).
 */
import path from 'node:path';
import { runMain } from './lib/cleanup';
import { cliFlags, FlagSpec } from './lib/args';
import { REPO } from './lib/sipp';
import { startDsd, startKamailio, ProxyName, RunningProxy } from './lib/proxies';
import { COLD_FLAGS, runColdStarts, coldStartMarkdown, coldStart, ColdStartResult } from './lib/cold-start';

const FLAGS: FlagSpec[] = [
  { name: 'rate', kind: 'number', help: 'calls per second', default: 1000 },
  { name: 'children', kind: 'number', help: 'dsd -n and Kamailio children=', default: 1 },
  { name: 'probe-rate', kind: 'number', help: 'latency probe calls per second', default: 100 },
  { name: 'only', kind: 'string', help: 'one proxy: dsd or kamailio' },
  { name: 'node-args', kind: 'string', help: 'node flags for dsd, space-separated (V8 flags to try)' },
  {
    name: 'warmups',
    kind: 'numbers',
    help: 'dsd only, an A/B of warm-up budgets: one run per budget (DSD_WARMUP_MS), alternating, --rounds times',
  },
  { name: 'rounds', kind: 'number', help: 'rounds of --warmups', default: 3 },
  ...COLD_FLAGS.filter((x) => x.name !== 'no-cold-start'),
];

async function main(): Promise<number> {
  const f = cliFlags('cold-start', 'node dist/bench/cold-start.js', FLAGS);
  if (typeof f === 'number') return f;
  const children = f.children as number;
  const nodeArgs = ((f['node-args'] as string | undefined) ?? '').split(' ').filter((x) => x.length > 0);
  const starter =
    (name: ProxyName) =>
    (port: number, backends: number[], extra: { onSpawn?: () => void }): Promise<RunningProxy> =>
      name === 'dsd'
        ? startDsd({ port, backends, dsdArgs: ['-n', String(children)], nodeArgs, ...extra })
        : startKamailio({
            ...extra,
            port,
            backends,
            children,
            shmMb: 1024,
            pkgMb: 16,
            cfgFile: path.join(REPO, 'bench', 'kamailio.cfg'),
          });
  const warmups = f.warmups as number[] | undefined;
  if (warmups?.length) {
    const rate = (f['cold-rate'] as number | undefined) ?? (f.rate as number);
    const rs: ColdStartResult[] = [];
    for (let round = 0; round < (f.rounds as number); round++) {
      for (const w of round % 2 ? [...warmups].reverse() : warmups) {
        const start = (port: number, backends: number[], extra: { onSpawn?: () => void }): Promise<RunningProxy> =>
          startDsd({
            port,
            backends,
            dsdArgs: ['-n', String(children)],
            nodeArgs,
            env: { ...process.env, DSD_WARMUP_MS: String(w) },
            ...extra,
          });
        const r = await coldStart(
          'dsd',
          start,
          rate,
          f['cold-duration'] as number,
          f['cold-delay'] as number,
          f['probe-rate'] as number,
        );
        r.label = `dsd, warm-up budget ${w} ms`;
        process.stderr.write(
          `  round ${round + 1} ${r.label}: ready ${Math.round(r.readyMs)} ms, ${r.completed}/${r.created} ok, ` +
            `${r.retransmissions} retransmissions, p99 ${Math.round(r.probeP99Us)} µs\n`,
        );
        rs.push(r);
      }
    }
    process.stdout.write(coldStartMarkdown(rs));
    return 0;
  }
  const rs = await runColdStarts(
    f,
    starter,
    () => f['probe-rate'] as number,
    (m) => process.stderr.write(`${m}\n`),
  );
  process.stdout.write(coldStartMarkdown(rs));
  return 0;
}

void runMain(main);
