/**
 * `npm run package`: the Debian package is built with dpkg-deb, unpacked into a scratch root
 * (dpkg-deb -x), its control data and file list checked, the systemd unit verified with
 * systemd-analyze, and the daemon and dsctl run from the scratch root: dsd -c on the packaged
 * configuration, then a real start on free loopback ports answered by the packaged dsctl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, tmpDir } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { needs } from '../helpers/require';

const run = (cmd: string, args: string[], env?: NodeJS.ProcessEnv) =>
  spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, env: env ? { ...process.env, ...env } : process.env });

test(
  'the Debian package installs daemon, unit, man pages and completions, and runs from a scratch root',
  { timeout: 600_000, skip: needs('dpkg-deb', 'systemd-analyze') },
  async () => {
    const dir = tmpDir('dsd-deb-test-');
    try {
      const built = run(process.execPath, [path.join(REPO, 'scripts', 'package-deb.js'), '--out', dir]);
      assert.equal(built.status, 0, built.stderr);
      const deb = built.stdout.trim();
      assert.match(path.basename(deb), /^dsd_\d+\.\d+\.\d+_[a-z0-9]+\.deb$/);

      const info = run('dpkg-deb', ['-f', deb, 'Package', 'Version', 'Depends']);
      assert.equal(info.status, 0, info.stderr);
      assert.match(info.stdout, /^Package: dsd$/m);
      assert.match(info.stdout, /^Depends: .*bsdutils/m);
      const conffiles = run('dpkg-deb', ['--ctrl-tarfile', deb]);
      assert.equal(conffiles.status, 0);

      const root = path.join(dir, 'root');
      fs.mkdirSync(root);
      const x = run('dpkg-deb', ['-x', deb, root]);
      assert.equal(x.status, 0, x.stderr);
      for (const f of [
        'usr/bin/dsd',
        'usr/bin/dsctl',
        'usr/lib/dsd/dist/src/daemon/main.js',
        'usr/lib/dsd/dist/dsd.js',
        'usr/lib/dsd/dist/dsd.js.cache',
        'usr/lib/dsd/dist/native/udpio.node',
        'usr/lib/dsd/dist/native/heap.node',
        'usr/lib/dsd/node_modules/pino/package.json',
        'lib/systemd/system/dsd.service',
        'etc/default/dsd',
        'etc/dsd/dsd.cfg',
        'etc/dsd/dispatcher.list',
        'usr/lib/tmpfiles.d/dsd.conf',
        'usr/lib/sysusers.d/dsd.conf',
        'usr/share/man/man8/dsd.8.gz',
        'usr/share/man/man8/dsctl.8.gz',
        'usr/share/man/man5/dsd.cfg.5.gz',
        'usr/share/bash-completion/completions/dsctl',
        'usr/share/zsh/vendor-completions/_dsctl',
        'usr/share/fish/vendor_completions.d/dsctl.fish',
        'usr/share/doc/dsd/sipp/uas.xml',
      ])
        assert.ok(fs.existsSync(path.join(root, f)), `${f} missing from the package`);
      assert.ok(
        !fs.existsSync(path.join(root, 'usr/lib/dsd/node_modules/typescript')),
        'dev dependencies must not be packaged',
      );
      const unit = fs.readFileSync(path.join(root, 'lib/systemd/system/dsd.service'), 'utf8');
      for (const l of [
        'User=dsd',
        'RuntimeDirectory=dsd',
        'AmbientCapabilities=CAP_NET_BIND_SERVICE',
        'ExecReload=/bin/kill -HUP $MAINPID',
        'ExecStart=/usr/bin/dsd -DD',
        'Type=notify',
      ]) {
        assert.ok(unit.includes(l), `unit lacks ${l}`);
      }
      assert.match(
        fs.readFileSync(path.join(root, 'etc/dsd/dsd.cfg'), 'utf8'),
        /ds_admin_state_file", "\/var\/lib\/dsd\//,
      );

      // systemd-analyze verify checks that ExecStart's binary exists and the man pages of
      // Documentation= open: point both at the scratch root.
      const unitCopy = path.join(dir, 'dsd.service');
      fs.writeFileSync(unitCopy, unit.replaceAll('/usr/bin/dsd', path.join(root, 'usr/bin/dsd')));
      const verify = run('systemd-analyze', ['verify', unitCopy], { MANPATH: path.join(root, 'usr/share/man') });
      assert.equal(verify.status, 0, `systemd-analyze verify:\n${verify.stdout}${verify.stderr}`);

      const dsd = path.join(root, 'usr/bin/dsd');
      const dsctl = path.join(root, 'usr/bin/dsctl');
      const v = run(dsd, ['-V']);
      assert.equal(v.status, 0, v.stderr);
      assert.match(v.stdout, /dsd \d+\.\d+\.\d+/);
      const c = run(dsd, ['-c', '-f', path.join(root, 'etc/dsd/dsd.cfg')]);
      assert.equal(c.status, 0, c.stderr);
      assert.match(c.stderr, /destinations ok: 2 usable/);
      const man = run('man', ['-l', '-Tutf8', path.join(root, 'usr/share/man/man8/dsctl.8.gz')]);
      if (man.status === 0) assert.match(man.stdout, /dispatcher\.overrides/);

      // a real start from the scratch root, on free ports, answered by the packaged dsctl
      const [port] = await freePorts(1);
      const cfg = fs
        .readFileSync(path.join(root, 'etc/dsd/dsd.cfg'), 'utf8')
        .replace(/^listen=.*$/gm, '')
        .replace(/^auto_aliases=no$/m, `auto_aliases=no\nlisten=udp:127.0.0.1:${port}`)
        .replace(/"ds_admin_state_file", "[^"]*"/, `"ds_admin_state_file", "${dir}/state.json"`)
        .replace(
          /^loadmodule "dispatcher.so"$/m,
          `loadmodule "dispatcher.so"\nmodparam("ctl", "binrpc", "unix:${dir}/ctl")`,
        );
      const cfgFile = path.join(root, 'etc/dsd/test.cfg');
      fs.writeFileSync(cfgFile, cfg);
      // as an operator starts it: outside CI's coverage run, which makes bin/dsd load dist/src
      const proc = spawn(dsd, ['-DD', '-E', '-f', cfgFile], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_V8_COVERAGE: undefined, NODE_OPTIONS: undefined },
      });
      let out = '';
      proc.stdout!.on('data', (d) => {
        out += d;
      });
      proc.stderr!.on('data', (d) => {
        out += d;
      });
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      try {
        const until = Date.now() + 30_000;
        while (!out.includes(' started, listening on') && Date.now() < until && proc.exitCode === null)
          await new Promise((r) => setTimeout(r, 50));
        assert.ok(out.includes(' started, listening on'), out);
        // the packaged daemon runs from one file with the bytecode the build compiled
        assert.match(out, /"loaded_from":"dist\/dsd\.js","code_cache":"accepted"/);
        // and reads UDP through the packaged native/udpio
        assert.match(out, /read and written with recvmmsg\/sendto \(native\/udpio\)/);
        const l = run(dsctl, ['-s', `unix:${dir}/ctl`, 'dispatcher.list']);
        assert.equal(l.status, 0, l.stderr);
        assert.match(l.stdout, /URI: sip:127\.0\.0\.1:5080/);
      } finally {
        if (proc.exitCode === null) proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        assert.equal(await exited, 0, out);
        clearTimeout(t);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
