/**
 * The control-socket clients a test drives: the real dsctl binary and the real kamcmd
 * (Debian's kamailio package), each as a child process with a bounded run time.
 */
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';

const DSCTL = path.resolve(__dirname, '..', '..', '..', 'bin', 'dsctl');

export interface CtlResult {
  code: number | null;
  out: string;
  err: string;
}

export function runTool(cmd: string, args: readonly string[], timeoutMs = 60_000): CtlResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? (r.error ? String(r.error) : '') };
}

/** As runTool, without blocking the test's event loop (its SIP peers keep answering meanwhile). */
export function runToolAsync(
  cmd: string,
  args: readonly string[],
  timeoutMs = 60_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CtlResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs, env }, (e, out, err) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err }),
    );
  });
}

/** `dsctl ARGS…` as given (no socket added: the test picks -s, or none). */
export function dsctlArgs(...args: string[]): CtlResult {
  return runTool(process.execPath, [DSCTL, ...args]);
}

/** As dsctlArgs, without blocking; `env` replaces the environment (e.g. without DSD_CTL). */
export function dsctlArgsAsync(args: readonly string[], timeoutMs = 60_000, env = process.env): Promise<CtlResult> {
  return runToolAsync(process.execPath, [DSCTL, ...args], timeoutMs, env);
}

/** `dsctl -s unix:SOCK ARGS…` */
export function dsctl(sock: string, ...args: string[]): CtlResult {
  return runTool(process.execPath, [DSCTL, '-s', `unix:${sock}`, ...args]);
}

/** As dsctl, without blocking the event loop. */
export function dsctlAsync(sock: string, ...args: string[]): Promise<CtlResult> {
  return runToolAsync(process.execPath, [DSCTL, '-s', `unix:${sock}`, ...args]);
}

/** As kamcmd, without blocking the event loop. */
export function kamcmdAsync(sock: string, ...args: string[]): Promise<CtlResult> {
  return runToolAsync('kamcmd', ['-s', `unix:${sock}`, ...args]);
}

/** `kamcmd -s unix:SOCK ARGS…` */
export function kamcmd(sock: string, ...args: string[]): CtlResult {
  return runTool('kamcmd', ['-s', `unix:${sock}`, ...args]);
}

/** dsctl on the control socket of a daemon started by test/helpers/daemon.ts (`{DIR}/dsd_ctl`). */
export function dsctlOn(d: { dir: string }, ...args: string[]): CtlResult {
  return dsctl(`${d.dir}/dsd_ctl`, ...args);
}

/** As dsctlOn, without blocking the test's event loop (for use while peers must keep answering). */
export function dsctlOnAsync(d: { dir: string }, ...args: string[]): Promise<CtlResult> {
  return runToolAsync(process.execPath, [DSCTL, '-s', `unix:${d.dir}/dsd_ctl`, ...args]);
}
