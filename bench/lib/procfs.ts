/**
 * What the kernel knows about a process (tree): CPU time from /proc/PID/stat, peak and
 * current resident memory from /proc/PID/status, proportional memory from smaps_rollup.
 * Kamailio forks a dozen workers, so every reading is also available summed over the
 * process tree rooted at the proxy's pid.
 */
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { residentSet } from './resident-set';

let clkTck: number | null = null;

/** Clock ticks per second (`getconf CLK_TCK`), the unit of utime/stime. */
export function clockTicks(): number {
  if (clkTck === null) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

interface StatLine {
  pid: number;
  ppid: number;
  utime: number;
  stime: number;
}

/** Fields of /proc/PID/stat; the command name may hold spaces and parentheses. */
function readStat(pid: number): StatLine | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // after "pid (comm) " come: state(3) ppid(4) … utime(14) stime(15)
  const f = text.slice(close + 2).split(' ');
  return { pid, ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]) };
}

/** The root pid and every live descendant of it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(st.pid);
    else children.set(st.ppid, [st.pid]);
  }
  const out: number[] = [];
  if (!fs.existsSync(`/proc/${root}`)) return out;
  const queue = [root];
  while (queue.length > 0 && out.length < 10_000) {
    const p = queue.shift()!;
    out.push(p);
    for (const k of children.get(p) ?? []) queue.push(k);
  }
  return out;
}

export interface Ticks {
  user: number;
  sys: number;
}

/** Per-pid user and system CPU ticks, so a reading after a run can be matched to the one before. */
export function cpuTicksByPid(pids: readonly number[]): Map<number, Ticks> {
  const m = new Map<number, Ticks>();
  for (const p of pids) {
    const st = readStat(p);
    if (st) m.set(p, { user: st.utime, sys: st.stime });
  }
  return m;
}

/** CPU ticks spent between two per-pid readings (pids born in between count from 0). */
export function ticksBetween(before: Map<number, Ticks>, after: Map<number, Ticks>): Ticks {
  const sum = { user: 0, sys: 0 };
  for (const [pid, t] of after) {
    const b = before.get(pid);
    sum.user += t.user - (b?.user ?? 0);
    sum.sys += t.sys - (b?.sys ?? 0);
  }
  return sum;
}

function statusKb(pid: number, field: string): number {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return 0;
  }
  const at = text.indexOf(`\n${field}:`);
  if (at < 0) return 0;
  return parseInt(text.slice(at + field.length + 2), 10) || 0;
}

/** Peak resident set size (VmHWM) in bytes, summed over the pids. */
export function peakRss(pids: readonly number[]): number {
  let kb = 0;
  for (const p of pids) kb += statusKb(p, 'VmHWM');
  return kb * 1024;
}

/** Current resident set size (VmRSS) in bytes, summed over the pids. */
function currentRss(pids: readonly number[]): number {
  let kb = 0;
  for (const p of pids) kb += statusKb(p, 'VmRSS');
  return kb * 1024;
}

/**
 * Proportional set size in bytes, summed: shared pages (Kamailio's shm segment, the
 * binary) are split among the processes mapping them, so the sum is the tree's real
 * footprint, unlike a sum of RSS which counts shared memory once per process.
 */
function pss(pids: readonly number[]): number {
  let kb = 0;
  for (const p of pids) {
    try {
      const text = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'latin1');
      const at = text.indexOf('\nPss:');
      if (at >= 0) kb += parseInt(text.slice(at + 5), 10) || 0;
    } catch {
      /* gone, or not readable */
    }
  }
  return kb * 1024;
}

/**
 * Samples a process tree's memory while a run goes on: the largest RSS sum, PSS sum and
 * resident set (each physical page once, lib/resident-set.ts) seen. A sum of per-process
 * VmHWM overstates a tree whose processes peak at different times; sampling shows what
 * was resident at once.
 */
export class MemorySampler {
  maxRss = 0;
  maxPss = 0;
  /** NaN when the page frames cannot be read (not privileged). */
  maxResident = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pids: () => readonly number[],
    private readonly everyMs = 500,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  sample(): void {
    const pids = this.pids();
    this.maxRss = Math.max(this.maxRss, currentRss(pids));
    this.maxPss = Math.max(this.maxPss, pss(pids));
    const set = residentSet(pids);
    this.maxResident = set ? Math.max(this.maxResident, set.unique) : NaN;
  }

  /** Stops with a last sample. */
  stop(): void {
    this.cancel();
    this.sample();
  }

  /** Stops sampling (on an error path: no last sample). */
  cancel(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
