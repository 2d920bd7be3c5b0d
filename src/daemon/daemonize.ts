// Kamailio forks into the background unless -D is given, and Debian's kamailio.service
// (Type=forking) counts on it: the command returns once the daemon runs, and PIDFile names
// it. dsd does the same without -D: it starts itself again with -DD in a new session, waits
// until that process reports it is serving (or dies), and exits with 0 (or 1). The daemon
// keeps the caller's stdout/stderr (a service's journal). With -D or -DD nothing forks.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { DaemonArgs } from './args';

const NOTIFY_ENV = 'DSD_READY_FD';

export function shouldDaemonize(args: DaemonArgs): boolean {
  return (
    args.foreground === 0 &&
    !args.checkOnly &&
    !args.version &&
    !args.help &&
    args.command === null &&
    process.env[NOTIFY_ENV] === undefined
  );
}

/** Starts the daemon copy and resolves with the exit code for this (parent) process. */
export function daemonize(argv: readonly string[]): Promise<number> {
  const script = process.argv[1];
  if (script === undefined) return Promise.resolve(1);
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv, '-DD'], {
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [NOTIFY_ENV]: '3' },
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      resolve(code);
    };
    const ready = child.stdio[3] as NodeJS.ReadableStream | null;
    let text = '';
    ready?.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('ready')) {
        child.unref();
        (ready as unknown as { destroy?: () => void }).destroy?.();
        finish(0);
      }
    });
    ready?.on('error', () => {});
    child.once('exit', (code) => finish(code === 0 ? 1 : (code ?? 1)));
    child.once('error', (e) => {
      process.stderr.write(`dsd: cannot start the daemon: ${e.message}\n`);
      finish(1);
    });
  });
}

/** In the daemon copy: tell the waiting parent that dsd is serving. */
export function notifyReady(): void {
  const fd = Number(process.env[NOTIFY_ENV]);
  delete process.env[NOTIFY_ENV];
  if (!Number.isInteger(fd) || fd < 3) return;
  try {
    fs.writeSync(fd, 'ready\n');
    fs.closeSync(fd);
  } catch {
    /* the parent is gone: nothing to tell */
  }
}
