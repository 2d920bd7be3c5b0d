/**
 * The two proxies under test, started the same way: in the foreground on a free loopback
 * port, their destination list in a temp dir, ready once their UDP port is bound, stopped
 * with SIGTERM (SIGKILL after a grace period, to the whole process tree).
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { track, onCleanup } from './cleanup';
import { processTree } from './procfs';
import { REPO, tempDir, removeDir } from './sipp';
import { adaptDsdCfg, dispatcherList, readDsdCfg, tmTimers, DSD_BIN } from './dsd-config';
import { withDaemonFlags } from '../../src/daemon/node-flags';

export type ProxyName = 'dsd' | 'kamailio';

export interface RunningProxy {
  name: ProxyName;
  /** Main process id. */
  pid: number;
  port: number;
  /** "unix:/path" of the control socket, or null when there is none. */
  ctl: string | null;
  dir: string;
  /** The main process and all its descendants, as of now. */
  pids(): number[];
  output(): string;
  stop(): Promise<number | null>;
}

export interface ProxyOptions {
  port: number;
  /** Destination ports (set 1). */
  backends: number[];
  /** Extra node flags for dsd (--cpu-prof, --require …). */
  nodeArgs?: string[];
  /** Extra dsd arguments (-n N). */
  dsdArgs?: string[];
  /** Another dsd build's bin/dsd (bench:ab); default this checkout's. */
  dsdBin?: string;
  env?: NodeJS.ProcessEnv;
  /** Called right after the proxy process is spawned (the cold-start run times from here). */
  onSpawn?: () => void;
}

/**
 * True once something holds 127.0.0.1:port/udp. Read from /proc/net/udp rather than by
 * trying to bind the port, which could steal it from the proxy while it starts.
 */
export function udpTaken(port: number): boolean {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  try {
    return fs.readFileSync('/proc/net/udp', 'latin1').includes(want);
  } catch {
    return false;
  }
}

function capture(proc: ChildProcess): () => string {
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return () => out;
}

