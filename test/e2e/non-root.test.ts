/**
 * dsd as a non-root user (uid 65534 through setpriv), as the packaged unit runs it: a SIP
 * port below 1024 is refused without CAP_NET_BIND_SERVICE (exit 1 and the reason), and
 * bound with it as an ambient capability (what the unit's AmbientCapabilities gives); the
 * daemon then runs as that user and answers on its control socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { basicCfg, DSD_BIN, REPO, tmpDir } from '../helpers/daemon';
import { dsctl } from '../helpers/ctl';
import { needs } from '../helpers/require';
import { waitUntil } from '../helpers/wait';

const NOBODY = 65534;
const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

/** A UDP port below 1024 that is free on 127.0.0.1 now (root may bind it to find out). */
async function freeLowPort(): Promise<number> {
  for (let p = 1000; p >= 600; p--) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(false);
      });
      s.bind(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return p;
  }
  throw new Error('no free UDP port in 600..1000');
}

const readableByNobody = (): boolean =>
  spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), 'test', '-r', path.join(REPO, 'dist', 'src', 'daemon', 'main.js')])
    .status === 0;

test(
  'non-root: a port below 1024 needs CAP_NET_BIND_SERVICE, and binds with it',
  {
    skip:
      process.getuid!() !== 0
        ? 'needs root to switch users'
        : needs('setpriv') || (readableByNobody() ? false : 'the checkout is not readable by uid 65534'),
    timeout: 90_000,
  },
  async () => {
    const port = await freeLowPort();
    const dir = tmpDir('dsd-nonroot-');
    fs.chmodSync(dir, 0o777);
    const cfgFile = path.join(dir, 'dsd.cfg');
    fs.writeFileSync(cfgFile, basicCfg({ listen: [`udp:127.0.0.1:${port}`] }).replaceAll('{DIR}', dir));
    fs.writeFileSync(path.join(dir, 'dispatcher.list'), '1 sip:127.0.0.1:5080\n');
    const argv = [process.execPath, DSD_BIN, '-DD', '-E', '-n', '1', '-f', cfgFile];
    const env = { ...process.env, HOME: dir, DSD_WARMUP_MS: '0' };
    try {
      const refused = spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), ...argv], {
        encoding: 'utf8',
        env,
        timeout: 60_000,
      });
      assert.equal(refused.status, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr + refused.stdout, new RegExp(`cannot listen: bind EACCES 127\\.0\\.0\\.1:${port}`));

      const caps = ['--inh-caps=+net_bind_service', '--ambient-caps=+net_bind_service'];
      const d = spawn(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), ...caps, ...argv], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      d.stdout.on('data', (b) => (out += b));
      d.stderr.on('data', (b) => (out += b));
      try {
        await waitUntil(() => (out.includes(` started, listening on udp:127.0.0.1:${port}`) ? true : null), {
          timeoutMs: 30_000,
          what: 'dsd started as uid 65534',
        }).catch(() => {
          throw new Error(`not started:\n${out}`);
        });
        // setpriv execs: the daemon is that process, running as the other user
        const status = fs.readFileSync(`/proc/${d.pid}/status`, 'utf8');
        assert.match(status, new RegExp(`^Uid:\\s+${NOBODY}\\s+${NOBODY}`, 'm'));
        const r = dsctl(path.join(dir, 'dsd_ctl'), 'dispatcher.list');
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /URI: sip:127\.0\.0\.1:5080/);
      } finally {
        d.kill('SIGTERM');
        await waitUntil(() => (d.exitCode !== null || d.signalCode !== null ? true : null), {
          timeoutMs: 20_000,
        }).catch(() => d.kill('SIGKILL'));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
