import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AvlTree } from '../../../src/modules/dispatcher/avl';
import { ListLoadError } from '../../../src/modules/dispatcher/errors';
import { FakeClock, engineFrom, setOrder, setUris } from './helpers';
import { parseSocketSpec } from '../../../src/modules/dispatcher/socket-spec';

// Verified against Kamailio 5.6.3 (dispatcher.list after the same file/add/remove).
const L1 = [
  '1 sip:10.0.0.1:5060 0 0',
  '1 sip:10.0.0.2:5060 0 5',
  '1 sip:10.0.0.3:5060 0 0',
  '1 sip:10.0.0.4:5060 0 5',
  '1 sip:10.0.0.5:5060 0 0',
  '3 sip:10.0.3.1 0 0',
  '2 sip:10.0.2.1 0 0 weight=20',
  '2 sip:10.0.2.2 0 0 weight=30',
  '2 sip:10.0.2.3 0 0 weight=50',
  '4 sip:10.0.4.1 0 0',
].join('\n');

test('array order: highest priority first, equal priorities in reverse file order', async () => {
  const e = await engineFrom(L1);
  assert.deepEqual(setUris(e.list, 1), [
    'sip:10.0.0.4:5060',
    'sip:10.0.0.2:5060',
    'sip:10.0.0.5:5060',
    'sip:10.0.0.3:5060',
    'sip:10.0.0.1:5060',
  ]);
  assert.deepEqual(setUris(e.list, 2), ['sip:10.0.2.3', 'sip:10.0.2.2', 'sip:10.0.2.1']);
  assert.deepEqual(
    e.list!.byId.get(1)!.dests.map((d) => d.idx),
    [0, 1, 2, 3, 4],
  );
});

test('sets come in AVL post-order', async () => {
  const e = await engineFrom(L1);
  assert.deepEqual(setOrder(e.list), [1, 4, 3, 2]);
  const t = new AvlTree();
  [1, 2, 3].forEach((id) => t.insert(id));
  assert.deepEqual(t.postOrder(), [1, 3, 2]);
  const t2 = new AvlTree();
  for (let i = 1; i <= 7; i++) t2.insert(i);
  assert.deepEqual(t2.postOrder(), [1, 3, 2, 5, 7, 6, 4]);
  const t3 = new AvlTree();
  [5, 3, 8, 1, 4, 2].forEach((id) => t3.insert(id)); // single rotation at the root
  assert.deepEqual(t3.postOrder(), [2, 1, 4, 8, 5, 3]);
  assert.equal(t3.size, 6);
  assert.equal(t3.insert(4), false);
});

test('add/remove rebuild: equal-priority order flips in every set, AVL shape changes', async () => {
  const clock = new FakeClock();
  const e = await engineFrom(L1, {}, { clock: clock.now });
  assert.equal(await e.add(7, 'sip:10.0.7.1', 0, 3, 'duid=z;weight=10'), 'Ok. Dispatcher destination added.');
  assert.deepEqual(setOrder(e.list), [2, 1, 7, 4, 3]);
  assert.deepEqual(setUris(e.list, 1), [
    'sip:10.0.0.2:5060',
    'sip:10.0.0.4:5060',
    'sip:10.0.0.1:5060',
    'sip:10.0.0.3:5060',
    'sip:10.0.0.5:5060',
  ]);
  assert.deepEqual(setUris(e.list, 2), ['sip:10.0.2.1', 'sip:10.0.2.2', 'sip:10.0.2.3']);
  clock.advance(5200);
  await e.remove(1, 'sip:10.0.0.3:5060');
  assert.deepEqual(setOrder(e.list), [1, 3, 7, 4, 2]);
  assert.deepEqual(setUris(e.list, 1), [
    'sip:10.0.0.4:5060',
    'sip:10.0.0.2:5060',
    'sip:10.0.0.5:5060',
    'sip:10.0.0.1:5060',
  ]);
  clock.advance(5100);
  await e.add(1, '10.0.0.9', 8); // sip: prepended, flag 8 = probing
  assert.deepEqual(setOrder(e.list), [2, 1, 4, 7, 3]);
  assert.deepEqual(setUris(e.list, 1), [
    'sip:10.0.0.2:5060',
    'sip:10.0.0.4:5060',
    'sip:10.0.0.9',
    'sip:10.0.0.1:5060',
    'sip:10.0.0.5:5060',
  ]);
});

test('add/remove keep runtime flags and call load; rweight from cc is reset', async () => {
  const clock = new FakeClock();
  const e = await engineFrom(
    '1 sip:10.0.0.1 0 0 duid=a;rweight=10\n1 sip:10.0.0.2 0 0 duid=b',
    {},
    { clock: clock.now },
  );
  e.setStateRpc('ip', 1, 'sip:10.0.0.2', false);
  const a = e.list!.byId.get(1)!.dests.find((d) => d.uri === 'sip:10.0.0.1')!;
  a.dload = 3;
  a.attrs.rweight = 77;
  await e.add(2, 'sip:10.0.9.9');
  const set = e.list!.byId.get(1)!;
  assert.equal(set.dests.find((d) => d.uri === 'sip:10.0.0.2')!.flags, 9);
  const a2 = set.dests.find((d) => d.uri === 'sip:10.0.0.1')!;
  assert.equal(a2.dload, 3);
  assert.equal(a2.attrs.rweight, 10);
  assert.notEqual(a2, a, 'a new list with new objects');
});

