/**
 * Kamailio 5.6 as the reference in a test: started on a cfg of the test's own in a temp
 * dir (`kamailio -DD -E`, loopback ports the test picked), its control and jsonrpcs
 * sockets moved into that dir with --modparam so parallel tests never share
 * /run/kamailio, and stopped (SIGTERM, then SIGKILL) when the test is done.
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from './daemon';
import { sleep } from './sip-peer';

export function haveKamailio(): boolean {
  return spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).status === 0;
}

export interface Kamailio {
  proc: ChildProcess;
  dir: string;
  /** stderr so far (Kamailio's -E log). */
  output(): string;
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface KamailioOptions {
  /** Full cfg text; `{DIR}` is replaced by the temp dir. */
  cfg: string;
  /** Files written next to the cfg (dispatcher.list …); `{DIR}` replaced too. */
  files?: Record<string, string>;
  /** Extra arguments (-A NAME …). */
  args?: string[];
  /** Text in the log that says it is ready; default: the control socket exists. */
  ready?: string | RegExp;
}

/**
 * The cfg with ctl's and jsonrpcs's sockets moved into `dir` (their defaults under
 * /run/kamailio would collide between parallel Kamailios). Inserted right after the
 * loadmodule line: --modparam runs before the cfg loads its modules, so it cannot.
 */
function privateSockets(cfg: string, dir: string): string {
  const add = (text: string, mod: string, param: string, value: string): string => {
    if (new RegExp(`modparam\\("${mod}",\\s*"${param}"`).test(text)) return text;
    return text.replace(new RegExp(`^loadmodule\\s+"${mod}(\\.so)?"[^\\n]*$`, 'm'), (l) => `${l}\nmodparam("${mod}", "${param}", "${value}")`);
  };
  let out = add(cfg, 'ctl', 'binrpc', `unix:${dir}/kamailio_ctl`);
  out = add(out, 'jsonrpcs', 'fifo_name', `${dir}/kamailio_rpc.fifo`);
  return out;
}

export async function startKamailio(o: KamailioOptions): Promise<Kamailio> {
  const dir = tmpDir('kam-test-');
  const cfgFile = path.join(dir, 'kamailio.cfg');
  fs.writeFileSync(cfgFile, privateSockets(o.cfg.replaceAll('{DIR}', dir), dir));
  for (const [name, text] of Object.entries(o.files ?? {})) fs.writeFileSync(path.join(dir, name), text.replaceAll('{DIR}', dir));
  const args = ['-DD', '-E', '-f', cfgFile, '-w', dir, '-Y', dir, ...(o.args ?? [])];
  const proc = spawn('kamailio', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const add = (d: Buffer): void => { if (out.length < 2_000_000) out += d; };
  proc.stdout!.on('data', add);
  proc.stderr!.on('data', add);
  let exited = false;
  const exitP = new Promise<void>((r) => proc.once('exit', () => { exited = true; r(); }));
  const k: Kamailio = {
    proc, dir,
    output: () => out,
    async waitFor(text, ms = 15_000) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        if (typeof text === 'string' ? out.includes(text) : text.test(out)) return;
        if (exited) throw new Error(`kamailio exited while waiting for ${text}:\n${out.slice(-4000)}`);
        await sleep(20);
      }
      throw new Error(`timeout waiting for ${text} in kamailio output:\n${out.slice(-4000)}`);
    },
    async stop() {
      if (!exited) proc.kill('SIGTERM');
      const t = setTimeout(() => { if (!exited) proc.kill('SIGKILL'); }, 10_000);
      await exitP;
      clearTimeout(t);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // logged by the main process once its sockets are bound, just before it forks
    await k.waitFor(o.ready ?? /main\(\): processes \(at least\)/, 15_000);
    await sleep(300);
  } catch (e) {
    await k.stop();
    throw e;
  }
  return k;
}
