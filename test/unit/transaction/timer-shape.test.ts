/**
 * A TxnTimer's `due` stays a small integer whatever the tick count it is armed with was
 * computed from (timer.ts, armTicks). One double stored there by unoptimised code turned the
 * field's representation for every TxnTimer and threw away the optimised code of everything
 * that makes one; it happened as each load drained (the linger table re-arms with a count
 * read from a Float64Array), and the next load began by compiling it all again
 * (bench/PROFILE.md, session 22). Checked with V8's own comparison of hidden classes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { TimerWheel, TxnTimer } from '../../../src/transaction/timer';

// natives syntax reaches only functions compiled after it is set
v8.setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

test('a timer armed with a count read from a Float64Array keeps the hidden class of the others', () => {
  const wheel = new TimerWheel(() => 0);
  const target = { onTimer: (): void => {} };
  const before = new TxnTimer(target);
  wheel.armTicks(before, 5, 1);
  const dues = new Float64Array([12]);
  const fromDouble = new TxnTimer(target);
  wheel.armTicks(fromDouble, dues[0]! - wheel.ticks, 1);
  const after = new TxnTimer(target);
  wheel.armTicks(after, 3, 1);
  try {
    assert.equal(fromDouble.due, 12);
    assert.ok(haveSameMap(before, fromDouble), 'the timer armed with a double took another hidden class');
    assert.ok(haveSameMap(before, after), 'timers made after it took another hidden class');
  } finally {
    for (const t of [before, fromDouble, after]) wheel.clear(t);
  }
});

test('the tick count is bounded, at least one, and rounded up', () => {
  const wheel = new TimerWheel(() => 0);
  const t = new TxnTimer({ onTimer: (): void => {} });
  try {
    wheel.armTicks(t, 0.2, 1);
    assert.equal(t.due, 1);
    // a fraction of a tick is waited out, never cut short
    wheel.armTicks(t, 2.5, 1);
    assert.equal(t.due, 3);
    wheel.armTicks(t, 2 ** 40, 1);
    assert.equal(t.due, 0x3fffffff);
  } finally {
    // an armed timer keeps the wheel's own Node timer, and the process, going
    wheel.clear(t);
  }
});