test('remove: exact URI (after sip: fix-up), all duplicates; absent destination is an error', async () => {
  const clock = new FakeClock();
  const e = await engineFrom('1 sip:10.0.0.1 0 0\n1 sip:10.0.0.1 0 1\n1 sip:10.0.0.2\n', {}, { clock: clock.now });
  await e.remove(1, '10.0.0.1');
  assert.deepEqual(setUris(e.list, 1), ['sip:10.0.0.2']);
  clock.advance(6000);
  await assert.rejects(e.remove(1, 'SIP:10.0.0.2'), { message: 'Removing dispatcher dst failed' });
  clock.advance(6000);
  await assert.rejects(
    e.remove(9, 'sip:1.2.3.4'),
    (err: { message: string; detail: string }) =>
      err.message === 'Removing dispatcher dst failed' && /set 9 not found/.test(err.detail),
  );
  clock.advance(6000);
  await e.remove(1, 'sip:10.0.0.2');
  assert.deepEqual(setOrder(e.list), []);
});

test('bad records: skipped with a warning (ds_load_mode 0) or the load refused (1)', async () => {
  const text = [
    '1 sip:10.0.0.1',
    '1 sip:bad host',
    '1 sip:gw.example.com',
    '1 sip:10.0.0.4 0 0 a=b;;',
    '1 sip:10.0.0.5 0 0 socket=udp:10.9.9.9:5060',
    '1 sip:[::1]:5090',
    '1 sip:nodns.example 16',
  ].join('\n');
  const resolver = { resolveHost: async (h: string) => (h === 'gw.example.com' ? '192.0.2.7' : null) };
  const sockets = { bySpec: () => null, byName: () => null };
  const e = await engineFrom(text, {}, { resolver, sockets, tryIpv6: false });
  // 'sip:bad' ("host" became its attrs) does not resolve, the rest of the bad ones fail checks.
  assert.deepEqual(setUris(e.list, 1).sort(), ['sip:10.0.0.1', 'sip:gw.example.com', 'sip:nodns.example']);
  const set = e.list!.byId.get(1)!;
  assert.equal(set.dests.find((d) => d.uri === 'sip:gw.example.com')!.ipAddress, '192.0.2.7');
  const nd = set.dests.find((d) => d.uri === 'sip:nodns.example')!;
  assert.equal(nd.noIpAddr, true);
  assert.equal(nd.ipAddress, null);
  await assert.rejects(engineFrom(text, { ds_load_mode: 1 }, { resolver, sockets, tryIpv6: false }), ListLoadError);
});

test('the list is swapped atomically: a failing reload keeps the old list', async () => {
  const clock = new FakeClock();
  const e = await engineFrom('1 sip:10.0.0.1\n', {}, { clock: clock.now });
  const before = e.list;
  await assert.rejects(
    e.reload({ text: '1 sip:10.0.0.2\n2\n', fileName: 'new.list' }),
    (err: { message: string; detail: string }) =>
      err.message === 'Reload Failed' && err.detail.startsWith('new.list:2:2:'),
  );
  assert.equal(e.list, before);
});

test('reload_delta: "Ongoing reload" says when to retry; the stamp is taken even on failure', async () => {
  const clock = new FakeClock(1_700_000_000_500);
  const e = await engineFrom('1 sip:10.0.0.1\n', {}, { clock: clock.now });
  await e.reload({ text: '1 sip:10.0.0.2\n', fileName: 'a' });
  clock.advance(2000);
  await assert.rejects(
    e.add(1, 'sip:10.0.0.3'),
    (err: { message: string; retryAfterSec: number; detail: string }) =>
      err.message === 'Ongoing reload' && err.retryAfterSec === 3 && /retry in 3s/.test(err.detail),
  );
  clock.advance(3000);
  await assert.rejects(e.reload({ text: '1\n', fileName: 'b' }), { message: 'Reload Failed' });
  clock.advance(1000);
  await assert.rejects(e.reload({ text: '1 sip:x\n', fileName: 'c' }), { message: 'Ongoing reload' });
});

test('socket specs', () => {
  assert.deepEqual(parseSocketSpec('udp:127.0.0.1:5060'), {
    proto: 'udp',
    host: '127.0.0.1',
    port: 5060,
    text: 'udp:127.0.0.1:5060',
  });
  assert.deepEqual(parseSocketSpec('TLS:[::1]:5061'), {
    proto: 'tls',
    host: '[::1]',
    port: 5061,
    text: 'TLS:[::1]:5061',
  });
  assert.deepEqual(parseSocketSpec('10.0.0.1'), { proto: null, host: '10.0.0.1', port: 0, text: '10.0.0.1' });
  assert.equal(parseSocketSpec('udp:1.2.3.4:x'), null);
});
