#!/usr/bin/env node
// `npm run package`: a Debian package of dsd built with dpkg-deb from the compiled tree
// (npm run build first). Installs the daemon and dsctl (/usr/lib/dsd, /usr/bin), the
// systemd unit, /etc/default/dsd, tmpfiles and sysusers entries, the configuration as
// conffiles under /etc/dsd, the man pages and the bash/zsh/fish completions.
// Usage: node scripts/package-deb.js [--out DIR]   (default DIR: dist/pkg)
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const REPO = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

function die(msg) {
  process.stderr.write(`package: ${msg}\n`);
  process.exit(1);
}

const outIdx = process.argv.indexOf('--out');
const outDir = path.resolve(outIdx > 0 ? process.argv[outIdx + 1] : path.join(REPO, 'dist', 'pkg'));
if (
  !fs.existsSync(path.join(REPO, 'dist', 'src', 'daemon', 'main.js')) ||
  !fs.existsSync(path.join(REPO, 'dist', 'dsd.js'))
)
  die('dsd is not built: run npm run build first');

function copy(from, to, mode) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true, dereference: true });
  if (mode !== undefined) fs.chmodSync(to, mode);
}

function write(to, text, mode = 0o644) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, text, { mode });
  fs.chmodSync(to, mode);
}

function gz(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, zlib.gzipSync(fs.readFileSync(from), { level: 9 }));
}

