/**
 * The warm-up's deadline (src/daemon/warmup-deadline.ts): true until the deadline, then
 * false and DeadlinePassed from check(); the longest stretch between two checks is kept
 * (the bound the warm-up's report gives for its overrun), and when the deadline was first
 * found passed. Busy-waits stand in for work; nothing asserts how long anything took.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline, DeadlinePassed } from '../../../src/daemon/warmup-deadline';
import { DsdError } from '../../../src/core/errors';

/** Spins until performance.now() has moved past `until`. */
function spinUntil(until: number): void {
  while (performance.now() <= until) {
    /* work that cannot be interrupted */
  }
}

test('ok() holds until the deadline, then check() throws DeadlinePassed and passedAt is set once', () => {
  const t0 = performance.now();
  const d = new Deadline(t0 + 20, t0);
  assert.equal(d.ok(), true);
  assert.equal(d.passedAt, null);
  spinUntil(t0 + 20);
  assert.equal(d.ok(), false);
  const first = d.passedAt;
  assert.ok(first !== null && first >= d.at);
  assert.throws(
    () => d.check(),
    (e: unknown) => e instanceof DeadlinePassed && e instanceof DsdError && e.code === 'DSD_ERR_WARMUP_DEADLINE',
  );
  assert.equal(d.passedAt, first, 'the first time it was found passed is kept');
});

test('longestSliceMs is the longest stretch between two checks, and bounds the overrun', () => {
  const t0 = performance.now();
  const d = new Deadline(t0 + 5, t0);
  // slices of growing length; the deadline passes inside one of them
  for (const ms of [1, 2, 8]) {
    spinUntil(performance.now() + ms);
    d.ok();
  }
  // the last slice holds at least its 8 ms spin
  assert.ok(d.longestSliceMs >= 8, `${d.longestSliceMs}`);
  assert.ok(d.passedAt !== null);
  assert.ok(d.passedAt - d.at <= d.longestSliceMs, 'found passed within one slice of the deadline');
});

test('a deadline already gone (budget spent on setup) is found at the first check', () => {
  const t0 = performance.now();
  const d = new Deadline(t0, t0 - 50);
  assert.equal(d.ok(), false);
  assert.ok(d.longestSliceMs >= 50, 'the setup before the first check counts as a slice');
});
