/**
 * Kamailio 5.6 as a test peer (an edge in front of dsd, a backend behind it): started
 * in the foreground on a cfg of the test's own in a temp dir, stopped in `stop()`.
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tmpDir } from './daemon';

export function haveKamailio(): boolean {
  return spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).error === undefined;
}

export interface Kamailio {
  proc: ChildProcess;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

async function tcpUp(port: number, until: number): Promise<void> {
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`kamailio: nothing listening on tcp ${port}`);
}

/** `cfg` may use {DIR}; `files` are written into the same temp dir. Waits until `waitTcpPort` accepts. */
export async function startKamailio(cfg: string, files: Record<string, string>, waitTcpPort: number): Promise<Kamailio> {
  const dir = tmpDir('dsd-kam-');
  for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), t.replaceAll('{DIR}', dir));
  const file = path.join(dir, 'kamailio.cfg');
  fs.writeFileSync(file, cfg.replaceAll('{DIR}', dir));
  const proc = spawn('kamailio', ['-f', file, '-DD', '-E', '-w', dir, '-Y', dir, '-m', '64', '-M', '8'], {
    stdio: ['ignore', 'pipe', 'pipe'], cwd: dir,
  });
  let out = '';
  proc.stdout!.on('data', (d) => { if (out.length < 500_000) out += d; });
  proc.stderr!.on('data', (d) => { if (out.length < 500_000) out += d; });
  let exited = false;
  const exit = new Promise<void>((r) => proc.once('exit', () => { exited = true; r(); }));
  const k: Kamailio = {
    proc, dir, output: () => out,
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => { if (!exited) proc.kill('SIGKILL'); }, 10_000);
        await exit;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await tcpUp(waitTcpPort, Date.now() + 20_000);
  } catch (e) {
    await k.stop();
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  return k;
}
