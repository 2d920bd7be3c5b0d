import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../../../src/modules/dispatcher/engine';
import { FakeClock, engineFrom, req } from './helpers';
import { DstRecord } from '../../../src/modules/dispatcher/xavp-records';
import { at } from '../../helpers/at';

const L2 = [
  '5 sip:10.0.5.1 0 0 duid=a;maxload=2',
  '5 sip:10.0.5.2 0 0 duid=b;maxload=3',
  '5 sip:10.0.5.3 0 1 duid=c',
  '6 sip:10.0.6.1 0 0 duid=x',
  '6 sip:10.0.6.2 0 0',
].join('\n');

const loads = (e: Dispatcher, set: number) => e.list!.byId.get(set)!.dests.map((d) => d.dload);

/** Select, then walk every failover record with ds_next_dst (as the Kamailio harness did). */
function selectAndWalk(e: Dispatcher, set: number, callId: string, method = 'INVITE'): string {
  const rq = req({ callId, method });
  const r = e.select(set, 10, rq, { mode: 'dst' });
  if (!r.ok) return 'FAIL';
  const out = [r.push!.uri.slice(4), '|'];
  let recs: DstRecord[] = r.records;
  for (;;) {
    const n = e.nextDst(recs, true, 'dst', { ruri: rq.ruri, callId });
    if (n.code < 0) break;
    recs = n.records;
    out.push(n.push!.uri.slice(4));
  }
  return out.join(' ');
}

test('alg 10 picks, failover records and final loads are those of Kamailio 5.6.3', async () => {
  const e = await engineFrom(L2, { flags: 2, ds_hash_size: 4 });
  const got: string[] = [];
  for (let i = 0; i < 6; i++) got.push(selectAndWalk(e, 5, `L${i}`));
  got.push(selectAndWalk(e, 5, 'L0')); // Call-ID already tracked: classic dispatch
  got.push(selectAndWalk(e, 5, 'O1', 'OPTIONS')); // not an INVITE: first entry, alg 0
  for (const c of ['S1', 'S2', 'S3']) got.push(selectAndWalk(e, 6, c)); // least loaded has no duid
  assert.deepEqual(got, [
    '10.0.5.3 | 10.0.5.2 10.0.5.1',
    '10.0.5.3 | 10.0.5.2 10.0.5.1',
    '10.0.5.3 | 10.0.5.2',
    '10.0.5.3 | 10.0.5.2',
    '10.0.5.3 | 10.0.5.2',
    '10.0.5.3 |',
    '10.0.5.3 | 10.0.5.2 10.0.5.1',
    '10.0.5.3 | 10.0.5.2 10.0.5.1',
    '10.0.6.2 | 10.0.6.1',
    '10.0.6.2 | 10.0.6.1',
    '10.0.6.2 | 10.0.6.1',
  ]);
  assert.deepEqual(loads(e, 5), [1, 3, 2]);
  assert.deepEqual(loads(e, 6), [0, 0]);
  assert.equal(e.callLoad!.size, 6);
});

test('alg 10: least loaded under maxload, ties to the lowest index, none left fails', async () => {
  const e = await engineFrom('1 sip:10.0.0.1 0 0 duid=a;maxload=1\n1 sip:10.0.0.2 0 0 duid=b;maxload=1\n', {
    flags: 2,
    ds_hash_size: 2,
  });
  const r1 = e.select(1, 10, req({ callId: 'c1' }), { mode: 'dst' });
  assert.equal(r1.selected!.uri, 'sip:10.0.0.2');
  assert.deepEqual(
    r1.records.map((x) => [x.uri, x.dstid]),
    [
      ['sip:10.0.0.2', 'b'],
      ['sip:10.0.0.1', 'a'],
    ],
  );
  assert.equal(r1.alg, 10);
  const r2 = e.select(1, 10, req({ callId: 'c2' }), { mode: 'dst' });
  assert.equal(r2.selected!.uri, 'sip:10.0.0.1');
  assert.deepEqual(
    r2.records.map((x) => x.uri),
    ['sip:10.0.0.1'],
    'full entries are left out of the records',
  );
  assert.equal(e.select(1, 10, req({ callId: 'c3' }), { mode: 'dst' }).code, -1);
  // A record without duid makes an alg-10 select fail after the push (Kamailio quirk).
  const f = await engineFrom('1 sip:10.0.0.1 0 0\n1 sip:10.0.0.2 0 0 duid=b\n', { flags: 2, ds_hash_size: 2 });
  const fr = f.select(1, 10, req({ callId: 'q' }), { mode: 'dst' });
  assert.equal(fr.code, -1);
  assert.equal(fr.push!.uri, 'sip:10.0.0.2');
  assert.deepEqual(
    fr.records.map((x) => x.dstid),
    ['b'],
  );
  assert.deepEqual(loads(f, 1), [1, 0], 'the load was counted before the failure');
});

