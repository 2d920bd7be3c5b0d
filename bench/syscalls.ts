/**
 * `node dist/bench/syscalls.js`: system calls per completed call, dsd against Kamailio,
 * counted with `strace -c -f` attached to every proxy process for the run. On a VM, where
 * a system call costs several µs, the count per call explains much of the CPU per call.
 * Low rate by default (strace slows the traced process down). Writes nothing.
 */
import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runMain, track } from './lib/cleanup';
import { cliFlags, FlagSpec } from './lib/args';
import { haveCommand, tempDir, REPO } from './lib/sipp';
import { startDsd, startKamailio, RunningProxy } from './lib/proxies';
import { runLoad } from './lib/load';

const FLAGS: FlagSpec[] = [
  { name: 'rate', kind: 'number', help: 'calls per second', default: 200 },
  { name: 'duration', kind: 'number', help: 'seconds of load', default: 5 },
  { name: 'children', kind: 'number', help: 'dsd -n and Kamailio children=', default: 1 },
];

async function main(): Promise<number> {
  const f = cliFlags('bench/syscalls', 'node dist/bench/syscalls.js', FLAGS);
  if (typeof f === 'number') return f;
  if (!haveCommand('strace', ['-V'])) {
    process.stderr.write('bench/syscalls: strace not found (apt-get install strace)\n');
    return 1;
  }
  const n = f.children as number;
  const dir = tempDir('dsd-bench-strace-');
  const runs: Array<{ label: string; start: (port: number, b: number[]) => Promise<RunningProxy> }> = [
    { label: 'dsd', start: (port, backends) => startDsd({ port, backends, dsdArgs: n > 1 ? ['-n', String(n)] : [] }) },
    {
      label: 'kamailio',
      start: (port, backends) =>
        startKamailio({
          port,
          backends,
          children: n,
          shmMb: 256,
          pkgMb: 16,
          cfgFile: path.join(REPO, 'bench', 'kamailio.cfg'),
        }),
    },
  ];
  for (const r of runs) {
    const out = path.join(dir, `${r.label}.txt`);
    let st: ChildProcess | null = null;
    const res = await runLoad({
      rate: f.rate as number,
      durationS: f.duration as number,
      settleMs: 500,
      probeRate: 0,
      start: r.start,
      onStarted: (p) => {
        const args = ['-c', '-f', '-o', out, ...p.pids().flatMap((pid) => ['-p', String(pid)])];
        st = track(spawn('strace', args, { stdio: 'ignore' }));
      },
      beforeStop: async () => {
        if (!st) return;
        const done = new Promise((res2) => st!.once('exit', res2));
        st.kill('SIGINT');
        await done;
      },
    });
    const calls = res.completed + res.lateProvisional;
    process.stdout.write(`== ${r.label}: ${calls} calls, ${res.failed} failed; system calls per call:\n`);
    const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    for (const line of text.split('\n')) {
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/.exec(line);
      if (m && calls > 0) {
        const per = Number(m[1]) / calls;
        if (per >= 0.05) process.stdout.write(`  ${per.toFixed(2).padStart(7)}  ${m[2]}\n`);
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return 0;
}

runMain(main);