const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-deb-'));
const root = path.join(staging, `dsd_${pkg.version}_${arch}`);
const lib = path.join(root, 'usr', 'lib', 'dsd');
try {
  // the program: compiled sources, launchers, package.json, production dependencies only
  copy(path.join(REPO, 'dist', 'src'), path.join(lib, 'dist', 'src'));
  // the daemon in one file and its code cache, what bin/dsd runs (scripts/bundle.js); dist/src stays for dsctl
  for (const f of ['dsd.js', 'dsd.js.map', 'dsd.js.cache'])
    if (fs.existsSync(path.join(REPO, 'dist', f))) copy(path.join(REPO, 'dist', f), path.join(lib, 'dist', f));
  // native/udpio, the UDP listen sockets' batched reads (scripts/build-native.js); without it dsd uses dgram
  if (fs.existsSync(path.join(REPO, 'dist', 'native')))
    copy(path.join(REPO, 'dist', 'native'), path.join(lib, 'dist', 'native'));
  for (const b of ['dsd', 'dsctl']) copy(path.join(REPO, 'bin', b), path.join(lib, 'bin', b), 0o755);
  write(
    path.join(lib, 'package.json'),
    JSON.stringify({ ...pkg, devDependencies: undefined, scripts: undefined }, null, 2) + '\n',
  );
  for (const f of ['dsd.cfg', 'dispatcher.list']) copy(path.join(REPO, 'etc', f), path.join(lib, 'etc', f));
  const prod = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(path.join(REPO, 'node_modules') + path.sep));
  if (prod.length === 0) die('npm ls found no production dependencies (run npm ci first)');
  for (const dir of prod) copy(dir, path.join(lib, path.relative(REPO, dir)));
  fs.mkdirSync(path.join(root, 'usr', 'bin'), { recursive: true });
  for (const b of ['dsd', 'dsctl']) fs.symlinkSync(`../lib/dsd/bin/${b}`, path.join(root, 'usr', 'bin', b));

  // configuration (conffiles): the bundled config, with admin states kept under /var/lib/dsd
  const cfg = fs
    .readFileSync(path.join(REPO, 'etc', 'dsd.cfg'), 'utf8')
    .replace(
      /^(modparam\("dispatcher", "list_file", .*\)\n)/m,
      '$1# packaged: admin states survive reboots (/run is emptied at boot)\nmodparam("dispatcher", "ds_admin_state_file", "/var/lib/dsd/dsd_ctl.admin-state.json")\n',
    );
  if (!cfg.includes('ds_admin_state_file'))
    die('etc/dsd.cfg has no list_file modparam line to anchor ds_admin_state_file');
  write(path.join(root, 'etc', 'dsd', 'dsd.cfg'), cfg);
  copy(path.join(REPO, 'etc', 'dispatcher.list'), path.join(root, 'etc', 'dsd', 'dispatcher.list'), 0o644);
  copy(path.join(REPO, 'etc', 'default', 'dsd'), path.join(root, 'etc', 'default', 'dsd'), 0o644);

  // service integration
  copy(path.join(REPO, 'etc', 'dsd.service'), path.join(root, 'lib', 'systemd', 'system', 'dsd.service'), 0o644);
  copy(
    path.join(REPO, 'etc', 'tmpfiles.d', 'dsd.conf'),
    path.join(root, 'usr', 'lib', 'tmpfiles.d', 'dsd.conf'),
    0o644,
  );
  copy(
    path.join(REPO, 'etc', 'sysusers.d', 'dsd.conf'),
    path.join(root, 'usr', 'lib', 'sysusers.d', 'dsd.conf'),
    0o644,
  );

  // documentation and completions
  gz(path.join(REPO, 'man', 'dsd.8'), path.join(root, 'usr', 'share', 'man', 'man8', 'dsd.8.gz'));
  gz(path.join(REPO, 'man', 'dsctl.8'), path.join(root, 'usr', 'share', 'man', 'man8', 'dsctl.8.gz'));
  gz(path.join(REPO, 'man', 'dsd.cfg.5'), path.join(root, 'usr', 'share', 'man', 'man5', 'dsd.cfg.5.gz'));
  copy(
    path.join(REPO, 'completions', 'dsctl.bash'),
    path.join(root, 'usr', 'share', 'bash-completion', 'completions', 'dsctl'),
    0o644,
  );
  copy(
    path.join(REPO, 'completions', '_dsctl'),
    path.join(root, 'usr', 'share', 'zsh', 'vendor-completions', '_dsctl'),
    0o644,
  );
  copy(
    path.join(REPO, 'completions', 'dsctl.fish'),
    path.join(root, 'usr', 'share', 'fish', 'vendor_completions.d', 'dsctl.fish'),
    0o644,
  );
  copy(path.join(REPO, 'README.md'), path.join(root, 'usr', 'share', 'doc', 'dsd', 'README.md'), 0o644);
  for (const f of ['uac.xml', 'uas.xml'])
    copy(path.join(REPO, 'etc', 'sipp', f), path.join(root, 'usr', 'share', 'doc', 'dsd', 'sipp', f), 0o644);
  write(
    path.join(root, 'usr', 'share', 'doc', 'dsd', 'copyright'),
    `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: dsd\nLicense: ${pkg.license}\n`,
  );

  // package metadata
  const du = execFileSync('du', ['-sk', '--exclude=DEBIAN', root], { encoding: 'utf8' }).split(/\s/)[0];
  write(
    path.join(root, 'DEBIAN', 'control'),
    [
      'Package: dsd',
      `Version: ${pkg.version}`,
      `Architecture: ${arch}`,
      'Maintainer: dsd developers <dsd@localhost>',
      `Installed-Size: ${du}`,
      'Depends: bsdutils, adduser | systemd',
      'Recommends: nodejs (>= 20)',
      'Section: net',
      'Priority: optional',
      `Description: ${pkg.description}`,
      " dsd reads Kamailio's dispatcher.list and kamailio.cfg language, answers kamcmd's",
      ' commands through dsctl, and runs as one Node.js daemon (Node.js 20 or later on PATH).',
      '',
    ].join('\n'),
  );
  write(path.join(root, 'DEBIAN', 'conffiles'), '/etc/dsd/dsd.cfg\n/etc/dsd/dispatcher.list\n/etc/default/dsd\n');
  write(
    path.join(root, 'DEBIAN', 'postinst'),
    `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers /usr/lib/sysusers.d/dsd.conf
  elif ! getent passwd dsd >/dev/null; then
    adduser --system --group --home /var/lib/dsd --no-create-home dsd
  fi
  if command -v systemd-tmpfiles >/dev/null 2>&1; then systemd-tmpfiles --create /usr/lib/tmpfiles.d/dsd.conf || true; fi
  if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
fi
exit 0
`,
    0o755,
  );
  write(
    path.join(root, 'DEBIAN', 'postrm'),
    `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
exit 0
`,
    0o755,
  );

  fs.mkdirSync(outDir, { recursive: true });
  const deb = path.join(outDir, `dsd_${pkg.version}_${arch}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', root, deb], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.stdout.write(`${deb}\n`);
} finally {
  fs.rmSync(staging, { recursive: true, force: true });
}
