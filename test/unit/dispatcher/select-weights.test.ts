import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineFrom, req } from './helpers';
import { initWeights, initRelativeWeights, shuffle100 } from '../../../src/modules/dispatcher/weights';
import { seededRng } from '../../../src/modules/dispatcher/rng';
import { DsSet } from '../../../src/modules/dispatcher/model';
import { at } from '../../helpers/at';

function counts(arr: ArrayLike<number>, n: number): number[] {
  const c = new Array(n).fill(0);
  for (let i = 0; i < arr.length; i++) c[at(arr, i)]++;
  return c;
}

test('weight table: slots per weight in array order, shortfall to the last entry, overflow dropped', async () => {
  // Array order is reverse file order for equal priorities: w50, w30, w20.
  const e = await engineFrom('2 sip:a 0 0 weight=20\n2 sip:b 0 0 weight=30\n2 sip:c 0 0 weight=50\n');
  const set = e.list!.byId.get(2)!;
  assert.deepEqual(
    set.dests.map((d) => d.attrs.weight),
    [50, 30, 20],
  );
  assert.deepEqual(counts(set.wlist, 3), [50, 30, 20]);
  const short = await engineFrom('1 sip:a 0 0 weight=10\n1 sip:b 0 0 weight=20\n');
  assert.deepEqual(counts(short.list!.byId.get(1)!.wlist, 2), [20, 80], 'the rest goes to index nr-1');
  const over = await engineFrom('1 sip:a 0 0 weight=40\n1 sip:b 0 0 weight=70\n1 sip:c 0 0 weight=100\n');
  assert.deepEqual(counts(over.list!.byId.get(1)!.wlist, 3), [100, 0, 0], 'beyond 100 slots is dropped');
  const first0 = await engineFrom('1 sip:a 0 0 weight=40\n1 sip:b 0 0\n');
  assert.deepEqual(counts(first0.list!.byId.get(1)!.wlist, 2), [100, 0], 'dest[0] without weight: all zeros');
  const bad = await engineFrom('1 sip:a 0 0 weight=0\n1 sip:b 0 0 weight=101\n1 sip:c 0 0 weight=x\n');
  assert.deepEqual(
    bad.list!.byId.get(1)!.dests.map((d) => d.attrs.weight),
    [0, 0, 0],
  );
});

test('alg 9 follows the shuffled table exactly; a down entry falls to the next index', async () => {
  const e = await engineFrom('2 sip:a 0 0 weight=20\n2 sip:b 0 0 weight=30\n2 sip:c 0 0 weight=50\n', { flags: 2 });
  const set = e.list!.byId.get(2)!;
  const picks: number[] = [];
  for (let i = 0; i < 200; i++) picks.push(e.select(2, 9, req(), { mode: 'dst' }).selected!.idx);
  assert.deepEqual(picks.slice(0, 100), Array.from(set.wlist));
  assert.deepEqual(counts(picks, 3), [100, 60, 40]);
  e.setStateRpc('i', 2, 'sip:b', false); // index 1 → its slots go to index 2
  const after: number[] = [];
  for (let i = 0; i < 100; i++) after.push(e.select(2, 9, req(), { mode: 'dst' }).selected!.idx);
  assert.deepEqual(counts(after, 3), [50, 0, 50]);
});

test('the shuffle is Fisher–Yates with k = j + rand % (100 - j)', () => {
  const calls: number[] = [];
  let n = 0;
  const rng = () => {
    calls.push(n);
    return n++ * 7;
  };
  const a = new Uint16Array(100).map((_, i) => i);
  shuffle100(a, rng);
  assert.equal(calls.length, 100);
  const b = Array.from({ length: 100 }, (_, i) => i);
  for (let j = 0; j < 100; j++) {
    const k = j + ((j * 7) % (100 - j));
    [b[j], b[k]] = [at(b, k), at(b, j)];
  }
  assert.deepEqual(Array.from(a), b);
});

test('relative weight: slices of the active sum, remainder to the last written index, rebuilt on state changes', async () => {
  const e = await engineFrom('1 sip:a 0 0 rweight=10\n1 sip:b 0 0 rweight=20\n1 sip:c 0 0 rweight=40\n', { flags: 2 });
  const set = e.list!.byId.get(1)!;
  // array: c(40) b(20) a(10); sum 70: floor(4000/70)=57, floor(2000/70)=28, floor(1000/70)=14 → 99, +1 to index 2
  assert.deepEqual(counts(set.rwlist, 3), [57, 28, 15]);
  e.setStateRpc('i', 1, 'sip:b', false);
  assert.deepEqual(counts(set.rwlist, 3), [80, 0, 20]);
  e.setStateRpc('a', 1, 'sip:b', false);
  assert.deepEqual(counts(set.rwlist, 3), [57, 28, 15]);
  const picks: number[] = [];
  for (let i = 0; i < 100; i++) picks.push(e.select(1, 11, req(), { mode: 'dst' }).selected!.idx);
  assert.deepEqual(counts(picks, 3), [57, 28, 15]);
  // `all` updates one entry after the other: the table is rebuilt for c down (b, a left),
  // then b down (a left); with a down too the sum is 0 and that last table is kept.
  e.setStateRpc('i', 1, 'all', false);
  assert.deepEqual(counts(set.rwlist, 3), [0, 0, 100]);
});

test('relative weight with many hosts: truncation remainder lands on the last active entry (kamailio#2698)', () => {
  const dests = Array.from({ length: 7 }, (_, i) => ({ flags: i === 6 ? 1 : 0, attrs: { rweight: 1 } }));
  const set = {
    id: 1,
    dests,
    last: 0,
    wlast: 0,
    rwlast: 0,
    wlist: new Uint16Array(100),
    rwlist: new Uint16Array(100),
  } as unknown as DsSet;
  assert.ok(initRelativeWeights(set, seededRng(3)));
  // 6 active of weight 1: 16 slots each = 96; 4 extra go to index 5 (last written); index 6 is down.
  assert.deepEqual(counts(set.rwlist, 7), [16, 16, 16, 16, 16, 20, 0]);
  const one = { ...set, dests: dests.slice(0, 1), rwlist: new Uint16Array(100) } as unknown as DsSet;
  assert.equal(initRelativeWeights(one, seededRng(3)), false, 'needs at least 2 entries');
  const w = new Uint16Array(100);
  initWeights([] as never, w, seededRng(1));
  assert.equal(
    w.every((x) => x === 0),
    true,
  );
});
