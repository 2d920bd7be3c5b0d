import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineFrom, fakeResolver } from './helpers';
import { PROTO_TCP, PROTO_UDP } from '../../../src/modules/dispatcher/model';
import { at } from '../../helpers/at';

const LIST = [
  '1 sip:10.0.0.1:5060 0 0 duid=a',
  '1 sip:10.0.0.2 0 0',
  '2 sip:10.0.0.1:5070;transport=tcp 0 0 x=1',
  '3 sip:10.0.0.3:5060 16 0',
  '3 sip:10.0.0.4:5060 1 0 y=2',
  '4 sip:[2001:db8::1]:5060 0 0',
].join('\n');

test('ds_is_from_list: default mode ignores proto; post-order over all sets; setid only for group -1', async () => {
  const e = await engineFrom(LIST);
  assert.deepEqual(
    e.list!.sets.map((s) => s.id),
    [1, 4, 3, 2],
  );
  const m = e.isFromList({ ip: '10.0.0.1', port: 5060, proto: PROTO_UDP });
  assert.equal(m.code, 1);
  assert.equal(m.setId, 1);
  assert.equal(m.attrs, 'duid=a');
  const g2 = e.isFromList({ ip: '10.0.0.1', port: 5070, proto: PROTO_UDP }, 2);
  assert.deepEqual([g2.code, g2.setId, g2.attrs], [1, null, 'x=1']);
  assert.equal(e.isFromList({ ip: '10.0.0.1', port: 5070, proto: PROTO_UDP }, 2, 0).code, -1, 'mode 0 checks proto');
  assert.equal(e.isFromList({ ip: '10.0.0.1', port: 5070, proto: PROTO_TCP }, 2, 0).code, 1);
  assert.equal(e.isFromList({ ip: '10.0.0.1', port: 5099, proto: PROTO_UDP }).code, -1);
  assert.equal(e.isFromList({ ip: '10.0.0.1', port: 5099, proto: PROTO_UDP }, -1, 3).code, 1, 'mode 1 ignores port');
  assert.equal(e.isFromList({ ip: '10.0.0.2', port: 40000, proto: PROTO_UDP }).code, 1, 'no port in the URI: any port');
  assert.equal(e.isFromList({ ip: '::ffff:10.0.0.2', port: 1, proto: PROTO_UDP }).code, 1, 'IPv4-mapped source');
  assert.equal(e.isFromList({ ip: '2001:DB8:0::1', port: 5060, proto: PROTO_UDP }).setId, 4);
  assert.equal(e.isFromList({ ip: '10.0.0.3', port: 5060, proto: PROTO_UDP }).code, -1, 'flag 16: never matched');
  assert.equal(e.isFromList({ ip: '10.0.0.4', port: 5060, proto: PROTO_UDP }).code, 1);
  assert.equal(e.isFromList({ ip: '10.0.0.4', port: 5060, proto: PROTO_UDP }, -1, 6).code, -1, 'mode 4: active only');
  assert.equal(e.isFromList({ ip: '10.0.0.1', port: 5060, proto: PROTO_UDP }, 9).code, -1);
});

test('ds_is_from_list modes 8 (socket) and 16 (best match)', async () => {
  const sockA = { name: 'a' };
  const sockB = { name: 'b' };
  const sockets = { bySpec: () => null, byName: (n: string) => (n === 'a' ? sockA : n === 'b' ? sockB : null) };
  const e = await engineFrom(
    [
      '1 sip:10.0.0.1 0 0 sockname=a',
      '2 sip:10.0.0.1:5070 0 0',
      '3 sip:10.0.0.1:5070;transport=udp 0 0 sockname=b',
    ].join('\n'),
    {},
    { sockets },
  );
  // post-order: 1 3 2
  const src = { ip: '10.0.0.1', port: 5070, proto: PROTO_UDP, socket: sockB };
  assert.equal(e.isFromList(src, -1, 2).setId, 1, 'first match in post-order');
  assert.equal(e.isFromList(src, -1, 2 | 8).setId, 3, 'socket must match when the destination has one');
  assert.equal(e.isFromList(src, -1, 16).setId, 3, 'best match: ip+port+proto+socket returns at once');
  assert.equal(e.isFromList({ ...src, socket: sockA }, -1, 16).setId, 1, 'socket (8) outweighs port+proto (2+4)');
  assert.equal(
    e.isFromList({ ...src, proto: PROTO_TCP, socket: null }, -1, 16).setId,
    3,
    'ip+port: first of the equals',
  );
  assert.equal(e.isFromList({ ...src, port: 1, proto: PROTO_TCP, socket: sockA }, -1, 16).setId, 1, 'ip+socket');
});

test('ds_is_from_list with a URI resolves it first', async () => {
  const e = await engineFrom('1 sip:gw.example.com:5060\n');
  const ip = await fakeResolver.resolveHost('gw.example.com');
  assert.equal(at(e.list!.byId.get(1)!.dests, 0).ipAddress, ip);
  assert.equal((await e.isFromListUri('sip:gw.example.com:5060', -1, 2)).setId, 1);
  assert.equal((await e.isFromListUri(`sip:${ip}:5060`, 1, 0)).code, 1, 'proto none on both sides (5.6)');
  assert.equal((await e.isFromListUri('sip:gw.example.com', 1, 2)).code, -1, 'no port in the probe: port 0');
  assert.equal((await e.isFromListUri('sip:x.invalid', -1, 2)).code, -1);
});

test('ds_is_active, ds_list_exists, $dsg, ds_count', async () => {
  const e = await engineFrom('1 sip:10.0.0.1 0\n1 sip:10.0.0.2 1\n1 sip:10.0.0.3 12\n1 sip:10.0.0.4 10\n');
  assert.equal(e.isActive(1), 1);
  assert.equal(e.isActive(1, 'sip:10.0.0.1'), 1);
  assert.equal(e.isActive(1, 'SIP:10.0.0.1'), -1, 'exact, case-sensitive');
  assert.equal(e.isActive(1, 'sip:10.0.0.2'), -1);
  assert.equal(e.isActive(1, 'sip:10.0.0.4'), 1, 'trying is active');
  assert.equal(e.isActive(2), -1);
  assert.equal(e.listExists(1), 1);
  assert.equal(e.listExists(2), -1);
  assert.deepEqual(e.dsgFetch(1), {
    count: 4,
    active: 2,
    inactive: 2,
    pactive: 50,
    pinactive: 50,
    ocrate: 0,
    ocseq: 0,
    octime_sec: 0,
    octime_usec: 0,
  });
  assert.equal(e.dsgFetch(5), null);
  assert.deepEqual(
    ['', 'a', 'i', 'p', 'ip', 'x'].map((f) => e.count(1, f)),
    [4, 2, 2, 2, 3, -2],
  );
  assert.equal(e.count(7, 'a'), -1);
});
