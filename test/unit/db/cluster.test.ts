import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminEntriesFor,
  applyClusterEvent,
  buildClusterListResult,
  checkClusterConfig,
  ClusterMessageError,
  decodeMessage,
  CLUSTER_PARAMS,
  destStatesOf,
  encodeMessage,
  goneAfter,
  wantsDest,
} from '../../../src/cluster';
import { DbError, parseDbUrl } from '../../../src/db';
import { Dispatcher } from '../../../src/modules/dispatcher/engine';
import { DsRpcError } from '../../../src/modules/dispatcher/errors';
import { defaultParams, setParam } from '../../../src/modules/dispatcher/params';
import { DB_PARAMS } from '../../../src/modules/dispatcher/db';
import { readParams, type ModParamValue } from '../../../src/core/modparams';
import { at } from '../../helpers/at';

const base = { v: 1 as const, origin: 'a', instance: 'i-1', seq: 1 };

test('cluster events round-trip and bad payloads are refused with the reason', () => {
  const m = { ...base, kind: 'set_state' as const, args: { state: 'ip', group: 1, address: 'sip:10.0.0.1' } };
  assert.deepEqual(decodeMessage(encodeMessage(m)), m);
  const d = { ...base, kind: 'drain_duid' as const, args: { group: 2, duid: 'gw1' } };
  assert.deepEqual(decodeMessage(encodeMessage(d)), d);
  const bad: [string, RegExp][] = [
    ['nope', /not JSON/],
    ['{"v":2}', /version 1/],
    [JSON.stringify({ ...base, kind: 'explode', args: {} }), /unknown event kind explode/],
    [
      JSON.stringify({ ...base, kind: 'add', args: { group: '1', address: 'x', flags: 0, priority: 0, attrs: null } }),
      /add needs/,
    ],
    [JSON.stringify({ ...base, kind: 'set_duid_state', args: { state: 'a', group: 1 } }), /set_duid_state needs/],
    [JSON.stringify({ v: 1, kind: 'reload', args: {} }), /origin/],
    [JSON.stringify({ ...base, kind: 'drain', args: { group: 1 } }), /drain needs \{group:int, address:str\}/],
    [JSON.stringify({ ...base, kind: 'undrain_duid', args: { group: 1, address: 'x' } }), /undrain_duid needs/],
    [JSON.stringify({ ...base, kind: 'clear_overrides', args: { group: null, target: 'x' } }), /target only with/],
    [JSON.stringify({ ...base, kind: 'clear_overrides', args: { group: '1', target: null } }), /clear_overrides needs/],
  ];
  for (const args of [
    { group: null, target: null },
    { group: 2, target: null },
    { group: 2, target: 'sip:10.0.0.1' },
  ]) {
    const c = { ...base, kind: 'clear_overrides' as const, args };
    assert.deepEqual(decodeMessage(encodeMessage(c)), c);
  }
  for (const [p, re] of bad)
    assert.throws(
      () => decodeMessage(p),
      (e: Error) => e instanceof ClusterMessageError && re.test(e.message),
      p,
    );
  assert.throws(
    () =>
      encodeMessage({
        ...base,
        kind: 'add',
        args: { group: 1, address: 'x'.repeat(9000), flags: 0, priority: 0, attrs: null },
      }),
    /over the 7999-byte NOTIFY limit/,
  );
});

