import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, engineFrom, req } from './helpers';
import { Dispatcher } from '../../../src/modules/dispatcher/engine';
import { params } from './helpers';
import { seededRng } from '../../../src/modules/dispatcher/rng';
import { at } from '../../helpers/at';

test('alg 12: first active is pushed, every later entry becomes a branch (no state check)', async () => {
  const e = await engineFrom('1 sip:10.0.0.1 0 3\n1 sips:10.0.0.2:5061 0 2\n1 sip:10.0.0.3 0 1\n1 tel:+123 0 0 \n', {
    flags: 2,
  });
  // tel: is refused at load; array: .1 .2 .3
  e.setStateRpc('i', 1, 'sip:10.0.0.1', false);
  e.setStateRpc('i', 1, 'sip:10.0.0.3', false);
  const d = e.select(1, 12, req({ ruri: 'sip:bob@example.com' }), { mode: 'dst' });
  assert.equal(d.push!.uri, 'sips:10.0.0.2:5061');
  assert.deepEqual(d.branches, [{ ruri: 'sip:bob@example.com', dstUri: 'sip:10.0.0.3', sock: null }]);
  assert.deepEqual(d.records, [], 'no failover records');
  assert.equal(d.ctxCnt, 0);
  const r = e.select(1, 12, req({ ruri: 'sip:bob@example.com' }), { mode: 'domain' });
  assert.equal(r.push!.newRuri, 'sip:bob@10.0.0.2:5061');
  assert.deepEqual(
    r.branches!.map((b) => b.ruri),
    ['sip:bob@10.0.0.3'],
  );
  const x = e.select(1, 12, req(), { mode: 'xavp' });
  assert.deepEqual(
    x.branches!.map((b) => b.dstUri),
    ['sips:10.0.0.2:5061', 'sip:10.0.0.3'],
    'xavp mode starts at the chosen entry',
  );
  e.setStateRpc('a', 1, 'all', false);
  const s = e.select(1, 12, req({ ruri: 'sip:example.com' }), { mode: 'domain' });
  assert.deepEqual(
    s.branches!.map((b) => b.ruri),
    ['sips:10.0.0.2:5061', 'sip:10.0.0.3'],
    'no R-URI user: the destination URI',
  );
  const u = e.select(1, 12, req({ ruri: 'sip:al@example.com' }), { mode: 'domain' });
  assert.deepEqual(
    u.branches!.map((b) => b.ruri),
    ['sips:al@10.0.0.2:5061', 'sip:al@10.0.0.3'],
  );
});

test('alg 13: adjusted priority by latency, round robin among the best, failover in sorted order', async () => {
  const e = await engineFrom('1 sip:10.0.0.1 0 10\n1 sip:10.0.0.2 0 10\n1 sip:10.0.0.3 0 10\n1 sip:10.0.0.4 0 1\n', {
    flags: 2,
    ds_ping_latency_stats: 1,
  });
  const set = e.list!.byId.get(1)!; // array: .3 .2 .1 (prio 10) .4 (prio 1)
  assert.deepEqual(
    set.dests.map((d) => d.uri.slice(-1)),
    ['3', '2', '1', '4'],
  );
  const pick = () => {
    const r = e.select(1, 13, req(), { mode: 'dst' });
    return r.records.map((x) => x.uri.slice(-1)).join('');
  };
  // No latency: everything at its priority; RR among the prio-10 entries.
  assert.deepEqual([pick(), pick(), pick(), pick()], ['3214', '2134', '1324', '3214']);
  // .2 has EST 35 ms: rprio = 10 - floor(35/10) = 7, below the other prio-10 entries.
  at(set.dests, 1).latency.est = 35;
  assert.equal(pick(), '1324'); // walk from last=1: .2(7) .1(10) .4(1) .3(10)
  at(set.dests, 1).latency.est = 500; // rprio clamps to 1; ties with .4 keep walk order (stable sort)
  set.last = 0;
  assert.equal(pick(), '3124');
  // cc=1 uses EST - AVG instead of EST.
  const cc = await engineFrom('1 sip:10.0.0.1 0 10 cc=1\n1 sip:10.0.0.2 0 5\n', { flags: 2 });
  const cs = cc.list!.byId.get(1)!;
  at(cs.dests, 0).latency.est = 80;
  at(cs.dests, 0).latency.avg = 30; // congestion 50 → 10 - 5 = 5: tie, walk order
  assert.equal(cc.select(1, 13, req(), { mode: 'dst' }).selected!.uri, 'sip:10.0.0.1');
  at(cs.dests, 0).latency.avg = 10; // congestion 70 → 10 - 7 = 3 < 5
  assert.equal(cc.select(1, 13, req(), { mode: 'dst' }).selected!.uri, 'sip:10.0.0.2');
  cc.setStateRpc('i', 1, 'all', false);
  assert.equal(cc.select(1, 13, req(), { mode: 'dst' }).code, -1);
});

