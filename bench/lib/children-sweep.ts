/**
 * The `children` axis: the same sipp load at each rate through dsd with one process
 * (-n 1), dsd with N SIP workers (-n N) and Kamailio with children=N, one after the other
 * per rate. Used by `npm run bench:children` and by `bench:compare` (its last section).
 */
import os from 'node:os';
import path from 'node:path';
import { REPO } from './sipp';
import { startDsd, startKamailio, RunningProxy } from './proxies';
import { runLoad, LoadResult } from './load';
import { fmt, fmtUs } from './stats';

export interface SweepOptions {
  rates: readonly number[];
  durationS: number;
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
  for (const rate of o.rates) {
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
          `(busiest process ${fmt(r.busiestUsPerCall, 0)}), p50 ${fmtUs(r.probeP50Us)} p99 ${fmtUs(r.probeP99Us)}` +
          `${r.generatorBound ? ' [sipp-bound]' : ''}`,
      );
    }
  }
  return rows;
}

/** The table, with how it was measured. */
export function sweepMarkdown(
  rows: readonly SweepRow[],
  o: Omit<SweepOptions, 'log'>,
  heading = '#',
  loadAtStart = '',
): string {
  const n = Math.max(2, Math.floor(o.children));
  return [
    `${heading} dsd with 1 and ${n} SIP workers beside Kamailio (children=${n})`,
    '',
    `${new Date().toISOString()}, ${o.durationS} s of load per run` +
      `${o.warmupS ? ` after ${o.warmupS} s of unmeasured warm-up at the same rate` : ''}, ` +
      'sipp uac.xml → proxy → two sipp uas.xml on 127.0.0.1; CPU over every process of the proxy, and of its busiest ' +
      'process alone (the one that saturates first); INVITE→200 from the bench probe. One run each. ' +
      `${os.cpus().length} CPUs; load average ${loadAtStart ? `at the start ${loadAtStart}, ` : ''}at the end ${loadNow()} ` +
      '(above ~1 per CPU other work competed with the run: read the figures as noisy).',
    '',
    '| rate (cps) | proxy | completed | failed | late-180 | CPU µs/call | busiest process µs/call | p50 | p99 |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      ({ label, rate, r }) =>
        `| ${fmt(rate)} | ${label} | ${fmt(r.completed)} | ${fmt(r.failed - r.lateProvisional)} | ` +
        `${fmt(r.lateProvisional)} | ${fmt(r.cpuUsPerCall, 1)} | ${fmt(r.busiestUsPerCall, 0)} | ` +
        `${fmtUs(r.probeP50Us)} | ${fmtUs(r.probeP99Us)} |`,
    ),
    '',
  ].join('\n');
}