test('cluster.list result: fields, sorted input kept, DESTS only with dest', () => {
  const nodes = [
    {
      name: 'a',
      address: 'udp:10.0.0.1:5060',
      version: 'dsd 0.1.0',
      lastHeartbeat: new Date('2026-01-02T03:04:05.678Z'),
      ageSec: 1,
      state: 'up' as const,
      self: true,
      dests: [{ set: 1, uri: 'sip:gw1', flags: 'AP' }],
    },
    {
      name: 'b',
      address: 'udp:10.0.0.2:5060',
      version: 'dsd 0.1.0',
      lastHeartbeat: new Date(0),
      ageSec: 99,
      state: 'gone' as const,
      self: false,
      dests: null,
    },
  ];
  assert.deepEqual(buildClusterListResult(nodes, false), [
    {
      NAME: 'a',
      ADDRESS: 'udp:10.0.0.1:5060',
      VERSION: 'dsd 0.1.0',
      LAST_HEARTBEAT: '2026-01-02T03:04:05Z',
      STATE: 'up',
    },
    {
      NAME: 'b',
      ADDRESS: 'udp:10.0.0.2:5060',
      VERSION: 'dsd 0.1.0',
      LAST_HEARTBEAT: '1970-01-01T00:00:00Z',
      STATE: 'gone',
    },
  ]);
  const d = buildClusterListResult(nodes, true);
  assert.deepEqual(at(d, 0).DESTS, [{ DEST: { SET: 1, URI: 'sip:gw1', FLAGS: 'AP' } }]);
  assert.deepEqual(at(d, 1).DESTS, []);
  assert.deepEqual(Object.keys(at(d, 0)), ['NAME', 'ADDRESS', 'VERSION', 'LAST_HEARTBEAT', 'STATE', 'DESTS']);
  assert.equal(wantsDest(['dest']), true);
  assert.equal(wantsDest(['DEST']), true);
  assert.equal(wantsDest([], { dest: true }), true);
  assert.equal(wantsDest([]), false);
  assert.equal(wantsDest(['full']), false);
});

