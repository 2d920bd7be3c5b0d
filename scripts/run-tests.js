#!/usr/bin/env node
// Runs every compiled test file under dist/test, each file in its own `node --test` process.
// Scheduling: most files spend their time waiting on timers, replies and probes, not on
// CPU, so files run DSD_TEST_JOBS at a time (default 2). A file whose source carries the
// marker line `// dsd-test: alone` (sipp at high rates, several workers, CPU-bound fuzzing)
// runs with the machine to itself, after the shared files, so a load test never shares 2
// cores with another test. Each process gets DSD_TEST_SLOT (0 … jobs-1): test/helpers/ports.ts
// picks its ports from that slot's own range, so two files running together never race for
// one port. Everything else a file makes (temp dirs, namespaces, DB servers, sockets) is
// already private to its process.
// Files run in a shuffled order (seed printed; DSD_TEST_SEED=N repeats it) so no file can
// lean on another having run first; the unit files come after the other shared ones. Every test has a deadline (--test-timeout), so a
// leaked process or a lost reply fails the run instead of hanging it.
// Output: each file's spec report is printed whole when the file ends (never interleaved),
// headed by its path and wall time; the slowest files and the failed ones close the run.
// Coverage: the whole suite (no filter) collects V8 coverage of every node process the
// tests start (daemons and dsctl included, through NODE_V8_COVERAGE), prints a summary and
// fails under the floor in .c8rc.json. DSD_COVERAGE=0 turns it off, =1 on for a filtered run.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.join(__dirname, '..');
const root = path.join(repo, 'dist', 'test');
const only = process.argv.slice(2);
const ALONE = /^\/\/ dsd-test: alone\b/m;
function walk(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// mulberry32: a small seeded generator, so a failing order can be replayed
function shuffled(list, seed) {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = list.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The marker is read from the TypeScript source (the compiled file keeps it too). */
function runsAlone(file) {
  const src = path.join(repo, path.relative(path.join(repo, 'dist'), file)).replace(/\.js$/, '.ts');
  const text = fs.readFileSync(fs.existsSync(src) ? src : file, 'utf8');
  return ALONE.test(text);
}

const seed = process.env.DSD_TEST_SEED ? Number(process.env.DSD_TEST_SEED) : Math.floor(Math.random() * 2 ** 31);
const jobs = Math.max(1, Number(process.env.DSD_TEST_JOBS) || 2);
let files = walk(root, []).sort();
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
files = shuffled(files, seed);
const alone = files.filter(runsAlone);
// the short unit files go last: they fill the lanes while the last long files finish
const isUnit = (f) => f.includes(`${path.sep}unit${path.sep}`);
const shared = files
  .filter((f) => !alone.includes(f) && !isUnit(f))
  .concat(files.filter((f) => !alone.includes(f) && isUnit(f)));
const coverage = process.env.DSD_COVERAGE ? process.env.DSD_COVERAGE === '1' : only.length === 0;
const covDir = coverage ? fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-cov-')) : null;
const tapDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-tap-'));
console.log(
  `test order seed ${seed} (DSD_TEST_SEED=${seed} repeats it); ${shared.length} files ${jobs} at a time, ` +
    `${alone.length} alone${coverage ? '; collecting coverage' : ''}`,
);

const total = { pass: 0, fail: 0, skipped: 0 };
const results = []; // { file, secs, ok }
let seq = 0;

function runFile(file, slot) {
  return new Promise((resolve) => {
    const tap = path.join(tapDir, `${++seq}.tap`);
    // the seed also orders the cases inside files that ask for it (test/helpers/order.ts)
    const env = { ...process.env, DSD_TEST_SEED: String(seed), DSD_TEST_SLOT: String(slot) };
    if (covDir) env.NODE_V8_COVERAGE = covDir;
    const args = [
      '--test',
      '--test-timeout=600000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      file,
    ];
    const t0 = Date.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('close', (code, signal) => {
      const secs = (Date.now() - t0) / 1000;
      const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
      const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      // a test cancelled (its hook failed, its file timed out) is a failure too
      const fail = count('fail') + count('cancelled');
      total.pass += count('pass');
      total.fail += fail;
      total.skipped += count('skipped');
      const ok = code === 0 && fail === 0;
      if (!ok && fail === 0) total.fail++; // the file died without reporting a failure
      results.push({ file, secs, ok });
      const rel = path.relative(root, file);
      process.stdout.write(`\n${ok ? '▶' : '✖'} ${rel} (${secs.toFixed(1)} s${signal ? `, ${signal}` : ''})\n`);
      process.stdout.write(Buffer.concat(out));
      resolve();
    });
  });
}

async function pool(list, width) {
  const queue = list.slice();
  const lanes = Array.from({ length: Math.min(width, queue.length) }, async (_, slot) => {
    while (queue.length) await runFile(queue.shift(), slot);
  });
  await Promise.all(lanes);
}

async function main() {
  const t0 = Date.now();
  await pool(shared, jobs);
  await pool(alone, 1);
  const wall = (Date.now() - t0) / 1000;
  fs.rmSync(tapDir, { recursive: true, force: true });

  let failed = results.filter((r) => !r.ok).length;
  const slow = results
    .slice()
    .sort((a, b) => b.secs - a.secs)
    .slice(0, 12);
  console.log(`\nslowest files (of ${results.length}, ${wall.toFixed(0)} s wall):`);
  for (const r of slow) console.log(`  ${r.secs.toFixed(1).padStart(6)} s  ${path.relative(root, r.file)}`);
  if (covDir) {
    const c8 = path.join(repo, 'node_modules', 'c8', 'bin', 'c8.js');
    const cargs = ['--temp-directory', covDir, '--report-dir', path.join(repo, 'coverage')];
    // one pass over the (gigabytes of) raw coverage: .c8rc.json has check-coverage, so the
    // report itself fails below the floor
    const t1 = Date.now();
    const rep = spawnSync(process.execPath, [c8, 'report', ...cargs], { stdio: 'inherit', cwd: repo });
    console.log(`coverage report: ${((Date.now() - t1) / 1000).toFixed(0)} s`);
    fs.rmSync(covDir, { recursive: true, force: true });
    if (rep.status !== 0) {
      console.log('coverage: below the floor in .c8rc.json (or the report failed)');
      failed++;
      if (total.fail === 0) total.fail = 1;
    }
  }
  for (const r of results.filter((x) => !x.ok)) console.log(`✖ failed: ${path.relative(root, r.file)}`);
  console.log(`\ntests: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
  process.exit(failed ? 1 : 0);
}
void main();
