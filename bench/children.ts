/**
 * `npm run bench:children`: the `children` axis. The same sipp load at each rate through
 * dsd with one process (-n 1), dsd with N SIP workers (-n N) and Kamailio with children=N,
 * one after the other per rate. Per run: calls completed/failed, CPU µs per completed call
 * over every process, INVITE→200 p50/p99 from the latency probe. Writes
 * bench/results/children.md. Installs nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runMain } from './lib/cleanup';
import { parseFlags, usage, ArgError, FlagSpec, Flags } from './lib/args';
import { haveCommand, REPO } from './lib/sipp';
import { startDsd, startKamailio, RunningProxy } from './lib/proxies';
import { runLoad, LoadResult } from './lib/load';
import { fmt, fmtUs } from './lib/stats';

const FLAGS: FlagSpec[] = [
  { name: 'rates', kind: 'numbers', help: 'offered rates, calls per second', default: [1000, 3000, 6000] },
  { name: 'duration', kind: 'number', help: 'seconds of load per run', default: 5 },
  { name: 'children', kind: 'number', help: 'dsd workers (-n) and Kamailio children= of the N runs', default: 2 },
  { name: 'settle', kind: 'number', help: 'ms after the last call before the CPU reading', default: 5500 },
  { name: 'out', kind: 'string', help: 'results directory', default: path.join(REPO, 'bench', 'results') },
];

interface Row {
  label: string;
  rate: number;
  r: LoadResult;
}

function say(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

async function main(): Promise<number> {
  let f: Flags & { help?: boolean };
  try {
    f = parseFlags(process.argv.slice(2), FLAGS);
  } catch (e) {
    if (e instanceof ArgError) {
      process.stderr.write(`bench:children: ${e.message}\n${usage('npm run bench:children --', FLAGS)}\n`);
      return 2;
    }
    throw e;
  }
  if (f.help) {
    process.stdout.write(`${usage('npm run bench:children --', FLAGS)}\n`);
    return 0;
  }
  for (const c of ['kamailio', 'sipp']) {
    if (!haveCommand(c, ['-v'])) {
      process.stderr.write(`bench:children: ${c} not found (apt-get install kamailio sip-tester)\n`);
      return 1;
    }
  }
  const n = Math.max(2, Math.floor(f.children as number));
  const proxies: Array<{ label: string; start: (port: number, backends: number[]) => Promise<RunningProxy> }> = [
    { label: 'dsd -n 1', start: (port, backends) => startDsd({ port, backends, dsdArgs: ['-n', '1'] }) },
    { label: `dsd -n ${n}`, start: (port, backends) => startDsd({ port, backends, dsdArgs: ['-n', String(n)] }) },
    {
      label: `Kamailio children=${n}`,
      start: (port, backends) =>
        startKamailio({
          port,
          backends,
          children: n,
          shmMb: 1024,
          pkgMb: 16,
          cfgFile: path.join(REPO, 'bench', 'kamailio.cfg'),
        }),
    },
  ];
  const rows: Row[] = [];
  for (const rate of f.rates as number[]) {
    for (const p of proxies) {
      const r = await runLoad({
        rate,
        durationS: f.duration as number,
        settleMs: f.settle as number,
        probeRate: Math.min(100, Math.round(rate / 10)),
        timeoutMs: (f.duration as number) * 1000 + 15_000,
        start: p.start,
      });
      rows.push({ label: p.label, rate, r });
      say(
        `${p.label.padEnd(22)} ${fmt(rate).padStart(5)} cps: ${fmt(r.completed)} ok, ${fmt(r.failed - r.lateProvisional)} failed` +
          `${r.lateProvisional ? ` +${r.lateProvisional} late-180` : ''}, ${fmt(r.cpuUsPerCall, 1)} µs CPU/call, ` +
          `p50 ${fmtUs(r.probeP50Us)} p99 ${fmtUs(r.probeP99Us)}${r.generatorBound ? ' [sipp-bound]' : ''}`,
      );
    }
  }
  const md = [
    `# dsd with 1 and ${n} SIP workers beside Kamailio (children=${n})`,
    '',
    `${new Date().toISOString()}, ${f.duration} s of load per run, sipp uac.xml → proxy → two sipp uas.xml on 127.0.0.1; ` +
      'CPU over every process of the proxy; INVITE→200 from the bench probe. One run each: noisy.',
    '',
    '| rate (cps) | proxy | completed | failed | late-180 | CPU µs/call | p50 | p99 |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      ({ label, rate, r }) =>
        `| ${fmt(rate)} | ${label} | ${fmt(r.completed)} | ${fmt(r.failed - r.lateProvisional)} | ` +
        `${fmt(r.lateProvisional)} | ${fmt(r.cpuUsPerCall, 1)} | ${fmtUs(r.probeP50Us)} | ${fmtUs(r.probeP99Us)} |`,
    ),
    '',
  ].join('\n');
  fs.mkdirSync(f.out as string, { recursive: true });
  fs.writeFileSync(path.join(f.out as string, 'children.md'), md);
  say(`wrote ${path.join(f.out as string, 'children.md')}`);
  return 0;
}

runMain(main);
