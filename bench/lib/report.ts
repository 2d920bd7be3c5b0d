/**
 * The comparison's results: per-round table, medians over rounds with the dsd/Kamailio
 * ratios, the control-command timings, the change against the previous run, as markdown
 * and as JSON (the JSON of the last run is what the next run compares itself with).
 */
import type { LoadResult } from './load';
import type { ProxyName } from './proxies';
import type { CommandTiming } from './rpc-time';
import { fmt, fmtMb, fmtUs, median, ratio } from './stats';

export interface StepSearch {
  /** Highest offered rate with < 0.1 % failed calls, or null when even the lowest failed. */
  maxClean: number | null;
  /** How the search ended (first failing rate, generator limit, top of the steps). */
  note: string;
  runs: LoadResult[];
}

export interface RoundResult {
  round: number;
  proxy: ProxyName;
  main: LoadResult;
  steps: StepSearch | null;
  rpc: CommandTiming | null;
}

export interface Summary {
  cpuUsPerCall: number;
  userUsPerCall: number;
  sysUsPerCall: number;
  peakRssSum: number;
  maxPssSampled: number;
  maxResidentSampled: number;
  probeP50Us: number;
  probeP99Us: number;
  rtdP50Ms: number;
  rtdP99Ms: number;
  failedPct: number;
  maxClean: number;
  rpcMs: number;
}

export interface CompareReport {
  date: string;
  machine: { cpus: number; model: string; node: string; kamailio: string; sipp: string; load: string };
  /** INVITE→200 of the probe straight to a sipp destination: what the destinations add. */
  floor: { p50Us: number; p99Us: number; n: number };
  options: Record<string, unknown>;
  rounds: RoundResult[];
  summary: Record<ProxyName, Summary>;
  ratios: Record<keyof Summary, number>;
  notes: string[];
}

const METRICS: Array<{
  key: keyof Summary;
  label: string;
  show: (v: number) => string;
  better: 'lower' | 'higher';
}> = [
  { key: 'cpuUsPerCall', label: 'CPU per completed call', show: (v) => `${fmt(v, 1)} µs`, better: 'lower' },
  { key: 'userUsPerCall', label: '… of which user space', show: (v) => `${fmt(v, 1)} µs`, better: 'lower' },
  { key: 'sysUsPerCall', label: '… of which kernel (socket I/O)', show: (v) => `${fmt(v, 1)} µs`, better: 'lower' },
  { key: 'probeP50Us', label: 'INVITE→200 p50 (probe)', show: fmtUs, better: 'lower' },
  { key: 'probeP99Us', label: 'INVITE→200 p99 (probe)', show: fmtUs, better: 'lower' },
  { key: 'rtdP99Ms', label: 'INVITE→200 p99 (sipp rtd, ms steps)', show: (v) => `${fmt(v, 0)} ms`, better: 'lower' },
  { key: 'peakRssSum', label: 'peak RSS (VmHWM; Kamailio: sum over processes)', show: fmtMb, better: 'lower' },
  { key: 'maxPssSampled', label: 'largest PSS sampled (shared memory split)', show: fmtMb, better: 'lower' },
  {
    key: 'maxResidentSampled',
    label: 'largest resident set sampled (every process, each page once)',
    show: fmtMb,
    better: 'lower',
  },
  { key: 'failedPct', label: 'failed calls', show: (v) => `${fmt(v, 3)} %`, better: 'lower' },
  {
    key: 'maxClean',
    label: 'highest clean offered rate (< 0.1 % failed)',
    show: (v) => (Number.isFinite(v) ? `${fmt(v)} cps` : '–'),
    better: 'higher',
  },
  {
    key: 'rpcMs',
    label: 'dispatcher.list wall time (dsctl / kamcmd)',
    show: (v) => (Number.isFinite(v) ? `${fmt(v, 1)} ms` : '–'),
    better: 'lower',
  },
];

