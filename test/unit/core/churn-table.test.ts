/**
 * The table for entries that come and go with every call (core/churn-table.ts) against a `Map` doing
 * the same thing: random inserts, replacements and removals, through growth and the
 * backward shifts a removal makes; and arrays it grew out of hold nothing afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChurnTable } from '../../../src/core/churn-table';

/** A small deterministic generator (xorshift32), so a failure replays. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

test('the same answers as a Map through 20,000 random operations, growth included', () => {
  const rand = rng(0x9e3779b9);
  const t = new ChurnTable<number>(8);
  const m = new Map<string, number>();
  for (let i = 0; i < 20000; i++) {
    // few distinct keys at first, then more: clusters, replacements and growth
    const key = `z9hG4bK${Math.floor(rand() * (200 + i / 10))}|127.0.0.1:5060|BYE`;
    const r = rand();
    if (r < 0.5) {
      t.set(key, i);
      m.set(key, i);
    } else if (r < 0.8) {
      assert.equal(t.delete(key), m.delete(key));
    } else {
      assert.equal(t.get(key), m.get(key));
      assert.equal(t.has(key), m.has(key));
    }
    assert.equal(t.size, m.size);
  }
  for (const [k, v] of m) assert.equal(t.get(k), v, k);
  assert.deepEqual(
    t.values().sort((a, b) => a - b),
    [...m.values()].sort((a, b) => a - b),
  );
});

test('deleteIf removes an entry only when it still maps to the value given', () => {
  const a = { n: 1 };
  const b = { n: 2 };
  const t = new ChurnTable<{ n: number }>();
  t.set('k', a);
  t.set('k', b);
  t.deleteIf('k', a);
  assert.equal(t.get('k'), b, 'a replaced entry stays');
  t.deleteIf('k', b);
  assert.equal(t.has('k'), false);
  assert.equal(t.size, 0);
});

test('growing leaves the old arrays empty: garbage that holds no transaction', () => {
  const t = new ChurnTable<object>(4);
  const internals = t as unknown as { keys: (string | null)[]; vals: (object | null)[] };
  const oldVals = internals.vals;
  for (let i = 0; i < 10; i++) t.set(`k${i}`, { i });
  assert.notEqual(internals.vals, oldVals, 'it grew');
  assert.ok(
    oldVals.every((v) => v === null),
    'the replaced array refers to nothing',
  );
  assert.equal(t.size, 10);
});
