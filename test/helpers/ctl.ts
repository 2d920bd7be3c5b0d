/**
 * The control-socket clients a test drives: the real dsctl binary and the real kamcmd
 * (Debian's kamailio package), each as a child process with a bounded run time.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const DSCTL = path.resolve(__dirname, '..', '..', '..', 'bin', 'dsctl');

export interface CtlResult {
  code: number | null;
  out: string;
  err: string;
}

export function runTool(cmd: string, args: string[], timeoutMs = 20_000): CtlResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? (r.error ? String(r.error) : '') };
}

/** `dsctl -s unix:SOCK ARGS…` */
export function dsctl(sock: string, ...args: string[]): CtlResult {
  return runTool(process.execPath, [DSCTL, '-s', `unix:${sock}`, ...args]);
}

/** `kamcmd -s unix:SOCK ARGS…` */
export function kamcmd(sock: string, ...args: string[]): CtlResult {
  return runTool('kamcmd', ['-s', `unix:${sock}`, ...args]);
}
