/**
 * Starts a real Kamailio 5.6 (Debian's package) on a cfg of the test's own in a temp dir,
 * foreground (-DD -E), runtime dir in the temp dir, and waits until the files it is asked to
 * create (its ctl socket, jsonrpcs FIFO…) exist. stop() sends SIGTERM (SIGKILL after 10 s)
 * and removes the dir.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from './daemon';

export interface Kamailio {
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

export function haveKamailio(): boolean {
  return spawnSync('kamailio', ['-v'], { encoding: 'utf8' }).status === 0;
}

/** `cfg`: full kamailio.cfg text, `{DIR}` replaced by the temp dir; `waitFiles`: paths under it. */
export async function startKamailio(o: { cfg: string; files?: Record<string, string>; waitFiles: string[] }): Promise<Kamailio> {
  const dir = tmpDir('dsd-kam-');
  const cfgFile = path.join(dir, 'kamailio.cfg');
  fs.writeFileSync(cfgFile, o.cfg.replaceAll('{DIR}', dir));
  for (const [name, text] of Object.entries(o.files ?? {})) fs.writeFileSync(path.join(dir, name), text.replaceAll('{DIR}', dir));
  const proc = spawn('kamailio', ['-f', cfgFile, '-DD', '-E', '-w', dir, '-Y', dir, '-m', '64', '-M', '8'], {
    stdio: ['ignore', 'ignore', 'pipe'], cwd: dir,
  });
  let out = '';
  proc.stderr!.on('data', (d) => { if (out.length < 200_000) out += d; });
  let exited = false;
  const exitP = new Promise<void>((r) => proc.once('exit', () => { exited = true; r(); }));
  const k: Kamailio = {
    dir,
    output: () => out,
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exitP;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const until = Date.now() + 20_000;
  const want = o.waitFiles.map((f) => path.join(dir, f));
  while (!want.every((f) => fs.existsSync(f))) {
    if (exited || Date.now() > until) {
      await k.stop();
      throw new Error(`kamailio did not start:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // The files appear before the worker processes serve them; wait for the ctl handler too.
  while (!/ctl handler|io_listen_loop/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return k;
}

/**
 * One cfg both Kamailio and dsd run for the tools tests: ctl on {DIR}/ctl, jsonrpcs FIFO and
 * datagram socket in {DIR}, dispatcher on {DIR}/dispatcher.list, no probing.
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
${extra}
request_route { sl_send_reply("404", "Not here"); }
`;
}

/** A list with two sets, weights, a duid and a priority. */
export const TOOLS_LIST = `1 sip:127.0.0.1:5080 0 0 weight=50
1 sip:127.0.0.1:5081 0 0
2 sip:127.0.0.1:5082;transport=tcp 0 10 duid=gw1;maxload=20
`;
