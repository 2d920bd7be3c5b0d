/**
 * Kamailio's command line on dsd: Debian's kamailio.service line (Type=forking, no -D:
 * `-P pidfile -f cfg -m SHM -M PKG`) starts dsd in the background, returns once it serves,
 * and the pid file names the daemon; -u/-g switch user and group once the sockets are open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DSD_BIN, startDsd, tmpDir } from '../helpers/daemon';
import { toolsCfg, TOOLS_LIST } from '../helpers/kamailio';
import { freePorts } from '../helpers/ports';
import { waitUntil } from '../helpers/wait';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test(
  "kamailio.service's ExecStart line: dsd forks, returns 0 once serving, pid file names the daemon",
  { timeout: 60_000 },
  async () => {
    const dir = tmpDir('dsd-service-');
    const [port] = await freePorts(1);
    fs.writeFileSync(path.join(dir, 'kamailio.cfg'), toolsCfg(port).replaceAll('{DIR}', dir));
    fs.writeFileSync(path.join(dir, 'dispatcher.list'), TOOLS_LIST);
    const pidFile = path.join(dir, 'kamailio.pid');
    const log = fs.openSync(path.join(dir, 'dsd.log'), 'w');
    let pid = 0;
    try {
      // stdout/stderr to a file: the daemon keeps them, as under systemd
      const r = spawnSync(
        process.execPath,
        [DSD_BIN, '-P', pidFile, '-f', path.join(dir, 'kamailio.cfg'), '-m', '64', '-M', '8'],
        {
          stdio: ['ignore', log, log],
          timeout: 30_000,
        },
      );
      assert.equal(r.status, 0, fs.readFileSync(path.join(dir, 'dsd.log'), 'utf8'));
      pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      assert.ok(pid > 0 && pid !== r.pid && alive(pid), 'the daemon is another, running process');
      const out = execFileSync('kamcmd', ['-s', `unix:${dir}/ctl`, 'dispatcher.ping_active'], { encoding: 'utf8' });
      assert.equal(out, '{\n\tOldPingState: 1\n}\n');
      process.kill(pid, 'SIGTERM');
      await waitUntil(() => !alive(pid), { timeoutMs: 20_000, what: 'the daemon to stop' });
      assert.ok(!fs.existsSync(pidFile), 'pid file removed at exit');
    } finally {
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      fs.closeSync(log);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('without -D a configuration that does not start makes the command fail', () => {
  const r = spawnSync(process.execPath, [DSD_BIN, '-f', '/nonexistent/kamailio.cfg', '-m', '64'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot open config file/);
});

test(
  '-u/-g: the daemon runs as that user and group once its sockets are open',
  { timeout: 60_000, skip: process.getuid?.() !== 0 ? 'needs root' : false },
  async () => {
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('getent', ['group', 'nogroup'], { encoding: 'utf8' }).split(':')[2]);
    const [port] = await freePorts(1);
    const dsd = await startDsd({
      cfg: toolsCfg(port),
      list: TOOLS_LIST,
      args: ['-u', 'nobody', '-g', 'nogroup', '-n', '2'],
    });
    try {
      const status = fs.readFileSync(`/proc/${dsd.proc.pid}/status`, 'utf8');
      assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}`, 'm'));
      assert.match(status, new RegExp(`^Gid:\\s+${gid}\\s+${gid}\\s+${gid}`, 'm'));
      // the sockets opened as root still answer
      const out = execFileSync('kamcmd', ['-s', `unix:${dsd.dir}/ctl`, 'dispatcher.ping_active'], { encoding: 'utf8' });
      assert.match(out, /OldPingState: 1/);
    } finally {
      await dsd.stop();
    }
  },
);
