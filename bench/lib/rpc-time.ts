/**
 * Wall time of one control command, as an operator sees it: `dsctl dispatcher.list`
 * against `kamcmd dispatcher.list`, each a fresh process talking to the running proxy's
 * control socket. Median over a few repetitions after one warm-up.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { median } from './stats';
import { DSCTL_BIN } from './dsd-config';

export interface CommandTiming {
  ok: boolean;
  medianMs: number;
  reps: number;
  /** Why there is no number (absent tool, failure), or the exact command line used. */
  note: string;
}

function timeOnce(cmd: string, args: string[]): { ms: number; status: number | null; stdout: string; stderr: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  return {
    ms,
    status: r.error ? null : r.status,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (r.error ? r.error.message : ''),
  };
}

function timeCommand(cmd: string, variants: string[][], reps: number): CommandTiming {
  let args: string[] | null = null;
  let lastErr = '';
  for (const v of variants) {
    const r = timeOnce(cmd, v); // also the warm-up (page cache, compile cache)
    if (r.status === 0 && r.stdout.trim().length > 0) {
      args = v;
      break;
    }
    lastErr = (r.stderr || r.stdout).trim().split('\n')[0] ?? `exit ${r.status}`;
  }
  if (!args) return { ok: false, medianMs: NaN, reps: 0, note: `failed: ${lastErr || 'no output'}` };
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const r = timeOnce(cmd, args);
    if (r.status !== 0)
      return {
        ok: false,
        medianMs: NaN,
        reps: i,
        note: `failed on repetition ${i + 1}: ${r.stderr.trim().split('\n')[0]}`,
      };
    times.push(r.ms);
  }
  return {
    ok: true,
    medianMs: median(times),
    reps,
    note: `${cmd.endsWith('dsctl') ? 'bin/dsctl' : cmd} ${args.join(' ')}`,
  };
}

/** `dsctl dispatcher.list` against dsd's socket; skipped with a note when dsctl is absent. */
export function timeDsctl(ctl: string | null, reps: number): CommandTiming {
  if (!fs.existsSync(DSCTL_BIN))
    return { ok: false, medianMs: NaN, reps: 0, note: 'skipped: bin/dsctl does not exist yet' };
  if (!ctl)
    return {
      ok: false,
      medianMs: NaN,
      reps: 0,
      note: 'skipped: dsd runs without a ctl socket (cfg refused modparam("ctl", "binrpc", …))',
    };
  return timeCommand(
    DSCTL_BIN,
    [
      ['-s', ctl, 'dispatcher.list'],
      ['dispatcher.list', '-s', ctl],
    ],
    reps,
  );
}

export function timeKamcmd(ctl: string | null, reps: number): CommandTiming {
  if (!ctl) return { ok: false, medianMs: NaN, reps: 0, note: 'skipped: no ctl socket' };
  return timeCommand('kamcmd', [['-s', ctl, 'dispatcher.list']], reps);
}

/** `node -e 0`: the floor any Node CLI pays, on this machine, right now. */
export function timeNodeBare(reps: number): CommandTiming {
  return timeCommand(process.execPath, [['-e', 'process.stdout.write("x")']], reps);
}
