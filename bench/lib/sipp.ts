/**
 * sipp as load generator and as the destinations behind the proxy. The UAC runs a fixed
 * number of calls at a fixed rate and reports its cumulative statistics (-stf) and every
 * INVITE→200 response time (-trace_rtt). sipp's clock is coarse (its response times come
 * in steps of a few milliseconds), so the probe in probe.ts measures the same interval
 * with microsecond resolution next to it.
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { track, onCleanup, trackDir, untrackDir } from './cleanup';

import { REPO, SHARED } from '../../test/helpers/paths';

export { REPO };
const UAC_XML = path.join(SHARED, 'sipp', 'uac.xml');
const UAS_XML = path.join(SHARED, 'sipp', 'uas.xml');

/** True when `cmd` can be executed (found on PATH). */
export function haveCommand(cmd: string, args: string[] = ['-v']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined;
}

export function tempDir(prefix: string): string {
  return trackDir(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  untrackDir(dir);
}

export type SippStats = Record<string, string>;

/** The last line of a -stf CSV as column → value. */
function readStatFile(file: string): SippStats {
  const out: SippStats = {};
  if (!fs.existsSync(file)) return out;
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return out;
  const head = (lines[0] ?? '').split(';');
  const last = (lines[lines.length - 1] ?? '').split(';');
  head.forEach((h, i) => {
    const v = last[i];
    if (v !== undefined) out[h] = v;
  });
  return out;
}

/** Epoch seconds of a sipp time column ("date<TAB>time<TAB>epoch"). */
function epochOf(v: string | undefined): number {
  if (!v) return NaN;
  const parts = v.split('\t');
  return Number(parts[parts.length - 1]);
}

/**
 * The rate at which sipp actually created calls: `created` over the time from sipp's
 * start until the call counter reached it, interpolated between the once-a-second
 * statistics lines. Unlike CallRate(C) it does not count the wait for the last answers,
 * so a slow proxy does not look like a slow generator.
 */
function creationRate(file: string, created: number): number {
  if (!fs.existsSync(file) || created <= 0) return NaN;
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const head = (lines[0] ?? '').split(';');
  const iStart = head.indexOf('StartTime');
  const iNow = head.indexOf('CurrentTime');
  const iOut = head.indexOf('OutgoingCall(C)');
  if (iStart < 0 || iNow < 0 || iOut < 0) return NaN;
  let prevT = NaN;
  let prevC = 0;
  for (const line of lines.slice(1)) {
    const f = line.split(';');
    const start = epochOf(f[iStart]);
    const t = epochOf(f[iNow]) - start;
    const c = Number(f[iOut]);
    if (c >= created) {
      const t0 = Number.isFinite(prevT) ? prevT : 0;
      const end = c > prevC ? t0 + ((created - prevC) / (c - prevC)) * (t - t0) : t;
      return end > 0 ? created / end : NaN;
    }
    prevT = t;
    prevC = c;
  }
  return NaN;
}

export function statNum(s: SippStats, key: string): number {
  const v = Number(s[key]);
  return Number.isFinite(v) ? v : 0;
}

/** The response_time_ms column of every rtt file sipp wrote in `dir`. */
function readRttFiles(dir: string): number[] {
  const out: number[] = [];
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('_rtt.csv')) continue;
    const lines = fs.readFileSync(path.join(dir, f), 'utf8').split('\n');
    for (const line of lines.slice(1)) {
      const parts = line.split(';');
      if (parts.length < 2) continue;
      const v = Number(parts[1]);
      if (Number.isFinite(v)) out.push(v);
    }
  }
  return out;
}

/** sipp's error log (-trace_err), at most `maxBytes` of it. */
function readErrorLog(dir: string, maxBytes = 64 * 1024 * 1024): string {
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('_errors.log')) continue;
    const file = path.join(dir, f);
    const size = fs.statSync(file).size;
    if (size <= maxBytes) return fs.readFileSync(file, 'latin1');
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(maxBytes);
    fs.readSync(fd, buf, 0, maxBytes, 0);
    fs.closeSync(fd);
    return buf.toString('latin1');
  }
  return '';
}

