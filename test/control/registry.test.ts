import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeParams } from '../../src/control/params';
import { DuplicateMethodError, MethodRegistry } from '../../src/control/registry';
import { registerCoreMethods } from '../../src/control/core-methods';
import { tmStatsResult } from '../../src/control/tm-stats';
import { findCommand } from '../../src/rpc-api/commands';
import { RpcError } from '../../src/rpc-api/errors';
import { TM_STATS_KEYS } from '../../src/rpc-api/results';
import { TM_COUNTERS } from './helpers';

const specs = (name: string) => findCommand(name)!.params;

test('positional params are typed; named ones mapped by table name; others in value order', () => {
  assert.deepEqual(normalizeParams(specs('dispatcher.set_state'), ['ip', 2, 'all'], { persistAllowed: true }).args, [
    'ip',
    2,
    'all',
  ]);
  assert.deepEqual(
    normalizeParams(specs('dispatcher.set_state'), { address: 'all', group: 2, state: 'ip' }, { persistAllowed: true })
      .args,
    ['ip', 2, 'all'],
  );
  assert.deepEqual(
    normalizeParams(specs('dispatcher.hash'), { a: 4, b: 'bob' }, { persistAllowed: false }).args,
    [4, 'bob'],
    'jsonrpcs reads unknown names in order',
  );
  assert.deepEqual(
    normalizeParams(specs('dispatcher.hash'), [4, 123], { persistAllowed: false }).args,
    [4, '123'],
    'kamcmd sends numeric words as ints',
  );
  const p = normalizeParams(
    specs('dispatcher.add'),
    { group: 1, address: 'sip:a', priority: 5, persist: true },
    { persistAllowed: true },
  );
  assert.deepEqual(p.args, [1, 'sip:a', 0, 5]);
  assert.equal(p.persist, true);
  assert.deepEqual(p.named, { group: 1, address: 'sip:a', flags: 0, priority: 5 });
});

test('check: false maps named params to positions without type checks (handler scans)', () => {
  const p = normalizeParams(
    specs('dispatcher.add'),
    { group: 1, address: 'sip:a', priority: 5, persist: true },
    { persistAllowed: true, check: false },
  );
  assert.deepEqual(p.args, [1, 'sip:a', 0, 5]);
  assert.equal(p.persist, true);
  assert.deepEqual(
    normalizeParams(specs('dispatcher.add'), [9, 'not a uri', 'x'], { persistAllowed: true, check: false }).args,
    [9, 'not a uri', 'x'],
  );
  assert.deepEqual(
    normalizeParams(specs('dispatcher.add'), [], { persistAllowed: true, check: false }).args,
    [],
    'missing params reach the handler',
  );
});

test('bad params are "Invalid Parameters" (500), with the reason as data', () => {
  const bad = (s: string, raw: unknown, persist = false) => {
    try {
      normalizeParams(specs(s), raw, { persistAllowed: persist });
    } catch (e) {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, 500);
      assert.equal(e.message, 'Invalid Parameters');
      return e.data;
    }
    assert.fail(`accepted ${JSON.stringify(raw)}`);
  };
  assert.equal(bad('dispatcher.hash', []), 'missing nslots');
  assert.equal(bad('dispatcher.hash', [4.5, 'x']), 'nslots must be an integer');
  assert.equal(bad('dispatcher.hash', ['four', 'x']), 'nslots must be an integer');
  assert.equal(bad('dispatcher.hash', [4, { x: 1 }]), 'val1 must be a string');
  assert.equal(bad('dispatcher.hash', { persist: true, nslots: 1, val1: 'a' }), 'this method cannot persist');
  assert.equal(bad('dispatcher.list', 'full'), 'params must be an array or an object');
});

test('registry: table help by default, sorted list, unknown method is 500 Method Not Found', async () => {
  const r = new MethodRegistry();
  r.register('dispatcher.list', () => undefined);
  r.register('a.custom', (c) => c.args, { help: 'custom', params: null });
  assert.throws(() => r.register('a.custom', () => 1), DuplicateMethodError);
  assert.deepEqual(r.list(), ['a.custom', 'dispatcher.list']);
  assert.equal(r.help('dispatcher.list'), 'Return the content of dispatcher sets');
  assert.equal(await r.invoke('dispatcher.list', undefined), null, 'undefined results go out as null');
  assert.deepEqual(await r.invoke('a.custom', ['x', 1.5]), ['x', 1.5], 'no spec: raw params');
  await assert.rejects(
    r.invoke('nope', []),
    (e: unknown) => e instanceof RpcError && e.code === 500 && e.message === 'Method Not Found',
  );
});

test('core methods: methodHelp faults as Kamailio; tm.stats only with a provider, in Kamailio order', async () => {
  const r = new MethodRegistry();
  registerCoreMethods(r, { version: '1.2.3', startedAt: new Date(0), arch: 'arm64', platform: 'linux' });
  assert.equal(await r.invoke('core.version', []), 'dsd 1.2.3 (aarch64/linux) ');
  await assert.rejects(
    r.invoke('system.methodHelp', []),
    (e: unknown) => e instanceof RpcError && e.code === 400 && e.message === 'Method Name Expected',
  );
  await assert.rejects(
    r.invoke('system.methodHelp', ['x.y']),
    (e: unknown) => e instanceof RpcError && e.code === 400 && e.message === 'command not found',
  );
  assert.equal(r.has('tm.stats'), false);
  const ps = (await r.invoke('core.ps', [])) as unknown[];
  assert.equal(ps[0], process.pid);
  assert.deepEqual(Object.keys(tmStatsResult(TM_COUNTERS)), [...TM_STATS_KEYS]);
  assert.equal(tmStatsResult(TM_COUNTERS).rpl_sent, TM_COUNTERS.replySent);
});
