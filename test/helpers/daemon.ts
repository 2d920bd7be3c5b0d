/**
 * Starts the real dsd binary on a config of the test's own in a temp dir, waits until
 * it listens, and stops it (SIGTERM, then SIGKILL) when the test is done.
 */
import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO, SHARED } from './paths';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags';

export { REPO, SHARED };
export const DSD_BIN = path.join(REPO, 'bin', 'dsd');
export const DSCTL_BIN = path.join(REPO, 'bin', 'dsctl');

export interface DsdOptions {
  /** Full cfg text; `{DIR}` is replaced by the temp dir. */
  cfg: string;
  /** Command the daemon is run under, e.g. ['ip', 'netns', 'exec', NS] (it must exec). */
  wrap?: string[];
  /** dispatcher.list text written next to the cfg. */
  list?: string;
  /** Extra files to write into the temp dir. */
  files?: Record<string, string>;
  startTimeoutMs?: number;
  /** Extra dsd arguments (e.g. -P FILE); `{DIR}` is replaced by the temp dir. */
  args?: string[];
  /** Extra environment variables for the daemon. */
  env?: NodeJS.ProcessEnv;
  /** node's flags (default bin/dsd's #! line's); `'#!'`: run bin/dsd itself, its #! line starts node. */
  node?: readonly string[] | '#!';
}

export interface Dsd {
  proc: ChildProcess;
  dir: string;
  cfgFile: string;
  /** Everything the daemon wrote to stdout+stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** Waits until the output contains `text` (or throws after ms). */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
}

export function tmpDir(prefix = 'dsd-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startDsd(o: DsdOptions): Promise<Dsd> {
  const dir = tmpDir();
  const cfgFile = path.join(dir, 'dsd.cfg');
  fs.writeFileSync(cfgFile, o.cfg.replaceAll('{DIR}', dir));
  if (o.list !== undefined) fs.writeFileSync(path.join(dir, 'dispatcher.list'), o.list);
  for (const [name, text] of Object.entries(o.files ?? {}))
    fs.writeFileSync(path.join(dir, name), text.replaceAll('{DIR}', dir));
  const extra = (o.args ?? []).map((a) => a.replaceAll('{DIR}', dir));
  // one process unless the test asks for workers (many test configs say children=2 or 4)
  if (!extra.includes('-n')) extra.push('-n', '1');
  // node's flags as bin/dsd's #! line gives them (the tests run node, not the #! line)
  const node = o.node === '#!' ? [] : [process.execPath, ...(o.node ?? DAEMON_NODE_FLAGS)];
  const argv = [...node, DSD_BIN, '-DD', '-E', '-f', cfgFile, ...extra];
  const cmd = [...(o.wrap ?? []), ...argv];
  // a cfg without its own unix control socket would take the shared default (/run/dsd/dsd_ctl
  // as root) and collide with any other daemon there: the test's temp dir instead
  // no warm-up while idle unless a test asks for it (warmup*.test.ts do): two seconds of
  // synthetic calls after every start of a daemon that waits for a probe or a timer cost the
  // suite ~10 % more time on two cores and competed with the tests running beside it
  const env = { DSD_CTL: path.join(dir, 'dsd_ctl'), DSD_WARMUP_IDLE_MS: '0', ...process.env, ...(o.env ?? {}) };
  const proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  let exited = false;
  const exitP = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      exited = true;
      resolve(code);
    }),
  );
  const d: Dsd = {
    proc,
    dir,
    cfgFile,
    output: () => out,
    async stop() {
      if (!exited) proc.kill('SIGTERM');
      else if (proc.exitCode !== null) {
        fs.rmSync(dir, { recursive: true, force: true });
        return proc.exitCode;
      }
      const t = setTimeout(() => {
        if (!exited) proc.kill('SIGKILL');
      }, 15000);
      const code = await exitP;
      clearTimeout(t);
      fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
    async waitFor(text, ms = 30_000) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        if (typeof text === 'string' ? out.includes(text) : text.test(out)) return;
        if (exited) throw new Error(`dsd exited while waiting for ${text}:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`timeout waiting for ${text} in dsd output:\n${out}`);
    },
  };
  try {
    await d.waitFor(' started, listening on', o.startTimeoutMs ?? 30_000);
  } catch (e) {
    await d.stop();
    throw e;
  }
  return d;
}

/**
 * A test cfg: the shipped etc/dsd.cfg (so the tests run the default route) with the
 * given listen lines, the control socket and list file in the test's temp dir, and extra
 * modparams / text after the module section.
 */
export function basicCfg(opts: { listen: string[]; params?: string[]; extra?: string }): string {
  const base = fs.readFileSync(path.join(REPO, 'etc', 'dsd.cfg'), 'utf8');
  // a test's modparam replaces the same module/parameter of the base config
  const key = (l: string): string | null => {
    const m = /^modparam\(\s*"([^"]+)"\s*,\s*"([^"]+)"/.exec(l.trim());
    return m ? `${m[1]}/${m[2]}` : null;
  };
  const overridden = new Set((opts.params ?? []).map(key).filter((k): k is string => k !== null));
  const lines = base.split('\n').filter((l) => !/^listen=/.test(l) && !overridden.has(key(l) ?? ''));
  const out: string[] = [];
  for (const l of lines) {
    if (/^modparam\("dispatcher", "list_file"/.test(l)) {
      out.push('modparam("dispatcher", "list_file", "{DIR}/dispatcher.list")');
      continue;
    }
    out.push(l);
    if (/^auto_aliases=/.test(l)) out.push(...opts.listen.map((x) => `listen=${x}`));
    if (/^loadmodule "dispatcher.so"/.test(l)) {
      out.push('modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")');
      out.push(...(opts.params ?? []));
    }
  }
  if (opts.extra) out.push(opts.extra);
  return out.join('\n');
}

/** A dispatcher.list of set 1 with one destination per port on 127.0.0.1. */
export const destinationList = (ports: readonly number[]): string =>
  ports.map((p) => `1 sip:127.0.0.1:${p} 0 0`).join('\n') + '\n';

/** One JSON log line of the daemon (stderr is not a terminal, so -E writes JSON). */
export interface LogLine {
  readonly msg: string;
  readonly pid: number;
  readonly time: string;
  readonly [field: string]: unknown;
}

/** The daemon's JSON log lines so far (a line still being written is left out). */
export function logLines(dsd: Dsd): LogLine[] {
  const out: LogLine[] = [];
  for (const l of dsd.output().split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as LogLine);
    } catch {
      /* a partial line */
    }
  }
  return out;
}
