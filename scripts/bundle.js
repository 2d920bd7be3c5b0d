#!/usr/bin/env node
// The daemon in one file: dist/dsd.js (+ .map), built by esbuild from tsc's output
// (dist/src/daemon/main.js and everything it imports), then its V8 code cache,
// dist/dsd.js.cache. bin/dsd runs the bundle when it is at least as new as the last tsc
// build, so node reads one file at start instead of ~300 and takes the bytecode from the
// cache instead of compiling it (README, design notes, "Start-up"). Run by `npm run build`.
//
// - Input is tsc's JavaScript, not the TypeScript: the bundle holds the same code the
//   unbundled tree runs, and esbuild chains tsc's source maps, so dist/dsd.js.map points
//   at src/**/*.ts (node --enable-source-maps).
// - Bundled: our code and the pure-JS packages every start loads (pino, json-rpc-2.0).
//   Left to node_modules: native modules and what dsd loads only when a cfg uses it.
// - The code cache is what one real start compiled: dsd on a temp copy of etc/dsd.cfg on
//   free loopback ports, through its warm-up to "started", then SIGTERM; bin/dsd writes
//   the cache as it exits (DSD_CODE_CACHE_WRITE=1). It runs under the daemon's node flags
//   (src/daemon/node-flags.ts): V8 rejects a cache made under other flags. If that start
//   fails the build goes on without a cache (a warning): dsd then compiles at start, as
//   without the bundle.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.join(__dirname, '..');
const dist = path.join(repo, 'dist');
const pkg = require(path.join(repo, 'package.json'));
const BUNDLED = new Set(['pino', 'json-rpc-2.0']);

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  // a tree whose node_modules predate the bundle: the build still works, bin/dsd runs dist/src
  for (const f of ['dsd.js', 'dsd.js.map', 'dsd.js.cache']) fs.rmSync(path.join(dist, f), { force: true });
  process.stderr.write('warning: esbuild is not installed (npm install): no dist/dsd.js, bin/dsd runs dist/src\n');
  process.exit(0);
}

esbuild.buildSync({
  entryPoints: [path.join(dist, 'src', 'daemon', 'main.js')],
  outfile: path.join(dist, 'dsd.js'),
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
asciiOnly(path.join(dist, 'dsd.js'));

/**
 * V8 holds a script's source for as long as it runs (lazy compilation reads it), at one
 * byte a character when every character fits in one and two otherwise. esbuild escapes
 * strings but copies comments as written, and a handful of "—", "→" and "§" in comments
 * made dist/dsd.js a 2.7 MB string in every dsd process instead of 1.3 MB. What is left outside ASCII is
 * escaped: in a comment it is text, and anywhere else `\uXXXX` means the same character.
 */
function asciiOnly(file) {
  const text = fs.readFileSync(file, 'utf8');
  const out = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (out !== text) fs.writeFileSync(file, out);
}

/**
 * etc/dsd.cfg on free loopback ports, its list and control socket in `dir`: the bench's
 * own helpers (tsc compiled them into dist/bench just before this runs).
 */
async function scratchCfg(dir) {
  const { freePorts } = require(path.join(dist, 'bench', 'lib', 'ports.js'));
  const { adaptDsdCfg, readDsdCfg, dispatcherList } = require(path.join(dist, 'bench', 'lib', 'dsd-config.js'));
  const [port, backend] = await freePorts(2);
  const list = path.join(dir, 'dispatcher.list');
  fs.writeFileSync(list, dispatcherList([backend]));
  const cfg = adaptDsdCfg(readDsdCfg(), port, list, `unix:${dir}/ctl`, true);
  fs.writeFileSync(path.join(dir, 'dsd.cfg'), cfg.text);
  return path.join(dir, 'dsd.cfg');
}

async function makeCodeCache() {
  const cache = path.join(dist, 'dsd.js.cache');
  fs.rmSync(cache, { force: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-code-cache-'));
  let proc = null;
  try {
    const cfg = await scratchCfg(dir);
    const env = { ...process.env, DSD_CODE_CACHE_WRITE: '1' };
    delete env.NODE_V8_COVERAGE;
    delete env.NODE_OPTIONS;
    // V8 takes a code cache only under the flags it was made with: the daemon's own (its #! line)
    const { DAEMON_NODE_FLAGS } = require(path.join(dist, 'src', 'daemon', 'node-flags.js'));
    proc = spawn(process.execPath, [...DAEMON_NODE_FLAGS, path.join(repo, 'bin', 'dsd'), '-DD', '-E', '-f', cfg], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const code = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "started" line in 60 s:\n${out.slice(-1500)}`)), 60_000);
      const on = (d) => {
        out += d;
        if (out.includes(' started, listening on')) proc.kill('SIGTERM');
      };
      proc.stdout.on('data', on);
      proc.stderr.on('data', on);
      proc.once('exit', (c) => {
        clearTimeout(timer);
        if (c === 0 && fs.existsSync(cache)) resolve(c);
        else reject(new Error(`dsd exited with ${c} and no cache:\n${out.slice(-1500)}`));
      });
    });
    proc = null;
    return code;
  } finally {
    if (proc) proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

makeCodeCache().catch((e) => {
  fs.rmSync(path.join(dist, 'dsd.js.cache'), { force: true });
  process.stderr.write(`warning: dist/dsd.js.cache not made (dsd will compile at start): ${e.message}\n`);
});
