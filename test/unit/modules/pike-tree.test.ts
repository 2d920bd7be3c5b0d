/**
 * pike's IP tree counts as Kamailio's does: with reqs_density_per_unit=16 a fresh IPv4
 * source builds its path with 6 requests (a prefix splits at a quarter of the density),
 * then its leaf counts; the 16th leaf hit (the 22nd request) blocks it. A plausible
 * wrong implementation — counting every request on the leaf — blocks at the 16th.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpTree } from '../../../src/modules/pike/ip-tree';
import { Pike, ipBytes } from '../../../src/modules/pike/pike';

const ip = (s: string): Uint8Array => ipBytes(s)!;
const quiet = { warn() {}, info() {}, debug() {} };

test('a burst within one unit: 21 allowed, the 22nd newly blocked, then blocked', () => {
  const t = new IpTree(16, 120_000);
  const r: number[] = [];
  for (let i = 0; i < 24; i++) r.push(t.mark(ip('10.1.2.3'), 1000));
  assert.deepEqual(r.slice(0, 21), new Array(21).fill(1));
  assert.equal(r[21], -2);
  assert.equal(r[22], -1);
  assert.equal(r[23], -1);
});

test('another address under the same prefix is not blocked by its neighbour', () => {
  const t = new IpTree(16, 120_000);
  for (let i = 0; i < 30; i++) t.mark(ip('10.1.2.3'), 1000);
  assert.equal(t.mark(ip('10.1.2.4'), 1000), 1);
});

test('unblocked at the second swap without hits (previous unit still hot at the first)', () => {
  const t = new IpTree(16, 120_000);
  for (let i = 0; i < 30; i++) t.mark(ip('10.1.2.3'), 1000);
  let unblocked = 0;
  t.swap(() => unblocked++);
  assert.equal(unblocked, 0);
  t.swap(() => unblocked++);
  assert.equal(unblocked, 1);
  assert.equal(t.mark(ip('10.1.2.3'), 1000), 1);
});

test('the previous unit is kept apart: 15 per unit never blocks, 16 within one unit does', () => {
  const t = new IpTree(16, 120_000);
  for (let i = 0; i < 6; i++) t.mark(ip('10.9.9.9'), 0); // path built
  for (let i = 0; i < 15; i++) assert.equal(t.mark(ip('10.9.9.9'), 0), 1);
  t.swap(() => {});
  for (let i = 0; i < 15; i++) assert.equal(t.mark(ip('10.9.9.9'), 0), 1);
  assert.equal(t.mark(ip('10.9.9.9'), 0), -2); // curr reaches 16
});

test('nodes expire after remove_latency without hits, the tree empties', () => {
  const t = new IpTree(16, 5000);
  for (let i = 0; i < 10; i++) t.mark(ip('10.1.2.3'), 0);
  assert.ok(t.roots.size === 1);
  for (let now = 1000; now <= 40_000 && t.roots.size > 0; now += 1000) t.clean(now);
  assert.equal(t.roots.size, 0);
});

test('IPv6 addresses are keyed by 16 bytes and printed as inet_ntop does', () => {
  assert.deepEqual([...ip('::1')], [...new Array(15).fill(0), 1]);
  assert.deepEqual([...ip('::ffff:1.2.3.4')], [1, 2, 3, 4]);
  assert.deepEqual([...ip('2001:db8::1:0:0:2')].slice(0, 4), [0x20, 0x01, 0x0d, 0xb8]);
  const p = new Pike({ samplingTimeUnit: 60, reqsDensityPerUnit: 4, removeLatency: 120, logLevel: 0 }, quiet);
  for (let i = 0; i < 40; i++) p.check('2001:db8::1:0:0:2');
  const top = p.top('HOT') as { list: Array<{ ip_addr: string; status: string }> };
  p.stop();
  assert.deepEqual(
    top.list.map((x) => [x.ip_addr, x.status]),
    [['2001:db8::1:0:0:2', 'HOT']],
  );
});

test('pike.top: HOT by default, ALL lists every address, a bad mode is a 500 fault text', () => {
  const p = new Pike({ samplingTimeUnit: 60, reqsDensityPerUnit: 16, removeLatency: 120, logLevel: 0 }, quiet);
  for (let i = 0; i < 30; i++) p.check('10.1.2.3');
  for (let i = 0; i < 30; i++) p.check('10.1.2.4');
  const hot = p.top(undefined) as { max_hits: number; list: Array<Record<string, unknown>>; number_of_rows: number };
  assert.equal(hot.max_hits, 16);
  assert.equal(hot.number_of_rows, hot.list.length);
  assert.ok(hot.list.some((x) => x.ip_addr === '10.1.2.3' && x.status === 'HOT' && x.leaf_hits_curr === 24));
  const all = p.top('ALL') as { list: unknown[] };
  assert.ok(all.list.length >= hot.list.length);
  assert.deepEqual(p.top('nonsense'), { error: 'Bad argument. Select: ALL, HOT or WARM' });
  assert.equal(p.blocked, 1 + (hot.list.length > 1 ? 1 : 0));
  p.stop();
});
