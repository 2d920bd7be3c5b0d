/** Drain, ejection, slow start, dialog counting and the replayable rng (dsd extensions). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineFrom, req, FakeClock } from './helpers';
import { RngTape } from '../../../src/modules/dispatcher/lb/rng-tape';
import { seededRng } from '../../../src/modules/dispatcher/rng';
import { EjectTracker } from '../../../src/modules/dispatcher/lb/eject';
import { DialogTracker } from '../../../src/modules/dispatcher/lb/dialogs';
import { branchOutcome, drain, undrain } from '../../../src/modules/dispatcher/lb/operations';
import { explain } from '../../../src/modules/dispatcher/lb/explain';
import { at } from '../../helpers/at';

const L = [
  '1 sip:10.0.0.1:5060 0 0 duid=a;weight=40;rweight=40;maxload=10',
  '1 sip:10.0.0.2:5060 0 0 duid=b;weight=30;rweight=30;maxload=10',
  '1 sip:10.0.0.3:5060 0 0 duid=c;weight=30;rweight=30;maxload=10',
].join('\n');

test('rng tape: draws made inside replayAfter come again, in order', () => {
  const plain = seededRng(7);
  const tape = new RngTape(seededRng(7));
  const seen = tape.replayAfter(() => [tape.rng(), tape.rng()]);
  assert.deepEqual(seen, [plain(), plain()]);
  assert.deepEqual([tape.rng(), tape.rng(), tape.rng()], [seen[0], seen[1], plain()]);
});

test('drain: no algorithm picks a draining destination; undrain restores it', async () => {
  const e = await engineFrom(L, { ds_hash_size: 4, flags: 2 });
  drain(e, 1, 'sip:10.0.0.2:5060', false, false, 0);
  for (let alg = 0; alg <= 13; alg++) {
    // alg 10: two destinations left with maxload 10 take 20 calls
    for (let i = 0; i < 18; i++) {
      const r = e.select(1, alg, req({ callId: `c${alg}-${i}`, fromUri: `sip:u${i}@x`, hashPvarValue: `v${i}` }), {
        mode: 'dst',
      });
      assert.ok(r.ok, `alg ${alg}`);
      assert.notEqual(r.selected?.uri, 'sip:10.0.0.2:5060', `alg ${alg} picked the draining destination`);
      assert.ok(!r.records.some((x) => x.uri === 'sip:10.0.0.2:5060'), `alg ${alg} kept it for failover`);
      if (r.branches) assert.ok(!r.branches.some((b) => b.dstUri === 'sip:10.0.0.2:5060'), 'alg 12 branch');
    }
  }
  assert.deepEqual(
    e.lb.drains.export().map((x) => x.uri),
    ['sip:10.0.0.2:5060'],
  );
  undrain(e, 1, 'sip:10.0.0.2:5060', false, 0);
  const picks = new Set<string>();
  for (let i = 0; i < 6; i++) picks.add(e.select(1, 4, req(), { mode: 'dst' }).selected!.uri);
  assert.equal(picks.size, 3);
});

test('drain by duid follows the duid; an unknown destination is an error', async () => {
  const e = await engineFrom(L);
  drain(e, 1, 'c', true, true, 0);
  assert.equal(e.lb.drains.isDraining(e.list!.byId.get(1)!.dests.find((d) => d.attrs.duid === 'c')!), true);
  assert.deepEqual(e.lb.drains.export(true), [{ setId: 1, duid: 'c', at: 0, persist: true }]);
  assert.throws(() => drain(e, 1, 'sip:10.9.9.9', false, false, 0), /Destination Not Found/);
  assert.throws(() => drain(e, 7, 'all', false, false, 0), /Destination Group Not Found/);
});

test('default settings: no gate, so selections are exactly the plain pipeline', async () => {
  const a = await engineFrom(L, { ds_hash_size: 4 });
  const b = await engineFrom(L, { ds_hash_size: 4 });
  drain(b, 1, 'sip:10.0.0.2:5060', false, false, 0);
  undrain(b, 1, 'sip:10.0.0.2:5060', false, 0);
  for (let alg = 0; alg <= 13; alg++) {
    assert.equal(a.selectionContext().gate!(a.list!.byId.get(1)!, alg), null);
    for (let i = 0; i < 20; i++) {
      const rq = req({ callId: `k${i}`, hashPvarValue: `p${i}` });
      assert.equal(
        a.select(1, alg, rq, { mode: 'dst' }).selected?.uri,
        b.select(1, alg, rq, { mode: 'dst' }).selected?.uri,
      );
    }
  }
});

test('slow start: a returning destination ramps from 10 % to its full share', async () => {
  const clock = new FakeClock();
  const e = await engineFrom(L, { ds_slow_start: 100 }, { clock: clock.now });
  e.setStateRpc('i', 1, 'sip:10.0.0.1:5060', false);
  e.setStateRpc('a', 1, 'sip:10.0.0.1:5060', false);
  const share = (alg: number): number => {
    let n = 0;
    for (let i = 0; i < 3000; i++)
      if (e.select(1, alg, req(), { mode: 'dst' }).selected!.uri === 'sip:10.0.0.1:5060') n++;
    return n / 3000;
  };
  const early = share(4);
  clock.advance(50_000);
  const mid = share(4);
  clock.advance(60_000);
  const late = share(4);
  assert.ok(early < 0.12, `early ${early}`);
  assert.ok(mid > early + 0.05 && mid < late, `mid ${mid}`);
  assert.ok(Math.abs(late - 1 / 3) < 0.03, `late ${late}`);
  // weight (alg 9) ramps too; hash algorithms do not
  e.setStateRpc('i', 1, 'sip:10.0.0.1:5060', false);
  e.setStateRpc('a', 1, 'sip:10.0.0.1:5060', false);
  assert.ok(share(9) < 0.1);
  const f = e.lb.slowStart.factor(
    e.list!.byId.get(1)!.dests.find((d) => d.uri === 'sip:10.0.0.1:5060')!,
    clock.ms,
  );
  assert.ok(Math.abs(f - 0.1) < 1e-9);
  assert.equal(e.selectionContext().gate!(e.list!.byId.get(1)!, 0), null);
  // alg 10: maxload scales (10 × 0.1 = 1)
  const d = e.list!.byId.get(1)!.dests.find((x) => x.uri === 'sip:10.0.0.1:5060')!;
  assert.equal(e.lb.slowStart.maxload(d, clock.ms), 1);
});

test('ejection: N consecutive failures, successes reset, max percent holds', async () => {
  const e = await engineFrom(L, { ds_eject_failures: 3, ds_eject_codes: '502' });
  const out = (ip: string, status: number) =>
    branchOutcome(e, { method: 'INVITE', callId: 'x', status, peer: { ip, port: 5060, proto: 'udp' } });
  out('10.0.0.1', 503);
  out('10.0.0.1', 503);
  out('10.0.0.1', 486);
  out('10.0.0.1', 502);
  out('10.0.0.1', 408);
  assert.equal(
    e.list!.byId.get(1)!.dests.find((d) => d.uri === 'sip:10.0.0.1:5060')!.flags & 1,
    0,
    'a 486 reset the count',
  );
  const fx = out('10.0.0.1', 500);
  assert.equal(fx.ejected.length, 1);
  assert.equal(fx.events[0]?.name, 'dispatcher:dst-down');
  const d1 = e.list!.byId.get(1)!.dests.find((d) => d.uri === 'sip:10.0.0.1:5060')!;
  assert.equal(d1.flags & 9, 9, 'inactive + probing');
  assert.deepEqual(explain(e, 1, 4, req()).destinations.find((x) => x.uri === d1.uri)!.skipped, ['ejected', 'probing']);
  // 3 destinations, 50 %: only one may be out
  for (let i = 0; i < 5; i++) out('10.0.0.2', 503);
  assert.equal(e.list!.byId.get(1)!.dests.find((d) => d.uri === 'sip:10.0.0.2:5060')!.flags & 1, 0);
});

test('ejection off by default; ejection trackers only decide', async () => {
  const e = await engineFrom(L);
  for (let i = 0; i < 50; i++)
    branchOutcome(e, {
      method: 'INVITE',
      callId: 'x',
      status: 503,
      peer: { ip: '10.0.0.1', port: 5060, proto: 'udp' },
    });
  assert.equal(
    e.list!.byId.get(1)!.dests.every((d) => (d.flags & 1) === 0),
    true,
  );
  const t = new EjectTracker({ failures: 2, codes: [], timeSec: 10, maxPercent: 100 });
  assert.equal(t.isFailure(503) && t.isFailure(408) && t.isFailure(500) && !t.isFailure(502), true);
});

test('dialogs: 2xx starts, BYE ends, expiry sweeps', () => {
  const t = new DialogTracker(() => 10);
  t.confirmed('a', [{ setId: 1, uri: 'sip:X' }], 0);
  t.confirmed('a', [{ setId: 1, uri: 'sip:X' }], 0);
  t.confirmed('b', [{ setId: 1, uri: 'sip:x' }], 5000);
  assert.equal(t.count(1, 'sip:x'), 2);
  t.ended('a');
  assert.equal(t.count(1, 'SIP:X'), 1);
  assert.equal(t.sweep(14_000), 0);
  assert.equal(t.sweep(15_000), 1);
  assert.equal(t.count(1, 'sip:x'), 0);
});

test('ejection with probing off: back after ds_eject_time × ejections, with a dst-up', async () => {
  const e = await engineFrom(L, { ds_eject_failures: 2, ds_eject_time: 10, ds_eject_max_percent: 100 });
  const { ejectTick } = await import('../../../src/modules/dispatcher/lb/operations');
  const fail = () =>
    branchOutcome(e, {
      method: 'INVITE',
      callId: 'x',
      status: 408,
      peer: { ip: '10.0.0.3', port: 5060, proto: 'udp' },
    });
  const d3 = () => e.list!.byId.get(1)!.dests.find((d) => d.uri === 'sip:10.0.0.3:5060')!;
  const t0 = Date.now();
  fail();
  fail();
  assert.equal(d3().flags & 1, 1);
  assert.deepEqual(ejectTick(e, true, t0 + 60_000), [], 'probing on: probing brings it back, not the timer');
  assert.deepEqual(ejectTick(e, false, t0 + 5_000), []);
  const back = ejectTick(e, false, t0 + 11_000);
  assert.equal(back.length, 1);
  assert.equal(at(back, 0).name, 'dispatcher:dst-up');
  assert.equal(d3().flags & 1, 0);
  // the second ejection lasts twice as long
  const t1 = Date.now();
  fail();
  fail();
  assert.deepEqual(ejectTick(e, false, t1 + 11_000), []);
  assert.equal(ejectTick(e, false, t1 + 21_000).length, 1);
});

test('explain says why: disabled, over maxload (alg 10, ramped too), draining; the pick and the loads stay put', async () => {
  const e = await engineFrom(L, { ds_hash_size: 4, flags: 2, ds_slow_start: 100 });
  e.setStateRpc('d', 1, 'sip:10.0.0.3:5060', false);
  drain(e, 1, 'sip:10.0.0.2:5060', false, false, 0);
  const set = e.list!.byId.get(1)!;
  const d1 = set.dests.find((d) => d.uri === 'sip:10.0.0.1:5060')!;
  d1.dload = 10;
  const why = (alg: number) =>
    Object.fromEntries(explain(e, 1, alg, req({ callId: `x${alg}` })).destinations.map((d) => [d.uri, d.skipped]));
  assert.deepEqual(why(10), {
    'sip:10.0.0.1:5060': ['over maxload (10/10)'],
    'sip:10.0.0.2:5060': ['draining'],
    'sip:10.0.0.3:5060': ['disabled'],
  });
  const r = explain(e, 1, 10, req({ callId: 'x' }));
  assert.equal(r.ok, false, 'nothing left to pick');
  assert.equal(d1.dload, 10, 'explain took no load');
  // a destination back from disabled ramps its maxload: 10 × 0.1 = 1, so one call is "over" it
  e.setStateRpc('a', 1, 'sip:10.0.0.3:5060', false);
  set.dests.find((d) => d.uri === 'sip:10.0.0.3:5060')!.dload = 1;
  assert.deepEqual(why(10)['sip:10.0.0.3:5060'], ['over maxload (1/1)']);
});