test('alg 64: round robin that skips an overloaded entry for ocrate % of picks while the rate is valid', async () => {
  const clock = new FakeClock();
  const e = await engineFrom('1 sip:10.0.0.1\n1 sip:10.0.0.2\n', { flags: 2 }, { clock: clock.now });
  assert.equal(e.ocSetAttrs(1, 'SIP:10.0.0.2', 100, 1000, 1), 1);
  assert.equal(e.ocSetAttrs(1, 'sip:10.0.0.2', 50, 1000, 1), -2, 'same seq: ignored');
  assert.equal(e.ocSetAttrs(7, 'sip:10.0.0.2', 50, 1000, 2), -1);
  const picks: string[] = [];
  for (let i = 0; i < 10; i++) picks.push(e.select(1, 64, req(), { mode: 'dst' }).selected!.uri.slice(-1));
  assert.deepEqual(picks, Array(10).fill('1'), 'rate 100: .2 is always skipped');
  clock.advance(1001);
  const later: string[] = [];
  for (let i = 0; i < 4; i++) later.push(e.select(1, 64, req(), { mode: 'dst' }).selected!.uri.slice(-1));
  assert.deepEqual(later.sort(), ['1', '1', '2', '2'], 'validity over: plain round robin');
  assert.equal(e.ocSetAttrs(1, 'sip:10.0.0.2', 30, 0, 2), 1);
  const d = e.list!.byId.get(1)!.dests.find((x) => x.uri === 'sip:10.0.0.2')!;
  assert.equal(
    d.oc.ocdist.reduce((a, b) => a + (b === 0 ? 1 : 0), 0),
    30,
  );
  assert.equal(d.oc.octimeMs, clock.ms + 500, 'tval <= 0 means 500 ms');
  const dsg = e.dsgFetch(1, 'sip:10.0.0.2')!;
  assert.deepEqual([dsg.count, dsg.active, dsg.ocrate, dsg.ocseq], [2, 2, 30, 2]);
  const ocl = await engineFrom('1 sip:10.0.0.1 0 0 ocmin=10;ocmax=40;ocrate=70\n');
  const o = at(ocl.list!.byId.get(1)!.dests, 0).oc;
  assert.deepEqual([o.ocmin, o.ocmax, o.ocrate], [10, 40, 40]);
});

test('alg 6 (random): uniform within statistical bounds, over the active entries only', async () => {
  const e = new Dispatcher({ params: params({ flags: 2 }), rng: seededRng(2024) });
  await e.loadInitial({ text: '1 sip:10.0.0.1\n1 sip:10.0.0.2\n1 sip:10.0.0.3\n1 sip:10.0.0.4\n', fileName: 't' });
  const n = 20000;
  const c = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const u = e.select(1, 6, req(), { mode: 'dst' }).selected!.uri;
    c.set(u, (c.get(u) ?? 0) + 1);
  }
  for (const v of c.values()) assert.ok(Math.abs(v - n / 4) < 5 * Math.sqrt(n * 0.25 * 0.75), `count ${v}`);
  e.setStateRpc('i', 1, 'sip:10.0.0.2', false);
  const c2 = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const u = e.select(1, 6, req(), { mode: 'dst' }).selected!.uri;
    c2.set(u, (c2.get(u) ?? 0) + 1);
  }
  assert.equal(c2.get('sip:10.0.0.2'), undefined);
  // Kamailio's skip loop hands the down entry's quarter to its array neighbour.
  const order = e.list!.byId.get(1)!.dests.map((d) => d.uri);
  const next = at(order, (order.indexOf('sip:10.0.0.2') + 1) % 4);
  assert.ok(Math.abs(c2.get(next)! - n / 2) < 5 * Math.sqrt(n * 0.25));
});

test("ds_hash_respread: a down destination's share is spread over the live ones; live picks never move", async () => {
  const text = Array.from({ length: 5 }, (_, i) => `1 sip:10.0.0.${i + 1}`).join('\n');
  const off = await engineFrom(text, { flags: 2 });
  const on = await engineFrom(text, { flags: 2, ds_hash_respread: 1 });
  const ids = Array.from({ length: 5000 }, (_, i) => `call-${i}@x`);
  const pick = (e: Dispatcher) => ids.map((c) => e.select(1, 0, req({ callId: c }), { mode: 'dst' }).selected!.uri);
  const before = pick(on);
  assert.deepEqual(before, pick(off), 'with everything up, respread changes nothing');
  const down = 'sip:10.0.0.3';
  off.setStateRpc('i', 1, down, false);
  on.setStateRpc('i', 1, down, false);
  const a = pick(off),
    b = pick(on);
  const moved = (x: string[]) => {
    const m = new Map<string, number>();
    x.forEach((u, i) => {
      if (before[i] === down) m.set(u, (m.get(u) ?? 0) + 1);
    });
    return m;
  };
  assert.equal(moved(a).size, 1, 'Kamailio: the whole share lands on one neighbour');
  const spread = moved(b);
  assert.equal(spread.size, 4, 'respread: every live destination takes a part');
  const share = before.filter((u) => u === down).length;
  for (const v of spread.values()) assert.ok(v > (share / 4) * 0.6 && v < (share / 4) * 1.4, `part ${v} of ${share}`);
  b.forEach((u, i) => {
    if (before[i] !== down) assert.equal(u, before[i]);
  });
  // Failover records follow the rendezvous order too, without the chosen or down entries.
  const r = on.select(1, 0, req({ callId: ids.find((_c, i) => before[i] === down)! }), { mode: 'dst' });
  assert.equal(new Set(r.records.map((x) => x.uri)).size, 4);
  assert.ok(!r.records.some((x) => x.uri === down));
});
