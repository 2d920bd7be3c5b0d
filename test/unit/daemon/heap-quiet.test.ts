/**
 * QuietHeap (src/daemon/heap-quiet.ts): one low-memory collection when a process has gone
 * quiet and its heap has grown; none while messages flow, none without growth, one per
 * quiet stretch. Driven by tick(), on the real V8 heap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuietHeap, quietGrowthBytes, quietIntervalMs } from '../../../src/daemon/heap-quiet';

/** Grows the heap by about `mb` MB of live arrays, and returns a way to drop them. */
function grow(mb: number): () => void {
  let keep: number[][] | null = [];
  for (let i = 0; i < mb * 16; i++) keep.push(new Array<number>(8192).fill(i + 0.5));
  return () => {
    keep = null;
  };
}

test('busy: no collection; quiet after growth: one; quiet again without growth: none', () => {
  let handled = 0;
  const collected: number[] = [];
  const q = new QuietHeap({
    handled: () => handled,
    intervalMs: 1000,
    quietPerSecond: 20,
    growthBytes: 4 << 20,
    onCollect: (r) => collected.push(r.committedBefore - r.committedAfter),
  });
  q.start();
  try {
    const drop = grow(16);
    handled += 5000; // 5000 messages in the last second: a load
    q.tick();
    assert.equal(collected.length, 0);
    drop();
    handled += 3; // keepalives
    q.tick();
    assert.equal(collected.length, 1);
    assert.ok(collected[0]! > 0, `gave back ${collected[0]} bytes`);
    q.tick();
    q.tick();
    assert.equal(collected.length, 1, 'a quiet process is collected once');
  } finally {
    q.stop();
  }
});

test('quiet without growth: no collection', () => {
  const collected: unknown[] = [];
  const q = new QuietHeap({
    handled: () => 0,
    intervalMs: 1000,
    growthBytes: 64 << 20,
    onCollect: (r) => collected.push(r),
  });
  q.start();
  q.tick();
  q.stop();
  assert.equal(collected.length, 0);
});

test('DSD_HEAP_QUIET_MS: the interval, 0 for never, the default for nonsense', () => {
  assert.equal(quietIntervalMs({ DSD_HEAP_QUIET_MS: '500' }), 500);
  assert.equal(quietIntervalMs({ DSD_HEAP_QUIET_MS: '0' }), 0);
  assert.equal(quietIntervalMs({ DSD_HEAP_QUIET_MS: 'soon' }), 10_000);
  assert.equal(quietIntervalMs({}), 10_000);
  assert.equal(quietIntervalMs({ DSD_HEAP_QUIET_MS: '1e12' }), 3_600_000);
});

test('DSD_HEAP_QUIET_GROWTH_MB: the growth in MB, the default for nonsense, zero or less', () => {
  assert.equal(quietGrowthBytes({ DSD_HEAP_QUIET_GROWTH_MB: '2' }), 2 << 20);
  assert.equal(quietGrowthBytes({ DSD_HEAP_QUIET_GROWTH_MB: '0.5' }), 1 << 19);
  assert.equal(quietGrowthBytes({ DSD_HEAP_QUIET_GROWTH_MB: '0' }), 8 << 20);
  assert.equal(quietGrowthBytes({ DSD_HEAP_QUIET_GROWTH_MB: 'lots' }), 8 << 20);
  assert.equal(quietGrowthBytes({}), 8 << 20);
  assert.equal(quietGrowthBytes({ DSD_HEAP_QUIET_GROWTH_MB: '1e9' }), 4096 * 2 ** 20);
});