async function launch(
  name: ProxyName,
  proc: ChildProcess,
  port: number,
  ctl: string | null,
  dir: string,
  output: () => string,
): Promise<RunningProxy> {
  let exited = false;
  let exitCode: number | null = null;
  const exitP = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      exited = true;
      exitCode = code;
      resolve(code);
    });
  });
  let known: number[] = [proc.pid!];
  const pids = () => {
    if (!exited) known = processTree(proc.pid!);
    return exited ? [] : known;
  };
  let stopping: Promise<number | null> | null = null;
  const stop = (): Promise<number | null> => {
    if (stopping) return stopping;
    stopping = (async () => {
      off();
      const tree = pids();
      if (!exited) proc.kill('SIGTERM');
      const t = setTimeout(() => {
        for (const p of tree) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }, 12_000);
      const code = exited ? exitCode : await exitP;
      clearTimeout(t);
      // Kamailio's children exit with their parent; make sure none is left behind
      for (const p of tree) {
        try {
          process.kill(p, 0);
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      removeDir(dir);
      return code;
    })();
    return stopping;
  };
  const off = onCleanup(async () => {
    await stop();
  });
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (exited) break;
    if (udpTaken(port)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (exited || Date.now() >= until) {
    await stop();
    throw new Error(`${name} did not start listening on 127.0.0.1:${port}:\n${output().slice(-3000)}`);
  }
  // the UDP port is bound before the workers are ready (dsd -n N binds in the primary as the
  // first worker asks; a worker reads before its dispatcher is loaded): wait for the control
  // socket, which both proxies open once every worker is up, so that start-up CPU is not
  // counted as the first calls' cost
  const sockPath = ctl?.startsWith('unix:') ? ctl.slice(5) : null;
  while (sockPath !== null && Date.now() < until && !exited && !fs.existsSync(sockPath)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, name === 'kamailio' ? 700 : 200));
  return { name, pid: proc.pid!, port, ctl, dir, pids, output, stop };
}

/** Checks a cfg with `dsd -c`; true when dsd accepts it. */
function dsdAccepts(cfgFile: string, bin: string): boolean {
  const r = spawnSync(process.execPath, [bin, '-c', '-f', cfgFile], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0;
}

const warnedStale = new Set<string>();

/**
 * Says once per build when its bin/dsd would not run the bundle: a dist/.tsbuildinfo newer
 * than dist/dsd.js means tsc ran after the build (`tsc --noEmit` under the incremental
 * tsconfig writes it too), and bin/dsd then loads dist/src without the code cache — a
 * slower start, and a benchmark of something else (bench/PROFILE.md, session 23).
 */
function warnIfUnbundled(bin: string): void {
  const dist = path.join(path.dirname(bin), '..', 'dist');
  const mtime = (f: string) => fs.statSync(path.join(dist, f), { throwIfNoEntry: false })?.mtimeMs ?? -1;
  if (warnedStale.has(dist) || mtime('dsd.js') >= mtime('.tsbuildinfo')) return;
  warnedStale.add(dist);
  process.stderr.write(
    `bench: ${dist}/dsd.js is older than tsc's last run: dsd will start from dist/src without its code cache; ` +
      'run npm run build (and npm run typecheck, not tsc --noEmit, while measuring)\n',
  );
}

/** dsd on a temp copy of etc/dsd.cfg moved to `port`, with the given destinations. */
export async function startDsd(o: ProxyOptions): Promise<RunningProxy> {
  const dir = tempDir('dsd-bench-dsd-');
  const listFile = path.join(dir, 'dispatcher.list');
  fs.writeFileSync(listFile, dispatcherList(o.backends));
  const cfgFile = path.join(dir, 'dsd.cfg');
  const source = readDsdCfg();
  const ctlPath = `unix:${path.join(dir, 'dsd_ctl')}`;
  let cfg = adaptDsdCfg(source, o.port, listFile, ctlPath, true);
  fs.writeFileSync(cfgFile, cfg.text);
  const bin = o.dsdBin ?? DSD_BIN;
  warnIfUnbundled(bin);
  if (cfg.ctlAdded && !dsdAccepts(cfgFile, bin)) {
    cfg = adaptDsdCfg(source, o.port, listFile, ctlPath, false);
    fs.writeFileSync(cfgFile, cfg.text);
  }
  const proc = track(
    // the flags `dsd` gets from its #! line; a flag of the caller's own wins
    spawn(
      process.execPath,
      [...withDaemonFlags(o.nodeArgs ?? [], ''), bin, '-DD', '-E', '-f', cfgFile, ...(o.dsdArgs ?? [])],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: dir,
        env: o.env ?? process.env,
      },
    ),
  );
  o.onSpawn?.();
  return launch('dsd', proc, o.port, cfg.ctl, dir, capture(proc));
}

const KAMAILIO_CFG = path.join(REPO, 'bench', 'kamailio.cfg');

export interface KamailioOptions extends ProxyOptions {
  /** UDP worker processes (children=). */
  children: number;
  shmMb: number;
  pkgMb: number;
  /** The cfg Kamailio runs (default bench/kamailio.cfg); a temp copy is adapted like dsd's. */
  cfgFile?: string;
}

/**
 * Kamailio in the foreground on a temp copy of bench/kamailio.cfg (listen lines, list_file
 * and ctl socket rewritten exactly as for dsd), with etc/dsd.cfg's tm timers.
 */
export async function startKamailio(o: KamailioOptions): Promise<RunningProxy> {
  const dir = tempDir('dsd-bench-kam-');
  const listFile = path.join(dir, 'dispatcher.list');
  fs.writeFileSync(listFile, dispatcherList(o.backends));
  const ctl = `unix:${path.join(dir, 'kamailio_ctl')}`;
  const source = fs.readFileSync(o.cfgFile ?? KAMAILIO_CFG, 'utf8');
  const cfg = adaptDsdCfg(source, o.port, listFile, ctl, true);
  const cfgFile = path.join(dir, 'kamailio.cfg');
  fs.writeFileSync(cfgFile, cfg.text);
  const tm = tmTimers(readDsdCfg());
  const args = [
    '-DD',
    '-E',
    '-f',
    cfgFile,
    '-m',
    String(o.shmMb),
    '-M',
    String(o.pkgMb),
    '-Y',
    dir,
    '-w',
    dir,
    '-A',
    `FR_TIMER=${tm.frTimer}`,
    '-A',
    `FR_INV_TIMER=${tm.frInvTimer}`,
    '-A',
    `BENCH_CHILDREN=${o.children}`,
  ];
  const proc = track(
    spawn('kamailio', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, env: o.env ?? process.env }),
  );
  o.onSpawn?.();
  return launch('kamailio', proc, o.port, ctl, dir, capture(proc));
}
