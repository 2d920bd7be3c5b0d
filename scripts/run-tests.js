#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's own test runner.
// Unit tests (test/unit/**) run in parallel; everything that starts daemons or sipp
// (any other folder) runs one file at a time so two load tests never share 2 cores.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', 'dist', 'test');
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
let files = walk(root, []).sort();
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
const unit = files.filter((f) => f.includes(`${path.sep}unit${path.sep}`));
const rest = files.filter((f) => !unit.includes(f));
const os = require('node:os');
let failedRuns = 0;
const total = { pass: 0, fail: 0, skipped: 0 };
for (const [group, conc] of [[unit, 2], [rest, 1]]) {
  if (!group.length) continue;
  // spec on the terminal, TAP into a file we count from
  const tap = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-tap-')), 'out.tap');
  const r = spawnSync(process.execPath, [
    '--test', `--test-concurrency=${conc}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...group,
  ], { stdio: 'inherit' });
  if (r.status !== 0) failedRuns++;
  const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  for (const k of Object.keys(total)) {
    const m = new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text);
    if (m) total[k] += Number(m[1]);
  }
  fs.rmSync(path.dirname(tap), { recursive: true, force: true });
}
if (failedRuns && total.fail === 0) total.fail = 1; // a run died without reporting
console.log(`\ntests: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
process.exit(failedRuns ? 1 : 0);
