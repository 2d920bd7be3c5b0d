/**
 * Time to ready (issue #19): bin/dsd runs the daemon from one file, dist/dsd.js (made by
 * `npm run build`, scripts/bundle.js), so node reads one file at start instead of ~300, and
 * the packages only some configs need are loaded only when the cfg uses them. Observed on
 * the real daemon: a preload (NODE_OPTIONS=--require, inherited by the SIP workers) writes
 * the files each process loaded when it exits. bin/dsd's choice of entry (the bundle unless
 * older than tsc's last build, DSD_BUNDLE=0, or a coverage run) and its use of the bundle's
 * code cache (only the one made from that very bundle) are checked on a scratch tree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startDsd, basicCfg, tmpDir, REPO } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { startSipp, runUac, UAC_XML, UAS_XML, num, haveSipp } from '../helpers/sipp';

const skip = haveSipp() ? false : 'sipp not installed';
const BUNDLE = path.join(REPO, 'dist', 'dsd.js');
const SRC = `${path.join(REPO, 'dist', 'src')}${path.sep}`;
/** Loaded only when a cfg uses them (a DB URL, a unixd: socket, TLS/WebSocket, metrics, systemd). */
const OPTIONAL = ['better-sqlite3', 'node-unix-socket', 'pg', 'mysql2', 'ws', 'prom-client', 'pino-pretty'];

const PRELOAD = `'use strict';
const out = process.env.DSD_TEST_LOADED;
process.on('exit', () => require('node:fs').writeFileSync(out + '.' + process.pid, Object.keys(require.cache).join('\\n')));
`;

/** The files each process of the daemon loaded, by pid. */
function loadedFiles(dir: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const f of fs.readdirSync(dir).filter((x) => x.startsWith('loaded.'))) {
    out.set(Number(f.slice('loaded.'.length)), fs.readFileSync(path.join(dir, f), 'utf8').split('\n'));
  }
  return out;
}

const packages = (files: string[]): Set<string> =>
  new Set(files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((x): x is string => !!x));

interface Run {
  /** The files each process of the daemon loaded, by pid. */
  procs: Map<number, string[]>;
  /** The "ready for traffic" line (JSON), when there is one (one process). */
  ready: { loaded_from?: string; code_cache?: string; files_loaded?: number } | null;
}

function readyLine(out: string): Run['ready'] {
  const l = out.split('\n').find((x) => x.startsWith('{') && x.includes('ready for traffic'));
  return l ? (JSON.parse(l) as Run['ready']) : null;
}

