/**
 * Kamailio 5.6 (Debian's package) as the oracle: a test that states Kamailio's behaviour
 * starts the real kamailio on the same cfg and list, on loopback ports of its own, and
 * compares. Started in the foreground (-DD -E) as a child of the test, with its working
 * and runtime directories in a temp dir, and stopped by the test (SIGTERM, then SIGKILL).
 */
import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from './daemon';
import { waitUntil } from './wait';
import { runToolAsync } from './ctl';

export interface KamailioOptions {
  /** Full cfg text; `{DIR}` is replaced by the temp dir. */
  cfg: string;
  /** dispatcher.list text written as {DIR}/dispatcher.list. */
  list?: string;
  files?: Record<string, string>;
  /** -A NAME[=VAL] defines. */
  defines?: string[];
  /** More kamailio options (e.g. -b N). */
  args?: string[];
  /** Ready when this file exists ({DIR} replaced); default: the first `unix:` ctl socket in the cfg. */
  readyFile?: string;
  /** Ready when the log matches this (when there is no ready file). */
  readyLog?: RegExp;
  startTimeoutMs?: number;
  /** A command to run kamailio under, e.g. ['ip', 'netns', 'exec', NS] (it must exec, not fork). */
  wrap?: string[];
}

/**
 * The cfg with ctl's and jsonrpcs's default sockets moved into `dir` (under /run/kamailio
 * they would collide between parallel Kamailios). Inserted right after the loadmodule
 * line: --modparam runs before the cfg loads its modules, so it cannot do this.
 */
function privateSockets(cfg: string, dir: string): string {
  const add = (text: string, mod: string, param: string, value: string): string => {
    if (new RegExp(`modparam\\("${mod}",\\s*"${param}"`).test(text)) return text;
    return text.replace(
      new RegExp(`^loadmodule\\s+"${mod}(\\.so)?"[^\\n]*$`, 'm'),
      (l) => `${l}\nmodparam("${mod}", "${param}", "${value}")`,
    );
  };
  return add(
    add(cfg, 'ctl', 'binrpc', `unix:${dir}/kamailio_ctl`),
    'jsonrpcs',
    'fifo_name',
    `${dir}/kamailio_rpc.fifo`,
  );
}

export interface Kamailio {
  proc: ChildProcess;
  dir: string;
  /** The ctl (binrpc) socket path, when the cfg has one. */
  ctlSock: string | null;
  output(): string;
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startKamailio(o: KamailioOptions): Promise<Kamailio> {
  const dir = tmpDir('dsd-kam-');
  const cfgText = privateSockets(o.cfg.replaceAll('{DIR}', dir), dir);
  const cfgFile = path.join(dir, 'kamailio.cfg');
  fs.writeFileSync(cfgFile, cfgText);
  if (o.list !== undefined) fs.writeFileSync(path.join(dir, 'dispatcher.list'), o.list);
  for (const [name, text] of Object.entries(o.files ?? {}))
    fs.writeFileSync(path.join(dir, name), text.replaceAll('{DIR}', dir));
  const ctl = /modparam\("ctl",\s*"binrpc",\s*"unix:([^"]+)"\)/.exec(cfgText);
  const ctlSock = ctl ? ctl[1]! : null;
  const ready = o.readyFile?.replaceAll('{DIR}', dir) ?? ctlSock;
  const args = [
    '-f',
    cfgFile,
    '-DD',
    '-E',
    '-w',
    dir,
    '-Y',
    dir,
    ...(o.defines ?? []).flatMap((x) => ['-A', x]),
    ...(o.args ?? []),
  ];
  const cmd = [...(o.wrap ?? []), 'kamailio', ...args];
  // its own process group: stop() can kill the children it forks too (they hold its pipes)
  const proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const keep = (d: Buffer): void => {
    // debug=3 logs a lot (a latency test reads its samples from it)
    if (out.length < 50_000_000) out += d;
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let exited = false;
  // 'close', not 'exit': the last words on stderr (a cfg error) are read by then
  const exitP = new Promise<void>((r) =>
    proc.once('close', () => {
      exited = true;
      r();
    }),
  );
  const k: Kamailio = {
    proc,
    dir,
    ctlSock,
    output: () => out,
    async waitFor(text, ms = 30_000) {
      // waitUntil takes a throwing probe for "not yet": an exit ends the wait, then throws
      await waitUntil(() => exited || (typeof text === 'string' ? out.includes(text) : text.test(out)), {
        timeoutMs: ms,
        what: `${text} in kamailio's output`,
      });
      if (exited && !(typeof text === 'string' ? out.includes(text) : text.test(out)))
        throw new Error(`kamailio exited:\n${out.slice(-3000)}`);
    },
    async stop() {
      if (!exited) proc.kill('SIGTERM');
      // a starved Kamailio may not finish its shutdown: then the whole group goes, children
      // included (a child left alive keeps the pipes open, and 'close' would never come)
      const t = setTimeout(() => {
        if (exited) return;
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          proc.kill('SIGKILL');
        }
      }, 10_000);
      await exitP;
      clearTimeout(t);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntil(
      () => {
        if (exited) return true;
        if (ready) return fs.existsSync(ready);
        // the main process logs this once its sockets are bound, just before it forks
        return (o.readyLog ?? /main\(\): processes \(at least\)|INFO: .*(main|core).*|listening on/).test(out);
      },
      { timeoutMs: o.startTimeoutMs ?? 30_000, what: 'kamailio to start' },
    );
    if (exited) throw new Error(`kamailio exited at start:\n${out.slice(-3000)}`);
    // the socket file appears before the ctl process answers on it; a Kamailio starting on a
    // loaded two-core machine (its children fork, then ctl) took over 15 s once in CI.
    // kamcmd runs without blocking this event loop, and each try is short: a blocking one
    // left Kamailio's log pipe undrained, and at debug=3 its ctl process, blocked writing
    // the log of that very connection, never answered (a 60 s try, and the wait was over)
    if (ctlSock)
      await waitUntil(
        async () => (await runToolAsync('kamcmd', ['-s', `unix:${ctlSock}`, 'core.version'], 10_000)).code === 0,
        { timeoutMs: 60_000, what: 'kamcmd core.version' },
      );
  } catch (e) {
    await k.stop();
    throw e;
  }
  return k;
}

/**
 * One cfg both Kamailio and dsd run for the tools tests (kamcmd, kamctl, kamcli): ctl on
 * {DIR}/ctl, jsonrpcs FIFO and datagram socket in {DIR}, dispatcher on {DIR}/dispatcher.list,
 * no probing, no reload_delta (whether two tools' calls fall within its 5 s would depend on
 * how fast the machine runs them).
 */
export function toolsCfg(port: number, extra = ''): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:${port}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "ctl.so"
loadmodule "jsonrpcs.so"
loadmodule "dispatcher.so"
modparam("ctl", "binrpc", "unix:{DIR}/ctl")
modparam("jsonrpcs", "fifo_name", "{DIR}/rpc.fifo")
modparam("jsonrpcs", "dgram_socket", "{DIR}/rpc.sock")
modparam("dispatcher", "list_file", "{DIR}/dispatcher.list")
modparam("dispatcher", "reload_delta", 0)
${extra}
request_route { sl_send_reply("404", "Not here"); }
`;
}

/** A list with two sets, weights, a duid and a priority. */
export const TOOLS_LIST = `1 sip:127.0.0.1:5080 0 0 weight=50
1 sip:127.0.0.1:5081 0 0
2 sip:127.0.0.1:5082;transport=tcp 0 10 duid=gw1;maxload=20
`;
