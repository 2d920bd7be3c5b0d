/**
 * `npm run bench`: sipp's uac.xml through dsd (a temp copy of etc/dsd.cfg on free
 * loopback ports) to two sipp uas.xml destinations, then the micro-benchmarks.
 * Prints calls completed/failed, dsd's CPU µs per completed call, peak RSS and
 * INVITE→200 percentiles. Every process it starts is stopped at the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runMain } from './lib/cleanup';
import { cliFlags, FlagSpec } from './lib/args';
import { haveCommand, REPO } from './lib/sipp';
import { startDsd } from './lib/proxies';
import { runLoad, probeFloor, LoadResult } from './lib/load';
import { clockTicks } from './lib/procfs';
import { fmt, fmtMb, fmtUs } from './lib/stats';
import { sipParseBench, scriptBench, formatMicro } from './lib/micro';
import { freePorts } from './lib/ports';
import { timeDsctl, timeKamcmd, timeNodeBare } from './lib/rpc-time';
import { secureBench } from './lib/secure';

const FLAGS: FlagSpec[] = [
  { name: 'rate', kind: 'number', help: 'calls per second', default: 2000 },
  { name: 'duration', kind: 'number', help: 'seconds of load', default: 10 },
  {
    name: 'settle',
    kind: 'number',
    help: 'ms to wait after the last call before the CPU reading (tm wt_timer + margin)',
    default: 5500,
  },
  { name: 'probe-rate', kind: 'number', help: 'latency probe calls per second (0: none; default min(100, rate/10))' },
  { name: 'node-args', kind: 'string', help: 'extra node flags for dsd, space separated' },
  { name: 'no-load', kind: 'boolean', help: 'skip the sipp load run' },
  { name: 'no-micro', kind: 'boolean', help: 'skip the micro-benchmarks' },
  { name: 'micro-ms', kind: 'number', help: 'ms per micro-benchmark', default: 400 },
  { name: 'no-dsctl', kind: 'boolean', help: 'skip the dsctl start-up benchmark' },
  { name: 'dsctl-reps', kind: 'number', help: 'repetitions of node -e 0, dsctl and kamcmd', default: 15 },
  { name: 'no-secure', kind: 'boolean', help: 'skip the UDP/TLS/WSS comparison and the handshake rates' },
  { name: 'secure-seconds', kind: 'number', help: 'seconds per transport in the UDP/TLS/WSS comparison', default: 5 },
  { name: 'secure-inflight', kind: 'number', help: 'calls in flight in the UDP/TLS/WSS comparison', default: 8 },
  { name: 'json', kind: 'string', help: 'also write the results as JSON to this file' },
];

function printLoad(r: LoadResult, floor: { p50Us: number; p99Us: number } | null): void {
  const p = (s: string) => process.stdout.write(`${s}\n`);
  const late = r.lateProvisional
    ? ` + ${fmt(r.lateProvisional)} aborted by sipp for a 180 after the 200 (call was set up and torn down)`
    : '';
  p(
    `  calls        completed ${fmt(r.completed)}, failed ${fmt(r.failed - r.lateProvisional)} (${fmt(r.failedPct, 3)} %)${late} of ${fmt(r.created)} created; ` +
      `sipp rate ${fmt(r.achievedRate, 1)} cps${r.generatorBound ? ' (sipp could not keep up: machine-bound)' : ''}`,
  );
  p(`  probe calls  ${fmt(r.probeAnswered)} answered of ${fmt(r.probeSent)} sent, ${fmt(r.probeCompleted)} completed`);
  p(
    `  CPU          ${fmt(r.cpuMs)} ms (user ${fmt(r.userMs)} + system ${fmt(r.sysMs)}) over the run → ${fmt(r.cpuUsPerCall, 1)} µs per completed call ` +
      `(/proc/PID/stat, CLK_TCK ${clockTicks()}, ${r.processes} process${r.processes === 1 ? '' : 'es'})`,
  );
  p(
    `  peak RSS     ${fmtMb(r.peakRssSum)} (VmHWM); largest RSS sampled ${fmtMb(r.maxRssSampled)}, PSS ${fmtMb(r.maxPssSampled)}, ` +
      `resident set (each page once) ${fmtMb(r.maxResidentSampled)}`,
  );
  p(
    `  INVITE→200   probe (µs clock): p50 ${fmtUs(r.probeP50Us)}, p90 ${fmtUs(r.probeP90Us)}, p99 ${fmtUs(r.probeP99Us)}, max ${fmtUs(r.probeMaxUs)} (n=${r.probeAnswered})`,
  );
  p(
    `               sipp rtd (its clock steps by ms): p50 ${fmt(r.rtdP50Ms, 1)} ms, p99 ${fmt(r.rtdP99Ms, 1)} ms (n=${fmt(r.rtdSamples)})`,
  );
  if (floor)
    p(
      `               floor without proxy (probe → sipp uas directly): p50 ${fmtUs(floor.p50Us)}, p99 ${fmtUs(floor.p99Us)}`,
    );
  if (r.failed > 0) {
    p(
      `  sipp failure counters: ${
        Object.entries(r.failureCounters)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      }`,
    );
    for (const a of r.abortKinds) p(`    ${fmt(a.n).padStart(6)} × aborted: ${a.kind}`);
  }
}

/** dsctl's wall time per call (fresh process each time) against `node -e 0` and kamcmd, on one dsd. */
async function dsctlBench(reps: number): Promise<unknown> {
  const [port, b1, b2] = await freePorts(3);
  const dsd = await startDsd({ port: port!, backends: [b1!, b2!] });
  try {
    const bare = timeNodeBare(reps);
    const dsctl = timeDsctl(dsd.ctl, reps);
    const kamcmd = haveCommand('kamcmd')
      ? timeKamcmd(dsd.ctl, reps)
      : { ok: false, medianMs: NaN, reps: 0, note: 'skipped: kamcmd not installed' };
    const ms = (t: { ok: boolean; medianMs: number; note: string }) => (t.ok ? `${fmt(t.medianMs, 1)} ms` : t.note);
    const ratio = bare.ok && dsctl.ok ? ` = ${fmt(dsctl.medianMs / bare.medianMs, 2)}× node -e 0` : '';
    process.stdout.write(
      `dsctl dispatcher.list (median of ${reps}, fresh process each): dsctl ${ms(dsctl)}${ratio}; ` +
        `node -e 0 ${ms(bare)}; kamcmd ${ms(kamcmd)}\n\n`,
    );
    return { bare, dsctl, kamcmd };
  } finally {
    await dsd.stop();
  }
}

