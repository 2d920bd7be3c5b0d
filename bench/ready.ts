/**
 * `node dist/bench/ready.js`: time to ready (issue #19). Starts dsd on a temp copy of
 * etc/dsd.cfg again and again, no traffic, and reads its "ready for traffic" line: the
 * start-up marks (ms since the process began: node and modules, config, list, bound,
 * warm-up, ready), the files node loaded, CPU to ready, and from the warm-up's line its
 * synthetic calls and µs per call at the end. With `--b DIR` (another built checkout) or
 * different `--aenv`/`--benv`/`--anode`/`--bnode` on one build, A and B alternate so that
 * a noisy machine slows both alike; the report gives min and median per mark and the
 * ratio of the medians. Writes nothing.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runMain, track } from './lib/cleanup';
import { cliFlags, FlagSpec, envOf } from './lib/args';
import { freePorts } from './lib/ports';
import { tempDir, removeDir } from './lib/sipp';
import { adaptDsdCfg, dispatcherList, readDsdCfg, DSD_BIN } from './lib/dsd-config';
import { fmt, median } from './lib/stats';

const FLAGS: FlagSpec[] = [
  { name: 'runs', kind: 'number', help: 'starts per side', default: 15 },
  { name: 'b', kind: 'string', help: 'the other checkout (built); default: this one' },
  { name: 'anode', kind: 'string', help: 'node flags for A, space-separated', default: '' },
  { name: 'bnode', kind: 'string', help: 'node flags for B', default: '' },
  { name: 'aenv', kind: 'string', help: 'environment for A: NAME=VALUE,…', default: '' },
  { name: 'benv', kind: 'string', help: 'environment for B', default: '' },
];

interface Side {
  label: string;
  bin: string;
  node: string[];
  env: NodeJS.ProcessEnv;
}

interface Start {
  /** Spawn → the ready line read by this process, ms. */
  wallMs: number;
  marks: Record<string, number>;
  /** Files node loaded before ready (the ready line's files_loaded; NaN on builds without it). */
  files: number;
  /** CPU (user + system) to the ready line, ms (NaN on builds without cpu_ms). */
  cpuMs: number;
  /** The warm-up's synthetic calls and its µs per call at the end (its own line). */
  warmCalls: number;
  warmLastUs: number;
}

interface ReadyLine {
  marks?: Record<string, number>;
  files_loaded?: number;
  cpu_ms?: number;
}

interface WarmLine {
  calls?: number;
  last_us?: number;
}

function jsonLine<T>(out: string, text: string): T | null {
  const l = out.split('\n').find((x) => x.includes(text));
  if (!l) return null;
  try {
    return JSON.parse(l) as T;
  } catch {
    return null;
  }
}