test('cluster and db modparams', () => {
  const lines = (...pairs: Array<[string, string | number]>): ModParamValue[] =>
    pairs.map(([name, value]) => ({ name, value }));
  // another table's names (db_url) are left to that table
  const p = readParams(
    CLUSTER_PARAMS,
    lines(['ds_cluster', 1], ['db_url', 'x'], ['ds_cluster_node', 'lb1'], ['ds_cluster_heartbeat', '2']),
    '/',
  );
  assert.deepEqual([p.enabled, p.nodeName, p.heartbeatSec, goneAfter(p)], [true, 'lb1', 2, 6]);
  assert.equal(goneAfter(readParams(CLUSTER_PARAMS, lines(['ds_cluster_gone_after', 30]), '/')), 30);
  assert.throws(() => readParams(CLUSTER_PARAMS, lines(['ds_cluster', 2]), '/'), /must be 0 or 1/);
  assert.throws(() => readParams(CLUSTER_PARAMS, lines(['ds_cluster_heartbeat', 0]), '/'), /must be >= 1/);
  assert.throws(() => readParams(CLUSTER_PARAMS, lines(['ds_cluster_channel', 'a-b']), '/'), /identifier/);
  assert.throws(
    () => checkClusterConfig(p, null),
    (e: Error) => e instanceof DbError && /needs modparam\("dispatcher", "db_url"/.test(e.message),
  );
  assert.throws(() => checkClusterConfig(p, parseDbUrl('mysql://u:pw@h/d')), /needs a postgres:\/\/ db_url/);
  checkClusterConfig(p, parseDbUrl('postgres://u:pw@h/d'));
  assert.equal(readParams(DB_PARAMS, lines(['ds_db_start_empty', '1']), '/').startEmpty, true);
  assert.equal(readParams(DB_PARAMS, [], '/').startEmpty, false);
  assert.throws(() => readParams(DB_PARAMS, lines(['ds_db_start_empty', 3]), '/'), /must be 0 or 1/);
});

async function engine(): Promise<Dispatcher> {
  const p = defaultParams();
  setParam(p, 'reload_delta', 1);
  const ds = new Dispatcher({ params: p });
  await ds.loadInitial({ text: '1 sip:10.0.0.1 0 0 duid=one\n1 sip:10.0.0.2\n2 sip:10.0.0.3\n', fileName: 't.list' });
  return ds;
}

test('remote events apply to the engine; duplicates are skipped; a guarded reload is retried', async () => {
  const ds = await engine();
  let reloads = 0;
  const slept: number[] = [];
  const target = {
    ds,
    reloadSource: async () => {
      reloads++;
      return { text: '3 sip:10.0.0.9\n', fileName: 'db' };
    },
  };
  const o = {
    sleep: async (ms: number) => {
      slept.push(ms);
      (ds as unknown as { lists: { reloadTimeSec: number } }).lists.reloadTimeSec = 0;
    },
  };
  await applyClusterEvent(target, 'set_duid_state', { state: 'd', group: 1, duid: 'ONE' }, o);
  assert.equal(ds.list!.byId.get(1)!.dests.find((d) => d.uri === 'sip:10.0.0.1')!.flags & 4, 4);
  await applyClusterEvent(target, 'add', { group: 2, address: 'sip:10.0.0.4', flags: 0, priority: 0, attrs: null }, o);
  // Within reload_delta: "Ongoing reload" is waited out, not lost.
  await applyClusterEvent(target, 'add', { group: 2, address: 'sip:10.0.0.4', flags: 0, priority: 0, attrs: null }, o);
  assert.equal(ds.list!.byId.get(2)!.dests.length, 2);
  await applyClusterEvent(target, 'remove', { group: 2, address: 'sip:10.0.0.4' }, o);
  assert.equal(slept.length, 1);
  assert.ok(at(slept, 0) >= 1000);
  await applyClusterEvent(target, 'remove', { group: 2, address: 'sip:10.0.0.4' }, o);
  assert.equal(ds.list!.byId.get(2)!.dests.length, 1);
  await applyClusterEvent(target, 'reload', {}, o);
  assert.equal(reloads, 1);
  assert.deepEqual(
    ds.list!.sets.map((s) => s.id),
    [3],
  );
  await assert.rejects(
    applyClusterEvent(target, 'set_state', { state: 'i', group: 7, address: 'sip:x' }, o),
    (e: Error) => e instanceof DsRpcError && e.message === 'State Update Failed',
  );
  assert.deepEqual(destStatesOf(ds.list), [{ set: 3, uri: 'sip:10.0.0.9', flags: 'AX' }]);
});

test('a remote clear_overrides drops what it names here, and nothing is no error', async () => {
  const ds = await engine();
  const target = { ds, reloadSource: async () => ({ text: '', fileName: 'db' }) };
  ds.setStateRpc('ip', 1, 'sip:10.0.0.2', false);
  ds.setStateRpc('d', 1, 'one', true);
  ds.setStateRpc('a', 2, 'sip:10.0.0.3', false);
  await applyClusterEvent(target, 'clear_overrides', { group: 1, target: 'ONE' });
  assert.deepEqual(
    ds.exportAdminStates().map((e) => e.uri ?? e.duid),
    ['sip:10.0.0.2', 'sip:10.0.0.3'],
  );
  await applyClusterEvent(target, 'clear_overrides', { group: 1, target: 'ONE' });
  await applyClusterEvent(target, 'clear_overrides', { group: 2, target: null });
  assert.deepEqual(
    ds.exportAdminStates().map((e) => e.uri),
    ['sip:10.0.0.2'],
  );
  await applyClusterEvent(target, 'clear_overrides', { group: null, target: null });
  assert.deepEqual(ds.exportAdminStates(), []);
  // the destination keeps the state it had
  assert.equal(ds.list!.byId.get(1)!.dests.find((d) => d.uri === 'sip:10.0.0.2')!.flags & 9, 9);
});

test('adminEntriesFor picks the entries a set_state just recorded', async () => {
  const ds = await engine();
  ds.setStateRpc('ip', 1, 'SIP:10.0.0.2', false);
  ds.setStateRpc('d', 1, 'one', true);
  ds.setStateRpc('a', 2, 'all', false);
  const all = ds.exportAdminStates();
  assert.deepEqual(
    adminEntriesFor(all, 1, 'sip:10.0.0.2', false).map((e) => [e.uri, e.state]),
    [['sip:10.0.0.2', 'ip']],
  );
  assert.deepEqual(
    adminEntriesFor(all, 1, 'ONE', true).map((e) => [e.duid, e.state]),
    [['one', 'd']],
  );
  assert.deepEqual(
    adminEntriesFor(all, 2, 'all', false).map((e) => e.uri),
    ['sip:10.0.0.3'],
  );
  assert.deepEqual(adminEntriesFor(all, 3, 'all', false), []);
});
