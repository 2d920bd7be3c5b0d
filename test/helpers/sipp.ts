/**
 * sipp as a test peer: UAS backends and UAC load generators, spawned as children of the
 * test (never in the background), with statistics read from sipp's own -stf file.
 */
import { spawn, ChildProcess, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED, tmpDir } from './daemon';
import { IN_CI } from './require';
import { at } from './at';

export const UAC_XML = path.join(SHARED, 'sipp', 'uac.xml');
export const UAS_XML = path.join(SHARED, 'sipp', 'uas.xml');
export const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');

/** True when sipp runs here; always true in CI, where a missing sipp must fail the run, not skip it. */
export function haveSipp(): boolean {
  return IN_CI || spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;
}

export type SippStats = Record<string, string>;

/** Last line of a sipp -stf CSV as a name → value map (cumulative "(C)" columns). */
export function readStats(file: string): SippStats {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const head = at(lines, 0).split(';');
  const last = at(lines, -1).split(';');
  const out: SippStats = {};
  head.forEach((h, i) => {
    const v = last[i];
    if (v !== undefined) out[h] = v;
  });
  return out;
}

export interface SippProc {
  proc: ChildProcess;
  statFile: string;
  /** stdout + stderr so far. */
  output(): string;
  /** The end of sipp's error log (unexpected messages), read when stop() ends it. */
  errors(): string;
  /** Resolves with the exit code when sipp ends by itself. */
  done: Promise<number | null>;
  /** SIGINT (sipp writes its final statistics), then the stats. */
  stop(): Promise<SippStats>;
  /** Sends a remote-control command (`p` pause/resume, `q` quit) on its control port. */
  control(cmd: string): Promise<void>;
  /**
   * Resolves once sipp has bound its SIP port (read from /proc/net), so a load never starts
   * before the UAS listens: a fixed pause is too short on a starved machine.
   */
  ready(timeoutMs?: number): Promise<void>;
}

/**
 * True when a socket of `transport` is bound to local `port` (and `ip`, an IPv4 address, when
 * given) in the /proc/net tables `read` returns (this namespace's by default).
 */
export function portBound(
  port: number,
  transport: 'udp' | 'tcp',
  ip?: string,
  read: (file: string) => string = (f) => fs.readFileSync(f, 'utf8'),
): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  // /proc/net/udp writes an IPv4 address as one little-endian 32-bit hex word
  const hexIp =
    ip && /^\d+\.\d+\.\d+\.\d+$/.test(ip)
      ? ip
          .split('.')
          .reverse()
          .map((b) => Number(b).toString(16).toUpperCase().padStart(2, '0'))
          .join('')
      : null;
  for (const f of [`/proc/net/${transport}`, `/proc/net/${transport}6`]) {
    let text = '';
    try {
      text = read(f);
    } catch {
      continue;
    }
    // local_address is the second column; a listening TCP socket has state 0A
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const [addr, p] = cols[1]!.split(':');
      if (p !== hexPort || (hexIp && addr !== hexIp && addr !== '00000000')) continue;
      if (transport === 'udp' || cols[3] === '0A') return true;
    }
  }
  return false;
}

export interface SippOptions {
  scenario: string;
  /** Local port sipp binds. */
  port: number;
  /** Control port (distinct per sipp). */
  controlPort: number;
  /** Remote host:port for a UAC. */
  remote?: string;
  transport?: 'u1' | 'un' | 't1' | 'tn';
  calls?: number;
  rate?: number;
  extra?: string[];
  /** Command sipp is run under, e.g. ['ip', 'netns', 'exec', NS] (it must exec). */
  wrap?: string[];
  /** Local address sipp binds (default 127.0.0.1; ::1 for IPv6). */
  localIp?: string;
}

