/**
 * The V8 flags of a process that carries SIP (src/daemon/node-flags.ts): added to what a
 * process was given unless its owner set the same flag (either spelling, on the command
 * line or in NODE_OPTIONS), and bin/dsd's #! line gives exactly that list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DAEMON_NODE_FLAGS, withDaemonFlags } from '../../../src/daemon/node-flags';
import { REPO } from '../../helpers/paths';

test('the flags are added after the ones given', () => {
  assert.ok(DAEMON_NODE_FLAGS.length > 0);
  assert.deepEqual(withDaemonFlags([], ''), DAEMON_NODE_FLAGS);
  assert.deepEqual(withDaemonFlags(['--cpu-prof'], ''), ['--cpu-prof', ...DAEMON_NODE_FLAGS]);
});

test("an operator's own value wins: command line, NODE_OPTIONS, either spelling", () => {
  const others = (given: string) => DAEMON_NODE_FLAGS.filter((f) => !f.startsWith(given));
  assert.deepEqual(withDaemonFlags(['--max-semi-space-size=16'], ''), [
    '--max-semi-space-size=16',
    ...others('--max-semi-space-size'),
  ]);
  assert.deepEqual(withDaemonFlags(['--max_semi_space_size=8'], ''), [
    '--max_semi_space_size=8',
    ...others('--max-semi-space-size'),
  ]);
  assert.deepEqual(withDaemonFlags([], '--inspect  --max-semi-space-size=4'), others('--max-semi-space-size'));
  // --X and --no-X set the same flag
  assert.deepEqual(withDaemonFlags(['--memory-reducer'], ''), ['--memory-reducer', ...others('--no-memory-reducer')]);
  assert.deepEqual(withDaemonFlags(['--no-memory_reducer'], ''), [
    '--no-memory_reducer',
    ...others('--no-memory-reducer'),
  ]);
  // a flag that only starts like ours is another flag
  assert.deepEqual(withDaemonFlags(['--max-semi-space-size-x=1'], ''), [
    '--max-semi-space-size-x=1',
    ...DAEMON_NODE_FLAGS,
  ]);
});

test("bin/dsd's #! line runs node with exactly these flags", () => {
  const first = fs.readFileSync(path.join(REPO, 'bin', 'dsd'), 'utf8').split('\n')[0];
  assert.equal(first, `#!/usr/bin/env -S node ${DAEMON_NODE_FLAGS.join(' ')}`);
});
