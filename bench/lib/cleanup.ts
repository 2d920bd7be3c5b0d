/**
 * Every process a benchmark starts is registered here and stopped when the benchmark
 * ends: normally, on an error, or on Ctrl-C / SIGTERM. Processes are killed by their own
 * pid, never by name.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { processTree } from './procfs';

type Stopper = () => Promise<void> | void;

const stoppers = new Set<Stopper>();
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;
let exiting = false;

/** Remembers a child process; it is SIGKILLed at exit if still running. */
export function track(proc: ChildProcess): ChildProcess {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** A graceful stop to run before the last-resort kill (stop sipp, SIGTERM a proxy…). */
export function onCleanup(fn: Stopper): () => void {
  stoppers.add(fn);
  return () => stoppers.delete(fn);
}

/** A temp directory removed at exit. */
export function trackDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

/** Runs the graceful stoppers (bounded), then kills what is left and removes temp dirs. */
async function cleanupAll(): Promise<void> {
  const list = [...stoppers];
  stoppers.clear();
  await Promise.race([Promise.allSettled(list.map(async (f) => f())), new Promise((r) => setTimeout(r, 8000).unref())]);
  killAllNow();
}

/**
 * SIGKILLs every tracked process and everything below it (dsd's SIP workers, Kamailio's
 * children): a worker whose primary is killed mid-drain would otherwise live on.
 */
function killAllNow(): void {
  const pids = new Set<number>();
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      for (const p of processTree(c.pid)) pids.add(p);
      pids.add(c.pid);
    }
  }
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
  for (const d of dirs) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
  dirs.clear();
}

/** Installs the signal and crash handlers once. */
function installCleanup(): void {
  if (installed) return;
  installed = true;
  const bail = (why: string, code: number) => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`\n${why}: stopping every process the benchmark started…\n`);
    cleanupAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => bail('interrupted', 130));
  process.on('SIGTERM', () => bail('terminated', 143));
  process.on('uncaughtException', (e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    bail('error', 1);
  });
  process.on('unhandledRejection', (e) => {
    process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
    bail('error', 1);
  });
  // output piped into `head` and closed: stop quietly, but still stop everything
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') bail('output closed', 0);
  });
  // last resort on a plain exit: nothing may outlive the benchmark
  process.on('exit', killAllNow);
}

/** Runs main with cleanup on every path; sets the exit code. */
export async function runMain(main: () => Promise<number>): Promise<void> {
  installCleanup();
  let code = 1;
  try {
    code = await main();
  } catch (e) {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    code = 1;
  } finally {
    await cleanupAll();
  }
  process.exit(code);
}