/**
 * sipp's aborted calls by kind: "expecting X (index N), received CODE for METHOD", most
 * frequent first, so a report can say why calls failed. `late`: calls aborted only because
 * the 180 arrived after the 200 (uac.xml's optional 180 sends sipp back to "expecting
 * 200"), which a multi-process proxy causes now and then; reported apart from real failures.
 */
function classifyAborts(log: string): { late: number; kinds: Array<{ kind: string; n: number }> } {
  let late = 0;
  const kinds = new Map<string, number>();
  const marker = 'Aborting call on unexpected message';
  let at = log.indexOf(marker);
  while (at >= 0) {
    const next = log.indexOf(marker, at + marker.length);
    const entry = log.slice(at, next < 0 ? log.length : next);
    const exp = /while expecting '([^']*)' \(index (\d+)\)/.exec(entry);
    const rx = entry.indexOf("received '");
    const got = rx >= 0 ? entry.slice(rx + 10, entry.indexOf('\n', rx)).trim() : '?';
    const cseq = rx >= 0 ? /\nCSeq:\s*\d+\s+([A-Z]+)/i.exec(entry.slice(rx)) : null;
    if (exp && exp[1] === '200' && got.startsWith('SIP/2.0 2') && cseq?.[1]?.toUpperCase() === 'BYE') late++;
    const kind = `expecting ${exp ? `${exp[1]} (index ${exp[2]})` : '?'}, got ${got.replace(/\r$/, '')}${cseq ? ` to ${cseq[1]}` : ''}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    at = next;
  }
  // The same reordering one step earlier: the 180 lands after sipp ACKed the 200 but
  // before it sent the BYE, so sipp waits for a second 200 until its receive timeout, then
  // aborts with a BYE (it had the 200's To tag) that the route answers with 404.
  const timedOut = new Set<string>();
  const tmark = 'receive timeout on message ';
  for (let i = log.indexOf(tmark); i >= 0; i = log.indexOf(tmark, i + tmark.length)) {
    const head = log.lastIndexOf('Call-Id: ', i);
    const idx = /^[^\n]*?:(\d+) without label/.exec(log.slice(i + tmark.length, i + tmark.length + 300));
    if (head >= 0 && idx && idx[1] === '3') timedOut.add(log.slice(head + 9, log.indexOf(',', head)));
  }
  const dmark = 'Dead call ';
  for (let i = log.indexOf(dmark); i >= 0 && timedOut.size > 0; i = log.indexOf(dmark, i + dmark.length)) {
    const sp = log.indexOf(' ', i + dmark.length);
    const id = log.slice(i + dmark.length, sp);
    if (timedOut.has(id) && log.startsWith("(aborted at index 3), received 'SIP/2.0 404", sp + 1)) {
      timedOut.delete(id);
      late++;
      const kind = 'expecting 200 (index 3) until the receive timeout after a late 180; abort BYE answered 404';
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
  }
  return {
    late,
    kinds: [...kinds.entries()]
      .map(([kind, n]) => ({ kind, n }))
      .sort((a, b) => b.n - a.n)
      .slice(0, 8),
  };
}

interface Spawned {
  proc: ChildProcess;
  output(): string;
  done: Promise<number | null>;
  exited(): boolean;
}

function spawnSipp(args: string[], cwd: string): Spawned {
  const proc = track(spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd }));
  let out = '';
  const keep = (d: Buffer) => {
    if (out.length < 100_000) out += d.toString();
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let exited = false;
  const done = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      exited = true;
      resolve(code);
    });
    proc.once('error', () => {
      exited = true;
      resolve(null);
    });
  });
  return { proc, output: () => out, done, exited: () => exited };
}

/** SIGINT (sipp writes its final statistics), SIGKILL if it lingers. */
async function stopSipp(s: Spawned, graceMs = 5000): Promise<void> {
  if (s.exited()) return;
  s.proc.kill('SIGINT');
  const t = setTimeout(() => {
    if (!s.exited()) s.proc.kill('SIGKILL');
  }, graceMs);
  await s.done;
  clearTimeout(t);
}

export interface Uas {
  port: number;
  stop(): Promise<void>;
}

/** A destination: sipp uas.xml on 127.0.0.1:port, answering every INVITE with 180 + 200. */
export async function startUas(port: number, controlPort: number): Promise<Uas> {
  const dir = tempDir('dsd-bench-uas-');
  const s = spawnSipp(
    ['-sf', UAS_XML, '-i', '127.0.0.1', '-p', String(port), '-cp', String(controlPort), '-nostdin', '-t', 'u1'],
    dir,
  );
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    off();
    await stopSipp(s);
    removeDir(dir);
  };
  const off = onCleanup(stop);
  // sipp binds at once; give it a moment and make sure it did not die on a bad port
  await new Promise((r) => setTimeout(r, 300));
  if (s.exited()) {
    await stop();
    throw new Error(`sipp uas on port ${port} exited at start:\n${s.output()}`);
  }
  return { port, stop };
}

export interface UacOptions {
  /** Proxy address "127.0.0.1:port". */
  remote: string;
  port: number;
  controlPort: number;
  /** Calls per second. */
  rate: number;
  /** Total calls. */
  calls: number;
  /** Hard limit for the whole run; sipp is interrupted after it. */
  timeoutMs: number;
}

export interface UacResult {
  code: number | null;
  stats: SippStats;
  /** INVITE→200 times (ms, sipp's coarse clock). */
  rtdMs: number[];
  /** Calls sipp created. */
  created: number;
  successful: number;
  /** Failed plus still unfinished when the run was cut off. */
  failed: number;
  /** Of those, calls aborted by sipp only for a 180 arriving after the 200 (see countLateProvisionalAborts). */
  lateProvisional: number;
  /** sipp's aborts by kind, most frequent first. */
  abortKinds: Array<{ kind: string; n: number }>;
  /** Calls created per second while sipp was creating them (see creationRate). */
  achievedRate: number;
  errors: string;
  output: string;
  wallMs: number;
}

/** Runs uac.xml against the proxy until every call ended (bounded by timeoutMs). */
export async function runUac(o: UacOptions): Promise<UacResult> {
  const dir = tempDir('dsd-bench-uac-');
  const statFile = path.join(dir, 'stat.csv');
  const t0 = Date.now();
  const s = spawnSipp(
    [
      '-sf',
      UAC_XML,
      '-i',
      '127.0.0.1',
      '-p',
      String(o.port),
      '-cp',
      String(o.controlPort),
      '-nostdin',
      '-t',
      'u1',
      '-m',
      String(o.calls),
      '-r',
      String(o.rate),
      '-recv_timeout',
      '5000',
      '-trace_stat',
      '-stf',
      statFile,
      '-fd',
      '1',
      '-trace_rtt',
      '-rtt_freq',
      '1000',
      '-trace_err',
      o.remote,
    ],
    dir,
  );
  const off = onCleanup(() => stopSipp(s, 2000));
  const timer = setTimeout(() => {
    if (!s.exited()) s.proc.kill('SIGINT');
  }, o.timeoutMs);
  const code = await s.done;
  clearTimeout(timer);
  await stopSipp(s);
  off();
  const wallMs = Date.now() - t0;
  const stats = readStatFile(statFile);
  const created = statNum(stats, 'OutgoingCall(C)');
  const successful = statNum(stats, 'SuccessfulCall(C)');
  const errorLog = readErrorLog(dir);
  const aborts = classifyAborts(errorLog);
  const result: UacResult = {
    code,
    stats,
    rtdMs: readRttFiles(dir),
    created,
    successful,
    lateProvisional: aborts.late,
    abortKinds: aborts.kinds,
    failed: Math.max(statNum(stats, 'FailedCall(C)'), created - successful),
    achievedRate: creationRate(statFile, created) || statNum(stats, 'CallRate(C)'),
    errors: errorLog.slice(0, 1500),
    output: s.output(),
    wallMs,
  };
  removeDir(dir);
  return result;
}