export function summarize(rounds: readonly RoundResult[], proxy: ProxyName): Summary {
  const rs = rounds.filter((r) => r.proxy === proxy);
  const m = (f: (r: RoundResult) => number) => median(rs.map(f));
  return {
    cpuUsPerCall: m((r) => r.main.cpuUsPerCall),
    userUsPerCall: m((r) => (r.main.cpuMs > 0 ? (r.main.cpuUsPerCall * r.main.userMs) / r.main.cpuMs : NaN)),
    sysUsPerCall: m((r) => (r.main.cpuMs > 0 ? (r.main.cpuUsPerCall * r.main.sysMs) / r.main.cpuMs : NaN)),
    peakRssSum: m((r) => r.main.peakRssSum),
    maxPssSampled: m((r) => r.main.maxPssSampled),
    // a report written before the column existed has none
    maxResidentSampled: m((r) => r.main.maxResidentSampled ?? NaN),
    probeP50Us: m((r) => r.main.probeP50Us),
    probeP99Us: m((r) => r.main.probeP99Us),
    rtdP50Ms: m((r) => r.main.rtdP50Ms),
    rtdP99Ms: m((r) => r.main.rtdP99Ms),
    failedPct: m((r) => r.main.failedPct),
    maxClean: m((r) => r.steps?.maxClean ?? NaN),
    rpcMs: m((r) => (r.rpc?.ok ? r.rpc.medianMs : NaN)),
  };
}

export function ratios(dsd: Summary, kam: Summary): Record<keyof Summary, number> {
  const out = {} as Record<keyof Summary, number>;
  for (const k of Object.keys(dsd) as Array<keyof Summary>) out[k] = ratio(dsd[k], kam[k]);
  return out;
}

function maxCleanText(s: StepSearch | null): string {
  if (!s) return 'not searched';
  return s.maxClean === null ? `none (${s.note})` : `${fmt(s.maxClean)} cps`;
}

function label(p: ProxyName): string {
  return p === 'dsd' ? 'dsd' : 'Kamailio';
}

