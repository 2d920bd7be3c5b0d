/**
 * A dispatcher change as one typed value: decoded once from the RPC parameters, applied
 * to the engine, written by the list-file writer, and carried by cluster events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyChange, decodeChange, type DsChange } from '../../../src/modules/dispatcher/change';
import { DsRpcError } from '../../../src/modules/dispatcher/errors';
import { ListFileWriter } from '../../../src/modules/dispatcher/list-writer';
import { changeOfEvent, drainRowsFor } from '../../../src/cluster/apply';
import { RPC_FAULTS } from '../../../src/rpc-api/errors';
import { engineFrom, setUris } from './helpers';

const LIST = '1 sip:127.0.0.1:5080 0 0 duid=a\n1 sip:127.0.0.1:5081 0 0 duid=b\n';

test('the RPC parameters decode into a typed change, with Kamailio defaults', async () => {
  const e = await engineFrom(LIST);
  assert.deepEqual(decodeChange(e, 'add', [2, 'sip:10.0.0.9']), {
    kind: 'add',
    setId: 2,
    uri: 'sip:10.0.0.9',
    flags: 0,
    priority: 0,
    attrs: null,
  });
  assert.deepEqual(decodeChange(e, 'setDuidState', ['ip', 1, 'b']), {
    kind: 'setDuidState',
    state: 'ip',
    setId: 1,
    duid: 'b',
  });
  assert.deepEqual(decodeChange(e, 'remove', [1, 'sip:127.0.0.1:5080']), {
    kind: 'remove',
    setId: 1,
    uri: 'sip:127.0.0.1:5080',
  });
});

test('bad parameters are the fault of the RPC table, with a code', async () => {
  const e = await engineFrom(LIST);
  assert.throws(
    () => decodeChange(e, 'setState', ['ip']),
    (err: unknown) =>
      err instanceof DsRpcError &&
      err.is('invalidParameters') &&
      err.code === RPC_FAULTS.invalidParameters.code &&
      err.message === RPC_FAULTS.invalidParameters.message,
  );
});

test('applied to the engine, then to the list file by the writer', async () => {
  const e = await engineFrom(LIST, { reload_delta: 0 }); // three changes in a row
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-change-'));
  try {
    const file = path.join(dir, 'dispatcher.list');
    fs.writeFileSync(file, `# comment\n${LIST}`);
    const w = new ListFileWriter(file, () => e.list);
    const changes: DsChange[] = [
      { kind: 'add', setId: 2, uri: 'sip:10.0.0.9:5060', flags: 0, priority: 5, attrs: 'duid=z' },
      { kind: 'setDuidState', state: 'ip', setId: 1, duid: 'b' },
      { kind: 'remove', setId: 1, uri: 'sip:127.0.0.1:5080' },
    ];
    for (const c of changes) {
      await applyChange(e, c);
      w.apply(c);
    }
    assert.deepEqual(setUris(e.list, 2), ['sip:10.0.0.9:5060']);
    assert.equal(
      fs.readFileSync(file, 'utf8'),
      '# comment\n1 sip:127.0.0.1:5081 9 0 duid=b\n2 sip:10.0.0.9:5060 0 5 duid=z\n',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a cluster event carries the same change', () => {
  assert.deepEqual(changeOfEvent('set_state', { state: 'dp', group: 3, address: 'sip:h' }), {
    kind: 'setState',
    state: 'dp',
    setId: 3,
    uri: 'sip:h',
  });
  assert.deepEqual(changeOfEvent('add', { group: 1, address: 'sip:x', flags: 8, priority: 1, attrs: null }), {
    kind: 'add',
    setId: 1,
    uri: 'sip:x',
    flags: 8,
    priority: 1,
    attrs: null,
  });
});

test('drain and undrain are changes too: decoded, applied, carried by cluster events, not written to the list', async () => {
  const e = await engineFrom(LIST);
  assert.deepEqual(decodeChange(e, 'drain', [1, 'all']), { kind: 'drain', setId: 1, uri: 'all' });
  assert.deepEqual(decodeChange(e, 'undrainDuid', [1, 'b']), { kind: 'undrainDuid', setId: 1, duid: 'b' });
  assert.throws(
    () => decodeChange(e, 'drainDuid', [1]),
    (err: unknown) => err instanceof DsRpcError && err.is('invalidParameters'),
  );
  const dest = (uri: string) => e.list!.byId.get(1)!.dests.find((d) => d.uri === uri)!;
  assert.equal(
    await applyChange(e, { kind: 'drainDuid', setId: 1, duid: 'b' }),
    'Ok. Dispatcher destination draining.',
  );
  assert.equal(e.lb.drains.isDraining(dest('sip:127.0.0.1:5081')), true);
  assert.equal(e.lb.drains.isDraining(dest('sip:127.0.0.1:5080')), false);
  // applied from outside the RPC (the cluster): not saved with the admin states
  assert.deepEqual(e.lb.drains.export(true), []);
  // an undrain by URI lifts a drain made by duid
  assert.equal(
    await applyChange(e, { kind: 'undrain', setId: 1, uri: 'sip:127.0.0.1:5081' }),
    'Ok. Dispatcher destination undrained.',
  );
  assert.equal(e.lb.drains.size, 0);
  assert.throws(
    () => applyChange(e, { kind: 'drain', setId: 1, uri: 'sip:127.0.0.1:9' }),
    (err: unknown) => err instanceof DsRpcError && err.is('destinationNotFound'),
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-change-'));
  try {
    const file = path.join(dir, 'dispatcher.list');
    fs.writeFileSync(file, LIST);
    new ListFileWriter(file, () => e.list).apply({ kind: 'drain', setId: 1, uri: 'all' });
    assert.equal(fs.readFileSync(file, 'utf8'), LIST);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(changeOfEvent('drain', { group: 2, address: 'all' }), { kind: 'drain', setId: 2, uri: 'all' });
  assert.deepEqual(changeOfEvent('undrain', { group: 2, address: 'sip:h' }), {
    kind: 'undrain',
    setId: 2,
    uri: 'sip:h',
  });
  assert.deepEqual(changeOfEvent('drain_duid', { group: 2, duid: 'x' }), { kind: 'drainDuid', setId: 2, duid: 'x' });
  assert.deepEqual(changeOfEvent('undrain_duid', { group: 2, duid: 'x' }), {
    kind: 'undrainDuid',
    setId: 2,
    duid: 'x',
  });
});

test('the dsd_drain rows of a drain change: one duid row, URI rows for all, undrain lifts both ways', async () => {
  const e = await engineFrom(LIST);
  assert.deepEqual(drainRowsFor(e.list, { kind: 'drainDuid', setId: 1, duid: 'b' }, 7), [
    { setId: 1, duid: 'b', draining: true, at: 7 },
  ]);
  assert.deepEqual(drainRowsFor(e.list, { kind: 'drain', setId: 1, uri: 'all' }, 7), [
    // in the set's order (Kamailio's: last line first)
    { setId: 1, uri: 'sip:127.0.0.1:5081', draining: true, at: 7 },
    { setId: 1, uri: 'sip:127.0.0.1:5080', draining: true, at: 7 },
  ]);
  assert.deepEqual(drainRowsFor(e.list, { kind: 'undrainDuid', setId: 1, duid: 'B' }, 8), [
    { setId: 1, uri: 'sip:127.0.0.1:5081', draining: false, at: 8 },
    { setId: 1, duid: 'b', draining: false, at: 8 },
  ]);
  assert.deepEqual(drainRowsFor(e.list, { kind: 'undrain', setId: 9, uri: 'all' }, 8), []);
});
