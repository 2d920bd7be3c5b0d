#!/usr/bin/env node
// The daemon in one file: dist/dsd.js (+ .map), built by esbuild from tsc's output
// (dist/src/daemon/main.js and everything it imports). bin/dsd runs it when it is at
// least as new as the last tsc build, so node reads and compiles one file at start
// instead of ~300 (README, "Start-up": time to ready). Run by `npm run build` after tsc.
//
// - Input is tsc's JavaScript, not the TypeScript: the bundle holds the same code the
//   unbundled tree runs, and esbuild chains tsc's source maps, so dist/dsd.js.map points
//   at src/**/*.ts (node --enable-source-maps, c8).
// - Bundled: our code and the pure-JS packages every start loads (pino, json-rpc-2.0).
//   Left to node_modules: native modules and what dsd loads only when a cfg uses it.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const repo = path.join(__dirname, '..');
const pkg = require(path.join(repo, 'package.json'));
const BUNDLED = new Set(['pino', 'json-rpc-2.0']);

esbuild.buildSync({
  entryPoints: [path.join(repo, 'dist', 'src', 'daemon', 'main.js')],
  outfile: path.join(repo, 'dist', 'dsd.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // every dependency not listed above stays a require() of node_modules (subpaths too)
  external: Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d)),
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});