export function toMarkdown(rep: CompareReport, previous: CompareReport | null): string {
  const o = rep.options;
  const L: string[] = [];
  L.push('# dsd against Kamailio 5.6 — `npm run bench:compare`', '');
  L.push(
    `${rep.date} · ${rep.machine.cpus} × ${rep.machine.model} · node ${rep.machine.node} · ${rep.machine.kamailio} · ${rep.machine.sipp}`,
    '',
  );
  L.push(
    `Load: sipp \`uac.xml\` → proxy → two sipp \`uas.xml\` destinations (set 1, round robin, record-routed), UDP on 127.0.0.1, ` +
      `${fmt(o.rate as number)} cps for ${o.duration} s per run, ${o.rounds} rounds alternating dsd and Kamailio, a fresh proxy per run; ` +
      `plus a latency probe of ${o.probeRate} calls/s. Machine load average at start: ${rep.machine.load}. ` +
      `Probe floor without a proxy (sipp destination alone): p50 ${fmtUs(rep.floor.p50Us)}, p99 ${fmtUs(rep.floor.p99Us)}.`,
    '',
  );
  L.push('## Medians over rounds', '');
  L.push('| metric | dsd | Kamailio | dsd / Kamailio |', '| --- | ---: | ---: | ---: |');
  for (const m of METRICS) {
    const r = rep.ratios[m.key];
    L.push(
      `| ${m.label} | ${m.show(rep.summary.dsd[m.key])} | ${m.show(rep.summary.kamailio[m.key])} | ${Number.isFinite(r) ? `${fmt(r, 2)}×` : '–'} |`,
    );
  }
  L.push('');
  L.push('## Every run', '');
  L.push(
    '| round | proxy | offered | completed | failed | CPU/call | peak RSS | PSS max | resident set | p50 | p99 | sipp rtd p50/p99 | highest clean rate |',
  );
  L.push('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rep.rounds) {
    const x = r.main;
    L.push(
      `| ${r.round} | ${label(r.proxy)}${r.proxy === 'kamailio' ? ` (${x.processes} proc.)` : ''} | ${fmt(x.achievedRate, 0)} cps | ${fmt(x.completed)} | ` +
        `${fmt(x.failed - x.lateProvisional)} (${fmt(x.failedPct, 3)} %)${x.lateProvisional ? ` +${fmt(x.lateProvisional)} late-180` : ''} | ${fmt(x.cpuUsPerCall, 1)} µs | ${fmtMb(x.peakRssSum)} | ${fmtMb(x.maxPssSampled)} | ${fmtMb(x.maxResidentSampled)} | ` +
        `${fmtUs(x.probeP50Us)} | ${fmtUs(x.probeP99Us)} | ${fmt(x.rtdP50Ms, 0)} / ${fmt(x.rtdP99Ms, 0)} ms | ${maxCleanText(r.steps)} |`,
    );
  }
  L.push('');
  const failing = rep.rounds.filter((r) => r.main.failed > 0);
  if (failing.length) {
    L.push("### Why calls failed (main runs; sipp's counters and its aborts by kind)", '');
    for (const r of failing) {
      const c = Object.entries(r.main.failureCounters ?? {})
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ');
      const kinds = (r.main.abortKinds ?? []).map((a) => `${fmt(a.n)} × ${a.kind}`).join('; ');
      L.push(`- round ${r.round}, ${label(r.proxy)}: ${c || 'no sipp counter'}${kinds ? ` — ${kinds}` : ''}`);
    }
    L.push('');
  }
  const steps = rep.rounds.filter((r) => r.steps);
  if (steps.length) {
    L.push('## Step search (highest offered rate with < 0.1 % failed calls)', '');
    L.push('| round | proxy | offered → created cps: failed %, CPU/call, p99 | result |', '| ---: | --- | --- | --- |');
    for (const r of steps) {
      const s = r.steps!;
      const runs = s.runs
        .map(
          (x) =>
            `${fmt(x.rate)}→${fmt(x.achievedRate, 0)}: ${fmt(x.failedPct, 2)} %, ${fmt(x.cpuUsPerCall, 0)} µs, ${fmtUs(x.probeP99Us)}`,
        )
        .join('; ');
      L.push(`| ${r.round} | ${label(r.proxy)} | ${runs || '–'} | ${maxCleanText(s)}; ${s.note} |`);
    }
    L.push('');
  }
  L.push('## Control command: `dispatcher.list` wall time', '');
  for (const r of rep.rounds) {
    if (!r.rpc) continue;
    L.push(
      `- round ${r.round}, ${r.proxy === 'dsd' ? 'dsctl' : 'kamcmd'}: ${r.rpc.ok ? `${fmt(r.rpc.medianMs, 1)} ms median of ${r.rpc.reps} (\`${r.rpc.note}\`)` : r.rpc.note}`,
    );
  }
  L.push('');
  if (previous) {
    L.push(`## Change against the previous run (${previous.date})`, '');
    L.push(
      '| metric | dsd before | dsd now | change | Kamailio before | Kamailio now |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const m of METRICS) {
      const a = previous.summary.dsd?.[m.key];
      const b = rep.summary.dsd[m.key];
      const ch =
        Number.isFinite(a) && Number.isFinite(b) && a !== 0
          ? `${b >= a ? '+' : ''}${fmt((100 * (b - a)) / a, 1)} %`
          : '–';
      L.push(
        `| ${m.label} | ${m.show(a ?? NaN)} | ${m.show(b)} | ${ch} | ${m.show(previous.summary.kamailio?.[m.key] ?? NaN)} | ${m.show(rep.summary.kamailio[m.key])} |`,
      );
    }
    L.push('');
  }
  L.push('## How to read this', '');
  for (const n of rep.notes) L.push(`- ${n}`);
  L.push('');
  return L.join('\n');
}
