import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Placement } from '../../../src/workers/placement';
import { branchWorker, BranchIds, DSD_BRANCH } from '../../../src/proxy/branch';
import { Affinity } from '../../../src/workers/affinity';
import { fnv1a } from '../../../src/proxy/hash';
import { parseMessage } from '../../../src/sip/message';

const live = { isLive: () => true };

function placement(o: { pack?: number; ttl?: number } = {}) {
  const clock = { t: 0 };
  const p = new Placement({
    self: 0,
    packPercent: o.pack ?? 70,
    ttlSec: o.ttl ?? 180,
    now: () => clock.t,
    random: () => 0.5,
  });
  return { p, clock };
}

test('the reader keeps new calls while it has room, and every later message follows the record', () => {
  const { p } = placement();
  const h = fnv1a('call-1@x');
  // the hash would give it to worker 3; the reader keeps it
  assert.equal(p.request(h, true, 3, live), 0);
  // ACK, BYE, CANCEL, retransmissions: not initial, still the reader's
  assert.equal(p.request(h, false, 3, live), 0);
  assert.deepEqual(p.stats, { kept: 1, byHash: 0 });
});

test('a busy reader hands a growing share to the hash owners, and takes it back when idle', () => {
  const { p } = placement({ pack: 90 });
  // a burst (half a second at full load) is smoothed away
  for (let i = 0; i < 5; i++) p.adjust(1);
  assert.equal(p.keptShare, 1);
  // sustained saturation is not
  for (let i = 0; i < 20; i++) p.adjust(1);
  assert.ok(p.keptShare < 0.6, String(p.keptShare));
  // random() is 0.5: with under half kept, this new call goes to its hash owner
  assert.equal(p.request(fnv1a('busy'), true, 2, live), 2);
  assert.equal(p.request(fnv1a('busy'), false, 1, live), 2, 'its later messages follow the record, not the hash');
  for (let i = 0; i < 40; i++) p.adjust(1);
  assert.equal(p.keptShare, 0);
  // between the mark and 15 points under it: no change
  for (let i = 0; i < 40; i++) p.adjust(0.8);
  assert.equal(p.keptShare, 0);
  for (let i = 0; i < 60; i++) p.adjust(0.2);
  assert.equal(p.keptShare, 1);
});

test('with no idle core for the other workers, the reader takes its calls back', () => {
  const { p } = placement({ pack: 90 });
  for (let i = 0; i < 40; i++) p.adjust(1, 3);
  assert.equal(p.keptShare, 0, 'saturated, three idle cores: spread');
  for (let i = 0; i < 10; i++) p.adjust(1, 0.1);
  assert.ok(p.keptShare > 0, `the machine is full: kept ${p.keptShare}`);
  for (let i = 0; i < 40; i++) p.adjust(1, 0.1);
  assert.equal(p.keptShare, 1);
});

test('children_pack=0 spreads every call; 100 never does', () => {
  const spread = placement({ pack: 0 }).p;
  assert.equal(spread.request(fnv1a('a'), true, 2, live), 2);
  const keep = placement({ pack: 100 }).p;
  for (let i = 0; i < 20; i++) keep.adjust(1);
  // 100 % is never exceeded
  assert.equal(keep.request(fnv1a('a'), true, 2, live), 0);
});

test('without a record, only an initial request takes a slot; others go by hash', () => {
  const { p } = placement();
  const h = fnv1a('unknown');
  assert.equal(p.request(h, false, 1, live), 1);
  assert.equal(p.request(h, false, 2, live), 2, 'nothing was recorded');
});

test('a record ends after ttl seconds of silence, not while messages keep coming', () => {
  const { p, clock } = placement({ ttl: 10 });
  const h = fnv1a('long');
  assert.equal(p.request(h, true, 1, live), 0);
  for (let t = 5; t <= 40; t += 5) {
    clock.t = t;
    assert.equal(p.request(h, false, 1, live), 0, `t=${t}`);
  }
  // replies for the owner keep it alive too (a long ringing phase, then CANCEL)
  clock.t = 48;
  p.touch(h, 0);
  clock.t = 57;
  assert.equal(p.request(h, false, 1, live), 0);
  clock.t = 68;
  assert.equal(p.request(h, false, 1, live), 1, 'after 11 s of silence the hash owner');
});

test('a record whose owner died goes to the hash owner', () => {
  const { p } = placement();
  const h = fnv1a('orphan');
  p.request(h, true, 1, live);
  assert.equal(p.request(h, false, 1, { isLive: (i) => i !== 0 }), 1);
});

test('a reader that took over from a dead one records nothing for ttl seconds', () => {
  const { p, clock } = placement({ ttl: 30 });
  p.hashOnly();
  const h = fnv1a('after-takeover');
  assert.equal(p.request(h, true, 2, live), 2);
  assert.equal(p.request(fnv1a('other'), true, 1, live), 1);
  clock.t = 31;
  assert.equal(p.request(fnv1a('third'), true, 1, live), 0);
});

test('two calls in one slot share its owner for as long as either is active', () => {
  const { p } = placement();
  // same slot: equal low 20 bits
  const a = 0x12345;
  const b = 0x12345 | (1 << 25);
  assert.equal(p.request(a, true, 1, live), 0);
  assert.equal(p.request(b, true, 3, live), 0);
  assert.equal(p.request(b, false, 3, live), 0);
});

test('our branches name the worker; keepalives, other proxies and malformed tags do not', () => {
  const ids = new BranchIds();
  const msg = parseMessage(
    Buffer.from(
      'INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\n' +
        'Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
    ),
    { datagram: true },
  );
  const plain = ids.make(msg, { loopHash: null }, ids.nextTxn(), 0);
  assert.equal(branchWorker(plain), -1);
  ids.setWorker(3);
  const b = ids.make(msg, { loopHash: null }, ids.nextTxn(), 1);
  assert.ok(b.startsWith(`${DSD_BRANCH}w3-`), b);
  assert.equal(branchWorker(b), 3);
  ids.setWorker(12);
  assert.equal(branchWorker(ids.make(msg, { loopHash: null }, ids.nextTxn(), 0)), 12);
  assert.equal(branchWorker(`${DSD_BRANCH}ping.abc`), -1);
  assert.equal(branchWorker(`${DSD_BRANCH}event1`), -1);
  assert.equal(branchWorker('z9hG4bKother'), -1);
  assert.equal(branchWorker(`${DSD_BRANCH}w-x`), -1);
  assert.equal(branchWorker(`${DSD_BRANCH}w12345-x`), -1);
  assert.equal(branchWorker(null), -1);
});

test('affinity: ownerOfHash is owner() of the hashed Call-ID', () => {
  const a = new Affinity(4);
  a.setLive([0, 1, 3]);
  for (const id of ['a', 'bb', 'ccc', 'dddd', 'e@f']) assert.equal(a.ownerOfHash(fnv1a(id), 0), a.owner(id, 0));
});
