import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../../../src/modules/dispatcher/engine';
import { flagsString } from '../../../src/modules/dispatcher/flags';
import { FakeClock, engineFrom, params } from './helpers';
import { seededRng } from '../../../src/modules/dispatcher/rng';

const LIST = '1 sip:10.0.0.1 0 0 duid=a\n1 sip:10.0.0.2 0 0 duid=b\n2 sip:10.0.2.1\n';
const flags = (e: Dispatcher, set: number) =>
  e.list!.byId.get(set)!.dests.map((d) => `${d.uri.slice(-1)}:${flagsString(d.flags)}`);

test('admin states survive a reload (Kamailio would forget them)', async () => {
  const clock = new FakeClock();
  let saves = 0;
  const e = await engineFrom(
    LIST,
    {},
    {
      clock: clock.now,
      onAdminStatesChanged: () => {
        saves++;
      },
    },
  );
  e.setStateRpc('d', 1, 'SIP:10.0.0.1', false);
  assert.equal(saves, 1);
  e.setStateRpc('ip', 1, 'B', true);
  e.setStateRpc('i', 2, 'all', false);
  assert.deepEqual(flags(e, 1), ['2:IP', '1:DX']);
  await e.reload({ text: LIST, fileName: 'r' });
  assert.deepEqual(flags(e, 1), ['2:IP', '1:DX']);
  assert.deepEqual(flags(e, 2), ['1:IX']);
  const exported = e.exportAdminStates();
  assert.deepEqual(
    exported.map((x) => [x.setId, x.uri ?? null, x.duid ?? null, x.state]).sort(),
    [
      [1, 'sip:10.0.0.1', null, 'd'],
      [1, null, 'B', 'ip'],
      [2, 'sip:10.0.2.1', null, 'i'],
    ].sort(),
  );
  // A restart: a new engine imports the persisted entries before its first load.
  const e2 = new Dispatcher({ params: params(), rng: seededRng(1) });
  e2.importAdminStates(JSON.parse(JSON.stringify(exported)));
  await e2.loadInitial({ text: LIST, fileName: 'r' });
  assert.deepEqual(flags(e2, 1), ['2:IP', '1:DX']);
  const bad = e2.importAdminStates([
    { setId: 1, state: 'zz', uri: 'sip:x', at: 0 },
    { setId: 1, state: 'a', at: 0 },
  ]);
  assert.equal(bad.rejected.length, 2);
});

test('health changes supersede an admin state; remove forgets it', async () => {
  const clock = new FakeClock();
  const e = await engineFrom(LIST, { flags: 2, ds_probing_mode: 1 }, { clock: clock.now });
  e.setStateRpc('ip', 1, 'sip:10.0.0.2', false);
  const t = e.pingTargets().find((x) => x.uri === 'sip:10.0.0.2')!;
  e.pingResult(t, 408, null, false); // stays IP: the admin entry still describes it
  assert.equal(e.exportAdminStates().length, 1);
  e.pingResult(t, 200, 'OK', true); // back up: the health view is newer
  assert.equal(e.exportAdminStates().length, 0);
  await e.reload({ text: LIST, fileName: 'r' });
  assert.deepEqual(flags(e, 1), ['2:AX', '1:AX']);
  e.setStateRpc('d', 1, 'sip:10.0.0.1', false);
  clock.advance(6000);
  await e.remove(1, 'sip:10.0.0.1');
  assert.equal(e.exportAdminStates().length, 0);
  clock.advance(6000);
  const r = await e.reload({ text: LIST, fileName: 'r' });
  assert.deepEqual(r.report.unmatchedAdminStates, []);
  assert.deepEqual(flags(e, 1), ['2:AX', '1:AX']);
});