/** One start to the ready line, then SIGTERM and wait for the exit. */
async function startOnce(side: Side): Promise<Start> {
  const dir = tempDir('dsd-bench-ready-');
  try {
    const [port, d1, d2] = await freePorts(3);
    const list = path.join(dir, 'dispatcher.list');
    fs.writeFileSync(list, dispatcherList([d1!, d2!]));
    const cfgFile = path.join(dir, 'dsd.cfg');
    fs.writeFileSync(cfgFile, adaptDsdCfg(readDsdCfg(), port!, list, `unix:${path.join(dir, 'ctl')}`, true).text);
    const t0 = performance.now();
    const proc = track(
      spawn(process.execPath, [...side.node, side.bin, '-DD', '-E', '-f', cfgFile], {
        cwd: dir,
        env: side.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    let out = '';
    const line = await new Promise<{ at: number; j: ReadyLine }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line in 30 s:\n${out.slice(-2000)}`)), 30_000);
      const on = (d: Buffer): void => {
        const at = performance.now();
        out += d.toString();
        if (!out.includes('ready for traffic')) return;
        clearTimeout(timer);
        const j = jsonLine<ReadyLine>(out, 'ready for traffic');
        if (j) resolve({ at, j });
        else reject(new Error(`ready line is not JSON:\n${out.slice(-2000)}`));
      };
      proc.stdout!.on('data', on);
      proc.stderr!.on('data', on);
      proc.once('exit', (code) => reject(new Error(`dsd exited (${code}) before ready:\n${out.slice(-2000)}`)));
    });
    proc.kill('SIGTERM');
    await exited;
    const warm = jsonLine<WarmLine>(out, 'warm-up done');
    return {
      wallMs: line.at - t0,
      marks: line.j.marks ?? {},
      files: line.j.files_loaded ?? NaN,
      cpuMs: line.j.cpu_ms ?? NaN,
      warmCalls: warm?.calls ?? NaN,
      warmLastUs: warm?.last_us ?? NaN,
    };
  } finally {
    removeDir(dir);
  }
}

function table(sides: Side[], runs: Map<string, Start[]>): string {
  const names = [...new Set(sides.flatMap((s) => runs.get(s.label)!.flatMap((r) => Object.keys(r.marks))))];
  const rows: Array<[string, (r: Start) => number]> = [
    ...names.map((n): [string, (r: Start) => number] => [n, (r) => r.marks[n] ?? NaN]),
    [
      'ready without the warm-up',
      (r) =>
        (r.marks.ready ?? NaN) - (r.marks['warm-up'] === undefined ? 0 : r.marks['warm-up'] - (r.marks.bound ?? NaN)),
    ],
    ['spawn → line read (wall)', (r) => r.wallMs],
    ['files loaded', (r) => r.files],
    ['CPU to ready, ms', (r) => r.cpuMs],
    ['warm-up: synthetic calls', (r) => r.warmCalls],
    ['warm-up: µs per call at the end', (r) => r.warmLastUs],
  ];
  const head = `| ms after start | ${sides.map((s) => `${s.label} min | ${s.label} median`).join(' | ')}${sides.length > 1 ? ' | B/A (medians)' : ''} |`;
  const sep = `|---|${sides.map(() => '---|---').join('|')}|${sides.length > 1 ? '---|' : ''}`;
  const body = rows.map(([name, get]) => {
    const meds = sides.map((s) => median(runs.get(s.label)!.map(get)));
    const cells = sides.map((s, i) => `${fmt(Math.min(...runs.get(s.label)!.map(get)))} | ${fmt(meds[i]!)}`);
    const ratio = sides.length > 1 ? ` | ${(meds[1]! / meds[0]!).toFixed(2)}` : '';
    return `| ${name} | ${cells.join(' | ')}${ratio} |`;
  });
  return [head, sep, ...body].join('\n');
}

async function main(): Promise<number> {
  const f = cliFlags('ready', 'node dist/bench/ready.js', FLAGS);
  if (typeof f === 'number') return f;
  const split = (s: unknown): string[] => String(s).split(' ').filter(Boolean);
  const a: Side = { label: 'A', bin: DSD_BIN, node: split(f.anode), env: envOf(String(f.aenv)) };
  const abSet = f.b !== undefined || f.bnode !== '' || f.benv !== '';
  const sides = [a];
  if (abSet) {
    const bin = typeof f.b === 'string' ? path.join(path.resolve(f.b), 'bin', 'dsd') : DSD_BIN;
    sides.push({ label: 'B', bin, node: split(f.bnode), env: envOf(String(f.benv)) });
  }
  const runs = new Map<string, Start[]>(sides.map((s) => [s.label, []]));
  const n = Math.max(1, Math.round(f.runs as number));
  for (let i = 0; i < n; i++) {
    for (const s of i % 2 ? [...sides].reverse() : sides) {
      const r = await startOnce(s);
      runs.get(s.label)!.push(r);
      process.stderr.write(
        `${s.label} ${i + 1}/${n}: ready ${fmt(r.marks.ready ?? NaN)} ms, ${JSON.stringify(r.marks)}\n`,
      );
    }
  }
  process.stdout.write(`${table(sides, runs)}\n`);
  return 0;
}

void runMain(main);