test('ds_load_update / ds_load_unset release and confirm calls', async () => {
  const e = await engineFrom('1 sip:10.0.0.1 0 0 duid=a\n', { flags: 2, ds_hash_size: 2 });
  const r = e.select(1, 10, req({ callId: 'k1' }), { mode: 'dst' });
  e.select(1, 10, req({ callId: 'k2' }), { mode: 'dst' });
  assert.deepEqual(loads(e, 1), [2]);
  e.loadUpdate({ callId: 'k1', isRequest: false, status: 200, cseqMethod: 'INVITE' });
  assert.equal(e.callLoad!.get('k1')!.state, 1);
  e.loadUpdate({ callId: 'k1', isRequest: false, status: 180, cseqMethod: 'INVITE' });
  assert.equal(e.loadUpdate({ callId: 'k1', isRequest: true, method: 'BYE' }), 1);
  assert.deepEqual(loads(e, 1), [1]);
  assert.equal(e.callLoad!.get('k1'), null);
  assert.equal(e.loadUnset(r.records, { callId: 'k2', isRequest: true, method: 'INVITE' }), 1);
  assert.deepEqual(loads(e, 1), [0]);
  assert.equal(e.loadUnset([], { callId: 'k2', isRequest: true, method: 'INVITE' }), 1, 'INVITE without dstid: no-op');
  assert.equal(e.loadUnset([], { callId: 'k2', isRequest: false }), -1, 'nothing left to release');
});

test('ds_next_dst moves the load and skips records whose duid left the set', async () => {
  const clock = new FakeClock();
  const e = await engineFrom(
    '1 sip:10.0.0.1 0 2 duid=a\n1 sip:10.0.0.2 0 1 duid=b\n1 sip:10.0.0.3 0 0 duid=c\n',
    { flags: 2, ds_hash_size: 2 },
    { clock: clock.now },
  );
  const r = e.select(1, 10, req({ callId: 'm1' }), { mode: 'dst' });
  assert.deepEqual(
    r.records.map((x) => x.dstid),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(loads(e, 1), [1, 0, 0]);
  await e.remove(1, 'sip:10.0.0.2');
  const n = e.nextDst(r.records, true, 'dst', { ruri: 'sip:x', callId: 'm1' });
  assert.equal(n.code, 1);
  assert.equal(n.push!.uri, 'sip:10.0.0.3', 'b is gone: skipped');
  assert.deepEqual(loads(e, 1), [0, 1]);
  assert.equal(e.callLoad!.get('m1')!.duid, 'c');
  assert.equal(e.nextDst(n.records, true, 'dst', { ruri: 'sip:x', callId: 'm1' }).code, -1);
});

test('expiry: ds_hash_expire from creation, ds_hash_initexpire while unconfirmed; reload resets dload', async () => {
  const clock = new FakeClock(1_000_000_000);
  const e = await engineFrom(
    '1 sip:10.0.0.1 0 0 duid=a\n',
    { flags: 2, ds_hash_size: 2, ds_hash_expire: 100, ds_hash_initexpire: 10 },
    { clock: clock.now },
  );
  e.select(1, 10, req({ callId: 'x1' }), { mode: 'dst' });
  e.select(1, 10, req({ callId: 'x2' }), { mode: 'dst' });
  e.loadUpdate({ callId: 'x2', isRequest: false, status: 200, cseqMethod: 'INVITE' });
  clock.advance(10_000);
  assert.equal(e.sweepCallLoad(), 0, 'expires strictly after');
  clock.advance(1_000);
  assert.equal(e.sweepCallLoad(), 1);
  assert.deepEqual(loads(e, 1), [1]);
  clock.advance(90_000);
  assert.equal(e.sweepCallLoad(), 1);
  assert.deepEqual(loads(e, 1), [0]);
  e.select(1, 10, req({ callId: 'x3' }), { mode: 'dst' });
  clock.advance(6_000);
  await e.reload({ text: '1 sip:10.0.0.1 0 0 duid=a\n', fileName: 'r' });
  assert.deepEqual(loads(e, 1), [0]);
  e.loadUpdate({ callId: 'x3', isRequest: true, method: 'CANCEL' });
  assert.deepEqual(loads(e, 1), [0], 'floored at 0');
  assert.equal(e.callLoad!.size, 0);
});

test('without ds_hash_size alg 10 dispatches classically (alg 0 records)', async () => {
  const e = await engineFrom('1 sip:10.0.0.1 0 0 duid=a\n1 sip:10.0.0.2 0 0 duid=b\n', { flags: 2 });
  const r = e.select(1, 10, req({ callId: 'n1' }), { mode: 'dst' });
  assert.equal(r.alg, 0);
  assert.equal(at(r.records, 0).dstid, undefined);
  assert.ok(r.messages.some((m) => /classic/.test(m)));
});
