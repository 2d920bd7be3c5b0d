/**
 * The `children` axis: the same sipp load at each rate through dsd with one process
 * (-n 1), dsd with N SIP workers (-n N) and Kamailio with children=N, one after the other
 * per rate, `rounds` times over (alternating, so a noisy minute hits all three). Used by
 * `npm run bench:children` and by `bench:compare` (its last section).
 *
 * Why rounds: a run's p99 is the 5th-worst of ~500 probe calls, so one stretch where the
 * host takes a core decides it; the median over rounds is what the table shows, with
 * every run's p99 beside it.
 */
import os from 'node:os';
import path from 'node:path';
import { REPO } from './sipp';
import { startDsd, startKamailio, RunningProxy } from './proxies';
import { runLoad, LoadResult } from './load';
import { fmt, fmtMb, fmtUs, median } from './stats';

export interface SweepOptions {
  rates: readonly number[];
  durationS: number;
  /** Runs of each proxy at each rate (default 1). */
  rounds?: number;
  children: number;
  settleMs: number;
  /** Seconds of unmeasured load before each run (every process's JIT warm-up). */
  warmupS: number;
  kamailioCfg?: string;
  log(msg: string): void;
}

export interface SweepRow {
  label: string;
  rate: number;
  r: LoadResult;
}

/** The machine's load average now, for labelling a run quiet or noisy. */
export function loadNow(): string {
  return os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

export async function childrenSweep(o: SweepOptions): Promise<SweepRow[]> {
  const n = Math.max(2, Math.floor(o.children));
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
          cfgFile: o.kamailioCfg ?? path.join(REPO, 'bench', 'kamailio.cfg'),
        }),
    },
  ];
  const rows: SweepRow[] = [];
  const rounds = Math.max(1, Math.floor(o.rounds ?? 1));
  for (const rate of o.rates) {
    for (let round = 0; round < rounds; round++) {
      for (const p of proxies) {
        const r = await runLoad({
          rate,
          durationS: o.durationS,
          settleMs: o.settleMs,
          warmupS: o.warmupS,
          probeRate: Math.min(100, Math.round(rate / 10)),
          timeoutMs: o.durationS * 1000 + 15_000,
          start: p.start,
        });
        rows.push({ label: p.label, rate, r });
        o.log(
          `${p.label.padEnd(22)} ${fmt(rate).padStart(5)} cps: ${fmt(r.completed)} ok, ${fmt(r.failed - r.lateProvisional)} failed` +
            `${r.lateProvisional ? ` +${r.lateProvisional} late-180` : ''}, ${fmt(r.cpuUsPerCall, 1)} µs CPU/call ` +
            `(busiest process ${fmt(r.busiestUsPerCall, 0)}), resident ${fmtMb(r.maxResidentSampled)}, ` +
            `p50 ${fmtUs(r.probeP50Us)} p99 ${fmtUs(r.probeP99Us)}` +
            `${r.generatorBound ? ' [sipp-bound]' : ''}`,
        );
      }
    }
  }
  return rows;
}

/** The runs of one proxy at one rate, in the order they ran. */
function groups(rows: readonly SweepRow[]): SweepRow[][] {
  const by = new Map<string, SweepRow[]>();
  for (const row of rows) {
    const key = `${row.rate}\u0000${row.label}`;
    const list = by.get(key);
    if (list) list.push(row);
    else by.set(key, [row]);
  }
  return [...by.values()];
}

/**
 * Per proxy, its median p99 (ms) at each rate: the chart's children panel; `unclean`, the
 * rates where its runs failed 0.1 % of the calls or more.
 */
export function sweepP99Curves(
  rows: readonly SweepRow[],
): Array<{ label: string; points: Array<[number, number]>; unclean: number[] }> {
  const out = new Map<string, { label: string; points: Array<[number, number]>; unclean: number[] }>();
  for (const g of groups(rows)) {
    const { label, rate } = g[0]!;
    const c = out.get(label) ?? { label, points: [], unclean: [] };
    out.set(label, c);
    c.points.push([rate, median(g.map((x) => x.r.probeP99Us)) / 1000]);
    const failed = g.reduce((a, x) => a + x.r.failed - x.r.lateProvisional, 0);
    const made = g.reduce((a, x) => a + x.r.completed + x.r.failed, 0);
    if (made > 0 && failed / made >= 0.001) c.unclean.push(rate);
  }
  return [...out.values()];
}

/** The table (medians over each proxy's runs at a rate), with how it was measured. */
export function sweepMarkdown(
  rows: readonly SweepRow[],
  o: Omit<SweepOptions, 'log'>,
  heading = '#',
  loadAtStart = '',
): string {
  const n = Math.max(2, Math.floor(o.children));
  const rounds = Math.max(1, Math.floor(o.rounds ?? 1));
  const sum = (g: SweepRow[], f: (r: LoadResult) => number) => g.reduce((a, x) => a + f(x.r), 0);
  const med = (g: SweepRow[], f: (r: LoadResult) => number) => median(g.map((x) => f(x.r)));
  return [
    `${heading} dsd with 1 and ${n} SIP workers beside Kamailio (children=${n})`,
    '',
    `${new Date().toISOString()}, ${o.durationS} s of load per run` +
      `${o.warmupS ? ` after ${o.warmupS} s of unmeasured warm-up at the same rate` : ''}, ` +
      'sipp uac.xml → proxy → two sipp uas.xml on 127.0.0.1; CPU over every process of the proxy, and of its busiest ' +
      'process alone (the one that saturates first); resident set: the most the proxy held in RAM at once, every ' +
      'process, each physical page counted once (/proc/PID/pagemap, sampled each second from ready to the end); ' +
      `INVITE→200 from the bench probe. ${rounds === 1 ? 'One run each' : `${rounds} runs each, alternating; medians, and every run's p99`}. ` +
      `${os.cpus().length} CPUs; load average ${loadAtStart ? `at the start ${loadAtStart}, ` : ''}at the end ${loadNow()} ` +
      '(above ~1 per CPU other work competed with the run: read the figures as noisy).',
    '',
    '| rate (cps) | proxy | completed | failed | late-180 | CPU µs/call | busiest process µs/call | resident set | p50 | p99 | p99 of each run |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...groups(rows).map((g) => {
      const { label, rate } = g[0]!;
      const failed = sum(g, (r) => r.failed - r.lateProvisional);
      const cpu = med(g, (r) => r.cpuUsPerCall);
      const busiest = med(g, (r) => r.busiestUsPerCall);
      const resident = med(g, (r) => r.maxResidentSampled);
      return (
        `| ${fmt(rate)} | ${label} | ${fmt(sum(g, (r) => r.completed))} | ${fmt(failed)} | ` +
        `${fmt(sum(g, (r) => r.lateProvisional))} | ${fmt(cpu, 1)} | ${fmt(busiest, 0)} | ${fmtMb(resident)} | ` +
        `${fmtUs(med(g, (r) => r.probeP50Us))} | ${fmtUs(med(g, (r) => r.probeP99Us))} | ` +
        `${g.map((x) => fmtUs(x.r.probeP99Us)).join(', ')} |`
      );
    }),
    '',
  ].join('\n');
}