export function startSipp(o: SippOptions): SippProc {
  const dir = tmpDir('dsd-sipp-');
  const statFile = path.join(dir, 'stat.csv');
  const args = [
    '-sf',
    o.scenario,
    '-i',
    o.localIp ?? '127.0.0.1',
    '-p',
    String(o.port),
    '-cp',
    String(o.controlPort),
    '-nostdin',
    '-trace_stat',
    '-stf',
    statFile,
    '-fd',
    '1',
    '-t',
    o.transport ?? 'u1',
    // what sipp found unexpected, for the failure message (runUac)
    '-trace_err',
    '-error_file',
    path.join(dir, 'errors.log'),
  ];
  if (o.calls !== undefined) args.push('-m', String(o.calls));
  if (o.rate !== undefined) args.push('-r', String(o.rate));
  if (o.extra) args.push(...o.extra);
  if (o.remote) args.push(o.remote);
  const cmd = [...(o.wrap ?? []), 'sipp', ...args];
  const proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  proc.stdout!.on('data', (d) => {
    if (out.length < 200_000) out += d;
  });
  proc.stderr!.on('data', (d) => {
    if (out.length < 200_000) out += d;
  });
  let exited = false;
  const done = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      exited = true;
      resolve(code);
    }),
  );
  let errorsTail = '';
  return {
    proc,
    statFile,
    done,
    output: () => out,
    errors: () => errorsTail,
    async stop() {
      if (!exited) proc.kill('SIGINT');
      const t = setTimeout(() => {
        if (!exited) proc.kill('SIGKILL');
      }, 5000);
      await done;
      clearTimeout(t);
      const s = fs.existsSync(statFile) ? readStats(statFile) : {};
      const errors = path.join(dir, 'errors.log');
      if (fs.existsSync(errors)) errorsTail = fs.readFileSync(errors, 'utf8').slice(-3000);
      fs.rmSync(dir, { recursive: true, force: true });
      return s;
    },
    async control(cmd: string) {
      const dgram = await import('node:dgram');
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.send(cmd, o.controlPort, '127.0.0.1', () => r()));
      s.close();
    },
    async ready(timeoutMs = 30_000) {
      const transport = (o.transport ?? 'u1').startsWith('t') ? 'tcp' : 'udp';
      // sipp in another network namespace: read that namespace's tables through the same wrapper
      const wrap = o.wrap;
      const read = wrap
        ? (f: string): string => {
            const r = spawnSync(wrap[0]!, [...wrap.slice(1), 'cat', f], { encoding: 'utf8' });
            if (r.status !== 0) throw new Error(r.stderr);
            return r.stdout;
          }
        : undefined;
      const until = Date.now() + timeoutMs;
      while (!portBound(o.port, transport, o.localIp ?? '127.0.0.1', read)) {
        if (exited) throw new Error(`sipp exited before binding port ${o.port}: ${out.slice(-2000)}`);
        if (Date.now() > until) throw new Error(`sipp did not bind port ${o.port} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** Runs a UAC to completion (bounded) and returns its exit code and statistics. */
export async function runUac(
  o: SippOptions & { timeoutMs: number },
): Promise<{ code: number | null; stats: SippStats; output: string }> {
  const p = startSipp(o);
  const timer = setTimeout(() => p.proc.kill('SIGINT'), o.timeoutMs);
  const code = await p.done;
  clearTimeout(timer);
  const stats = await p.stop();
  // sipp's own account of what it found unexpected (a 408 to a BYE, a dead call) ends the
  // output a failing assertion prints
  const errors = p.errors();
  const output = p.output() + (errors ? `\n--- sipp errors (tail) ---\n${errors}` : '');
  return { code, stats, output };
}

/**
 * Waits until sipp's stat file, in a row written after this call, shows no call in
 * progress (sipp writes a row every second): a paused UAC's last dialogs have ended.
 */
export async function waitNoCurrentCall(p: SippProc, timeoutMs = 60_000): Promise<void> {
  const rows = (): string[] =>
    fs.existsSync(p.statFile) ? fs.readFileSync(p.statFile, 'utf8').trim().split('\n') : [];
  const from = rows().length;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const all = rows();
    if (all.length > Math.max(from, 1)) {
      const s = readStats(p.statFile);
      if (s.CurrentCall === '0') return;
    }
    if (Date.now() > until) throw new Error(`sipp still has calls in progress after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function num(s: SippStats, key: string): number {
  return Number(s[key] ?? NaN);
}

/**
 * Two sipp UAS backends (uas.xml) on `ports` with their control ports, bound before `fn`
 * runs and stopped afterwards whatever happens; `fn` gets them (stop() returns the stats).
 */
export async function withUasPair<T>(
  ports: { b1: number; b2: number; c1: number; c2: number },
  fn: (uas1: SippProc, uas2: SippProc) => Promise<T>,
): Promise<T> {
  const uas1 = startSipp({ scenario: UAS_XML, port: ports.b1, controlPort: ports.c1 });
  const uas2 = startSipp({ scenario: UAS_XML, port: ports.b2, controlPort: ports.c2 });
  try {
    await uas1.ready();
    await uas2.ready();
    return await fn(uas1, uas2);
  } finally {
    await uas1.stop();
    await uas2.stop();
  }
}