async function main(): Promise<number> {
  const f = cliFlags('bench', 'npm run bench --', FLAGS);
  if (typeof f === 'number') return f;
  const out: {
    load?: LoadResult;
    floor?: unknown;
    micro?: unknown;
    script?: unknown;
    dsctl?: unknown;
    secure?: unknown;
  } = {};
  if (!f['no-dsctl']) out.dsctl = await dsctlBench(f['dsctl-reps'] as number);
  if (!f['no-load']) {
    if (!haveCommand('sipp')) {
      process.stderr.write('bench: sipp is not installed. Install it first: apt-get install sip-tester\n');
      return 1;
    }
    if (!fs.existsSync(path.join(REPO, 'dist', 'src', 'daemon', 'main.js'))) {
      process.stderr.write('bench: dsd is not built (dist/src/daemon/main.js missing): run npm run build\n');
      return 1;
    }
    const rate = f.rate as number;
    const duration = f.duration as number;
    const probeRate = (f['probe-rate'] as number | undefined) ?? Math.min(100, Math.round(rate / 10));
    const nodeArgs = typeof f['node-args'] === 'string' ? (f['node-args'] as string).split(' ').filter(Boolean) : [];
    process.stdout.write(
      `dsd load: ${fmt(rate)} cps for ${duration} s (${fmt(rate * duration)} calls, uac.xml → dsd → 2 × uas.xml)` +
        `${probeRate ? ` + latency probe ${probeRate} calls/s` : ''}, on 127.0.0.1\n`,
    );
    const r = await runLoad({
      rate,
      durationS: duration,
      settleMs: f.settle as number,
      probeRate,
      start: (port, backends) => startDsd({ port, backends, nodeArgs }),
    });
    const floor = probeRate ? await probeFloor() : null;
    printLoad(r, floor);
    out.load = r;
    out.floor = floor;
  }
  if (!f['no-micro']) {
    const ms = f['micro-ms'] as number;
    const sp = sipParseBench(ms);
    process.stdout.write(`\nSIP parse micro-benchmark (${sp.bytes}-byte INVITE, mean over all calls, GC included):\n`);
    if (sp.results.length) process.stdout.write(`${formatMicro(sp.results)}\n`);
    for (const s of sp.skipped) process.stdout.write(`  skipped: ${s}\n`);
    out.micro = sp;
    const sc = await scriptBench(ms).catch((e) => {
      process.stdout.write(`\nscript micro-benchmark failed: ${(e as Error).message}\n`);
      return null;
    });
    if (sc) {
      process.stdout.write('\nscript micro-benchmark (dist/src/script/bench-script.js):\n');
      if (sc.results.length) process.stdout.write(`${formatMicro(sc.results)}\n`);
      if (sc.text)
        process.stdout.write(
          sc.text
            .split('\n')
            .map((l) => (l ? `  ${l}` : l))
            .join('\n'),
        );
      out.script = sc;
    }
  }
  if (!f['no-secure'] && haveCommand('sipp') && haveCommand('openssl', ['version'])) {
    const secs = f['secure-seconds'] as number;
    const inFlight = f['secure-inflight'] as number;
    process.stdout.write(
      `\nUDP, TLS and WSS into dsd (closed loop, ${inFlight} calls in flight, ${secs} s each; ` +
        'this process generates INVITE/ACK/BYE, 2 × uas.xml behind dsd over UDP):\n',
    );
    out.secure = await secureBench(secs, inFlight, (l) => process.stdout.write(`${l}\n`)).catch((e) => {
      process.stdout.write(`  failed: ${(e as Error).message}\n`);
      return null;
    });
  }
  if (typeof f.json === 'string') fs.writeFileSync(f.json, JSON.stringify(out, null, 2) + '\n');
  return out.load && out.load.created === 0 ? 1 : 0;
}

void runMain(main);