async function run(o: { extra?: string; args?: string[]; env?: NodeJS.ProcessEnv }): Promise<Run> {
  const [px, b1, c1, uac, c2] = await freePorts(5);
  const probe = tmpDir('dsd-bundle-test-');
  fs.writeFileSync(path.join(probe, 'preload.js'), PRELOAD);
  const uas = startSipp({ scenario: UAS_XML, port: b1!, controlPort: c1! });
  let dsd;
  try {
    dsd = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: ['modparam("tm", "fr_timer", 15000)'], extra: o.extra }),
      list: `1 sip:127.0.0.1:${b1} 0 0\n`,
      args: o.args,
      env: {
        NODE_OPTIONS: `--require ${path.join(probe, 'preload.js')}`,
        DSD_TEST_LOADED: path.join(probe, 'loaded'),
        // the suite's coverage run makes bin/dsd take dist/src: here the default is the point
        NODE_V8_COVERAGE: undefined,
        ...o.env,
      },
    });
    const r = await runUac({
      scenario: UAC_XML,
      port: uac!,
      controlPort: c2!,
      remote: `127.0.0.1:${px}`,
      calls: 3,
      rate: 10,
      timeoutMs: 60_000,
    });
    assert.equal(num(r.stats, 'SuccessfulCall(C)'), 3, `${r.output.slice(-1500)}\n${dsd.output()}`);
    const out = dsd.output();
    assert.equal(await dsd.stop(), 0, out);
    dsd = null;
    return { procs: loadedFiles(probe), ready: readyLine(out) };
  } finally {
    await dsd?.stop();
    await uas.stop();
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

test(
  'bin/dsd runs dist/dsd.js: no file of dist/src is loaded, no optional package, and calls complete',
  { skip, timeout: 120_000 },
  async () => {
    assert.ok(fs.existsSync(BUNDLE), 'npm run build makes dist/dsd.js');
    const { procs, ready } = await run({});
    assert.equal(procs.size, 1, 'one process');
    // npm run build made the code cache from this bundle: V8 took it
    assert.equal(ready?.loaded_from, 'dist/dsd.js');
    assert.equal(ready?.code_cache, 'accepted');
    // bin/dsd, dist/dsd.js, this test's preload, dist/native/udpio.node (the UDP reads) and
    // dist/native/heap.node (the warm-up's low-memory collection)
    assert.equal(ready?.files_loaded, 5, JSON.stringify(ready));
    const [files] = [...procs.values()];
    assert.ok(files!.includes(BUNDLE), files!.join('\n'));
    assert.ok(files!.includes(path.join(REPO, 'dist', 'native', 'udpio.node')), files!.join('\n'));
    assert.ok(files!.includes(path.join(REPO, 'dist', 'native', 'heap.node')), files!.join('\n'));
    assert.deepEqual(
      files!.filter((f) => f.startsWith(SRC)),
      [],
    );
    const loaded = packages(files!);
    assert.deepEqual(
      OPTIONAL.filter((p) => loaded.has(p)),
      [],
      `loaded: ${[...loaded].join(', ')}`,
    );
  },
);

test(
  'the SIP workers run the bundle too; a unixd: control socket loads node-unix-socket',
  { skip, timeout: 120_000 },
  async () => {
    const { procs } = await run({ args: ['-n', '2'], extra: 'modparam("ctl", "binrpc", "unixd:{DIR}/ctl_dgram")' });
    assert.equal(procs.size, 3, 'the primary and two workers');
    for (const [pid, files] of procs) {
      assert.ok(files.includes(BUNDLE), `${pid}: ${files.join('\n')}`);
      assert.deepEqual(
        files.filter((f) => f.startsWith(SRC)),
        [],
      );
    }
    // the control sockets are the primary's: there, and only there, the datagram socket's module
    const withDgram = [...procs.values()].filter((f) => packages(f).has('node-unix-socket'));
    assert.equal(withDgram.length, 1, 'node-unix-socket loaded by the process serving unixd:');
  },
);

test('dist/dsd.js is ASCII, so every process holds its source at one byte a character', () => {
  const text = fs.readFileSync(BUNDLE);
  const at = text.findIndex((b) => b > 0x7f);
  // the sources' comments have "—", "→", "§": scripts/bundle.js escapes what esbuild left
  assert.equal(
    at,
    -1,
    `a byte outside ASCII at ${at}: ${text.subarray(Math.max(0, at - 40), at + 10).toString('utf8')}`,
  );
});

test('DSD_BUNDLE=0 runs dist/src', { skip, timeout: 120_000 }, async () => {
  const { procs, ready } = await run({ env: { DSD_BUNDLE: '0' } });
  const [files] = [...procs.values()];
  assert.equal(ready?.loaded_from, 'dist/src');
  assert.ok(!files!.includes(BUNDLE));
  assert.ok(files!.includes(path.join(SRC, 'daemon', 'main.js')), files!.join('\n'));
});

test('bin/dsd takes the bundle unless it is older than the last tsc build', () => {
  const dir = tmpDir('dsd-bin-test-');
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.mkdirSync(path.join(dir, 'dist', 'src', 'daemon'), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'bin', 'dsd'), path.join(dir, 'bin', 'dsd'));
    const entry = (name: string) =>
      `exports.main = async () => process.stdout.write('${name}' + ' ' + (globalThis[Symbol.for('dsd.loaded')]?.codeCache ?? '-'));\n`;
    fs.writeFileSync(path.join(dir, 'dist', 'dsd.js'), entry('bundle'));
    fs.writeFileSync(path.join(dir, 'dist', 'src', 'daemon', 'main.js'), entry('tree'));
    const launch = (env: NodeJS.ProcessEnv = {}): string =>
      spawnSync(process.execPath, [path.join(dir, 'bin', 'dsd')], {
        encoding: 'utf8',
        env: { ...process.env, NODE_V8_COVERAGE: undefined, NODE_OPTIONS: undefined, ...env },
      }).stdout;
    const which = (env: NodeJS.ProcessEnv = {}): string => launch(env).split(' ')[0]!;
    // no tsc build info (an installed package): the bundle
    assert.equal(which(), 'bundle');
    // its code cache: none yet; written at exit when asked (the build does), then taken;
    // one made from another bundle is not read, and bytes V8 cannot use are refused
    const cache = path.join(dir, 'dist', 'dsd.js.cache');
    assert.equal(launch(), 'bundle none');
    assert.equal(launch({ DSD_CODE_CACHE_WRITE: '1' }), 'bundle none');
    assert.ok(fs.existsSync(cache));
    assert.equal(launch(), 'bundle accepted');
    assert.equal(launch({ DSD_CODE_CACHE: '0' }), 'bundle none');
    const made = fs.readFileSync(cache);
    fs.writeFileSync(cache, Buffer.concat([Buffer.from('0'.repeat(64)), made.subarray(64)]));
    assert.equal(launch(), 'bundle none', 'a cache of another bundle');
    fs.writeFileSync(cache, Buffer.concat([made.subarray(0, 64), Buffer.from('not V8 data')]));
    assert.equal(launch(), 'bundle rejected');
    const info = path.join(dir, 'dist', '.tsbuildinfo');
    fs.writeFileSync(info, '{}');
    const t = Date.now() / 1000;
    fs.utimesSync(info, t - 60, t - 60);
    assert.equal(which(), 'bundle', 'bundle newer than the tsc build');
    assert.equal(which({ DSD_BUNDLE: '0' }), 'tree');
    assert.equal(which({ NODE_V8_COVERAGE: dir }), 'tree', 'coverage maps dist/src, not the bundle');
    fs.utimesSync(info, t + 60, t + 60);
    assert.equal(which(), 'tree', 'tsc ran after the bundle was made: the bundle is stale');
    fs.rmSync(path.join(dir, 'dist', 'dsd.js'));
    fs.utimesSync(info, t - 60, t - 60);
    assert.equal(which(), 'tree', 'no bundle');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
