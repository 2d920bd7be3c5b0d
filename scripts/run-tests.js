#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's own test runner.
// Unit tests (test/unit/**) run in parallel; everything that starts daemons or sipp
// (any other folder) runs one file at a time so two load tests never share 2 cores.
// Files run in a shuffled order (seed printed; DSD_TEST_SEED=N repeats it) so no file can
// lean on another having run first. Every test has a deadline (--test-timeout), so a
// leaked process or a lost reply fails the run instead of hanging it.
// Coverage: the whole suite (no filter) collects V8 coverage of every node process the
// tests start (daemons and dsctl included, through NODE_V8_COVERAGE), prints a summary and
// fails under the floor in .c8rc.json. DSD_COVERAGE=0 turns it off, =1 on for a filtered run.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.join(__dirname, '..');
const root = path.join(repo, 'dist', 'test');
const only = process.argv.slice(2);
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

const seed = process.env.DSD_TEST_SEED ? Number(process.env.DSD_TEST_SEED) : Math.floor(Math.random() * 2 ** 31);
let files = walk(root, []).sort();
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
files = shuffled(files, seed);
const unit = files.filter((f) => f.includes(`${path.sep}unit${path.sep}`));
const rest = files.filter((f) => !unit.includes(f));
const coverage = process.env.DSD_COVERAGE ? process.env.DSD_COVERAGE === '1' : only.length === 0;
const covDir = coverage ? fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-cov-')) : null;
console.log(`test order seed ${seed} (DSD_TEST_SEED=${seed} repeats it)${coverage ? '; collecting coverage' : ''}`);

let failedRuns = 0;
const total = { pass: 0, fail: 0, skipped: 0 };
for (const [group, conc] of [
  [unit, 2],
  [rest, 1],
]) {
  if (!group.length) continue;
  // spec on the terminal, TAP into a file we count from
  const tap = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-tap-')), 'out.tap');
  // the seed also orders the cases inside files that ask for it (test/helpers/order.ts)
  const env = { ...process.env, DSD_TEST_SEED: String(seed) };
  if (covDir) env.NODE_V8_COVERAGE = covDir;
  const r = spawnSync(
    process.execPath,
    [
      '--test',
      `--test-concurrency=${conc}`,
      '--test-timeout=600000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...group,
    ],
    { stdio: 'inherit', env },
  );
  if (r.status !== 0) failedRuns++;
  const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  for (const k of Object.keys(total)) {
    const m = new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text);
    if (m) total[k] += Number(m[1]);
  }
  fs.rmSync(path.dirname(tap), { recursive: true, force: true });
}
if (failedRuns && total.fail === 0) total.fail = 1; // a run died without reporting

if (covDir) {
  const c8 = path.join(repo, 'node_modules', 'c8', 'bin', 'c8.js');
  const args = ['--temp-directory', covDir, '--report-dir', path.join(repo, 'coverage')];
  const rep = spawnSync(process.execPath, [c8, 'report', ...args], { stdio: 'inherit', cwd: repo });
  const chk = spawnSync(process.execPath, [c8, 'check-coverage', ...args], { stdio: 'inherit', cwd: repo });
  fs.rmSync(covDir, { recursive: true, force: true });
  if (rep.status !== 0 || chk.status !== 0) {
    console.log('coverage: below the floor in .c8rc.json (or the report failed)');
    failedRuns++;
    if (total.fail === 0) total.fail = 1;
  }
}
console.log(`\ntests: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
process.exit(failedRuns ? 1 : 0);
