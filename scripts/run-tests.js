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
let failed = 0;
for (const [group, conc] of [[unit, 2], [rest, 1]]) {
  if (!group.length) continue;
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${conc}`, '--test-reporter=spec', ...group], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
