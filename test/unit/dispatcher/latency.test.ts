import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimatorAlpha, latencyMs, updateLatencyStats } from '../../../src/modules/dispatcher/latency';
import { newLatencyStats } from '../../../src/modules/dispatcher/model';
import { FakeClock, engineFrom } from './helpers';
import { at } from '../../helpers/at';

const f = Math.fround;

test('online mean/std, float32 storage, estimator = average for the first 9 samples', () => {
  const s = newLatencyStats(null);
  const a = estimatorAlpha(900);
  for (const l of [10, 20, 30]) updateLatencyStats(s, l, a);
  assert.equal(s.count, 3);
  assert.equal(s.avg, 20);
  assert.equal(s.est, 20);
  assert.equal(s.min, 10);
  assert.equal(s.max, 30);
  assert.equal(s.m2, 200);
  assert.equal(s.std, 10);
  const s2 = newLatencyStats(null);
  updateLatencyStats(s2, 10, a);
  updateLatencyStats(s2, 13, a);
  assert.equal(s2.avg, 11.5);
  assert.equal(s2.std, f(Math.sqrt(4.5)), 'stored as float32');
});

test('5.6 EWMA: EST = EST·α + lat·(1−α) from the 10th sample; α = param/1000 (default 900)', () => {
  const s = newLatencyStats(null);
  const a = estimatorAlpha(900);
  assert.equal(a, f(0.9));
  for (let i = 0; i < 9; i++) updateLatencyStats(s, i % 2 ? 10 : 30, a); // std well above 0.5
  const est9 = s.est;
  assert.equal(est9, s.avg);
  updateLatencyStats(s, 100, a);
  assert.equal(s.count, 10);
  assert.equal(s.est, f(f(est9 * a) + f(100 * f(1 - a))));
  assert.ok(Math.abs(s.est - (est9 * 0.9 + 10)) < 1e-4);
  const s7 = newLatencyStats(null);
  const a7 = estimatorAlpha(100);
  for (let i = 0; i < 10; i++) updateLatencyStats(s7, 50, a7);
  updateLatencyStats(s7, 150, a7);
  assert.ok(Math.abs(s7.est - (50 * 0.1 + 150 * 0.9)) < 1e-3, 'α=0.1 follows the new sample closely');
});

test('a stable series is "trained": count jumps to 10000 after 10 samples with std < 0.5', () => {
  const s = newLatencyStats(null);
  for (let i = 0; i < 11; i++) updateLatencyStats(s, 7, estimatorAlpha(900));
  assert.equal(s.count, 10000);
  const seeded = newLatencyStats(25);
  assert.deepEqual([seeded.avg, seeded.est, seeded.min, seeded.max, seeded.count], [25, 25, 25, 25, 10000]);
});

test('latency in whole ms as Kamailio computes it from timevals', () => {
  assert.equal(latencyMs(1000.0, 1012.7), 12);
  assert.equal(latencyMs(1999.5, 2000.4), 1, 'a 0.9 ms answer across a second boundary counts 1 ms');
  assert.equal(latencyMs(5000, 5000), 0);
});

test('keepalive latency: only P entries, 408 counts TIMEOUT and nothing else, LATENCY in dispatcher.list', async () => {
  const clock = new FakeClock();
  const e = await engineFrom(
    '1 sip:10.0.0.1 8\n1 sip:10.0.0.2\n',
    { ds_probing_mode: 3, ds_ping_latency_stats: 1 },
    { clock: clock.now },
  );
  const t = at(e.pingTargets(), 0, 'ping target');
  e.pingSent(t);
  clock.advance(42.3);
  e.pingResult(t, 200, 'OK', true);
  const d = e.list!.byId.get(1)!.dests.find((x) => x.uri === 'sip:10.0.0.1')!;
  assert.deepEqual([d.latency.count, d.latency.avg, d.latency.max, d.latency.timeout], [1, 42, 42, 0]);
  e.pingSent(t);
  clock.advance(5000);
  e.pingResult(t, 408, null, false);
  assert.deepEqual([d.latency.count, d.latency.avg, d.latency.timeout], [1, 42, 1]);
  const other = e.list!.byId.get(1)!.dests.find((x) => x.uri === 'sip:10.0.0.2')!;
  assert.equal(other.latency.count, 0);
});

test('congestion control (cc=1): rweight follows weight − congestion; all congested → ratio of congestion', async () => {
  const e = await engineFrom(
    '1 sip:10.0.0.1 8 0 cc=1;weight=10;rweight=10\n1 sip:10.0.0.2 8 0 cc=1;weight=10;rweight=10\n',
    { ds_probing_mode: 1, ds_ping_latency_stats: 1 },
  );
  const set = e.list!.byId.get(1)!;
  const [b, a] = set.dests; // array: .2 .1
  assert.ok(a && b, 'two destinations');
  a.latency.est = 25;
  a.latency.avg = 20; // 5 ms congestion → active weight 5 (normal)
  b.latency.est = 40;
  b.latency.avg = 20; // 20 ms → congested
  // Replies without a send stamp leave the stats alone, so the figures above stay put.
  const ta = e.pingTargets().find((t) => t.uri === 'sip:10.0.0.1')!;
  const counts = () => {
    const c = [0, 0];
    for (const i of set.rwlist) c[i] = (c[i] ?? 0) + 1;
    return c;
  };
  e.pingResult(ta, 200, 'OK', true);
  assert.deepEqual([a.attrs.rweight, b.attrs.rweight], [5, 10], 'only the pinged member takes its active weight');
  assert.deepEqual(counts(), [66, 34]);
  a.latency.est = 45; // now both congested (25 and 20 ms): rweight = (45 << 4) / cms
  e.pingResult(ta, 200, 'OK', true);
  assert.deepEqual([a.attrs.rweight, b.attrs.rweight], [Math.trunc(720 / 25), Math.trunc(720 / 20)]);
  assert.deepEqual(
    counts(),
    [Math.trunc((36 * 100) / 64), 100 - Math.trunc((36 * 100) / 64)],
    'rwlist rebuilt from the new rweights',
  );
});
