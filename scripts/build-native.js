#!/usr/bin/env node
// Builds native/udpio (batched UDP reads for the listen sockets: src/transport/udp-native.ts)
// with node-gyp and copies it to dist/native/udpio.node, where the daemon looks for it. Run
// by `npm run build`, before the bundle (whose code cache is made by a real start).
//
// node-gyp is the copy npm ships with (npm sets npm_config_node_gyp for its scripts), or the
// one beside this node; the headers are node's own (npm's nodedir setting, else the
// prefix node was installed under). When it cannot be built (no compiler, not Linux), the
// build goes on with a warning and dsd reads its UDP sockets with node's dgram alone.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repo = path.join(__dirname, '..');
const src = path.join(repo, 'native', 'udpio');
const out = path.join(repo, 'dist', 'native', 'udpio.node');
const built = path.join(src, 'build', 'Release', 'udpio.node');

function warn(msg) {
  fs.rmSync(out, { force: true });
  process.stderr.write(`warning: ${msg}: dsd reads UDP with node's dgram only\n`);
  process.exit(0);
}

if (process.platform !== 'linux') warn('native/udpio is Linux only');
if (process.env.DSD_UDP_NATIVE === '0') warn('DSD_UDP_NATIVE=0: native/udpio not built');

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  return candidates.find((c) => c && fs.existsSync(c));
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.join(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

const sources = ['udpio.c', 'binding.gyp'].map((f) => path.join(src, f));
const mtime = (f) => fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? -1;
const fresh = mtime(built) >= Math.max(...sources.map(mtime));
if (!fresh) {
  const gyp = nodeGyp();
  if (!gyp) warn('node-gyp not found');
  const dir = nodeDir();
  const args = [gyp, 'rebuild', ...(dir ? [`--nodedir=${dir}`] : [])];
  const r = spawnSync(process.execPath, args, { cwd: src, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}`);
    warn('native/udpio did not build');
  }
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.copyFileSync(built, out);
