#!/usr/bin/env node
// Builds the native modules with node-gyp and copies each to dist/native/<name>.node, where
// the daemon looks for it. Run by `npm run build`, before the bundle (whose code cache is
// made by a real start):
//  - native/udpio: batched UDP reads for the listen sockets (src/transport/udp-native.ts);
//  - native/heap: V8's low-memory collection (src/daemon/full-gc.ts).
//
// node-gyp is the copy npm ships with (npm sets npm_config_node_gyp for its scripts), or the
// one beside this node; the headers are node's own (npm's nodedir setting, else the
// prefix node was installed under). When one cannot be built (no compiler, not Linux), the
// build goes on with a warning and dsd does without it: dgram alone for UDP, a plain full
// collection (and V8's own memory reducer off) for the heap.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const repo = path.join(__dirname, '..');

/** Each module's sources, why it is left out when it is, and what dsd does without it. */
const MODULES = {
  udpio: {
    sources: ['udpio.c'],
    off: () => (process.env.DSD_UDP_NATIVE === '0' ? 'DSD_UDP_NATIVE=0: native/udpio not built' : null),
    without: "dsd reads UDP with node's dgram only",
  },
  heap: {
    sources: ['heap.cc'],
    off: () => null,
    without: 'dsd collects its heap with a plain full collection',
  },
};

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

const mtime = (f) => fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** Builds native/<name> when its sources are newer than its build; the reason when it cannot. */
function build(name, { sources, off }) {
  if (process.platform !== 'linux') return `native/${name} is Linux only`;
  const why = off();
  if (why !== null) return why;
  const src = path.join(repo, 'native', name);
  const built = path.join(src, 'build', 'Release', `${name}.node`);
  const inputs = [...sources, 'binding.gyp'].map((f) => path.join(src, f));
  if (mtime(built) < Math.max(...inputs.map(mtime))) {
    const gyp = nodeGyp();
    if (!gyp) return 'node-gyp not found';
    const dir = nodeDir();
    const args = [gyp, 'rebuild', ...(dir ? [`--nodedir=${dir}`] : [])];
    const r = spawnSync(process.execPath, args, { cwd: src, encoding: 'utf8' });
    if (r.status !== 0) {
      process.stderr.write(`${r.stdout}${r.stderr}`);
      return `native/${name} did not build`;
    }
  }
  const out = path.join(repo, 'dist', 'native', `${name}.node`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.copyFileSync(built, out);
  return null;
}

for (const [name, m] of Object.entries(MODULES)) {
  const why = build(name, m);
  if (why !== null) {
    fs.rmSync(path.join(repo, 'dist', 'native', `${name}.node`), { force: true });
    process.stderr.write(`warning: ${why}: ${m.without}\n`);
  }
}
