import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../../../src/modules/dispatcher/engine';
import { DsRpcError } from '../../../src/modules/dispatcher/errors';
import { dispatcherRpcMethods } from '../../../src/modules/dispatcher/rpc-handlers';
import { FakeClock, golden, params, renderKamcmd, rpcMethods } from './helpers';
import { seededRng } from '../../../src/modules/dispatcher/rng';
import { at } from '../../helpers/at';

/**
 * Rebuilds the state the golden capture shows: Kamailio ran with ds_probing_mode 1 and
 * ds_ping_latency_stats 1; every destination answered keepalives except set 2's
 * sip:127.0.0.1:5099, which timed out (IP, TIMEOUT > 0). Loopback answers take < 1 ms, so
 * the latency figures are 0.
 */
async function goldenEngine(rounds: number, clock = new FakeClock()): Promise<Dispatcher> {
  const e = new Dispatcher({
    params: params({ ds_probing_mode: 1, ds_ping_latency_stats: 1, ds_ping_interval: 1 }),
    rng: seededRng(7),
    clock: clock.now,
  });
  await e.loadInitial({ text: golden('dispatcher.list'), fileName: 'dispatcher.list' });
  for (let i = 0; i < rounds; i++) {
    for (const t of e.pingTargets()) {
      e.pingSent(t);
      if (t.uri === 'sip:127.0.0.1:5099') e.pingResult(t, 408, 'Request Timeout', false);
      else e.pingResult(t, 200, 'OK', true);
    }
  }
  return e;
}

/** The only normalization: TIMEOUT counts depend on how long the capture ran. */
function normalizeTimeouts<T>(v: T): T {
  return JSON.parse(JSON.stringify(v), (k, val) =>
    k === 'TIMEOUT' && typeof val === 'number' && val > 0 ? 'N>0' : val,
  );
}

test('dispatcher.list matches the golden JSON-RPC result (TIMEOUT counts normalized)', async () => {
  const e = await goldenEngine(23);
  const m = rpcMethods(e);
  const g = JSON.parse(golden('jsonrpc-responses.json'))['dispatcher.list'][0];
  const ours = await m['dispatcher.list'](g.params);
  assert.deepEqual(normalizeTimeouts(ours), normalizeTimeouts(g.response.result));
  // Key order is part of the output format.
  assert.equal(JSON.stringify(normalizeTimeouts(ours)), JSON.stringify(normalizeTimeouts(g.response.result)));
  // The timed-out destination really counted its timeouts.
  const s2 = (
    ours as { RECORDS: { SET: { ID: number; TARGETS: { DEST: { LATENCY: { TIMEOUT: number } } }[] } }[] }
  ).RECORDS.find((r) => r.SET.ID === 2)!;
  assert.equal(at(s2.SET.TARGETS, 1).DEST.LATENCY.TIMEOUT, 23);
});

test('dispatcher.list rendered as kamcmd text matches the golden kamcmd capture', async () => {
  const e = await goldenEngine(22);
  const m = rpcMethods(e);
  const text = renderKamcmd(await m['dispatcher.list']([]));
  const norm = (s: string) => s.replace(/TIMEOUT: [1-9]\d*/g, 'TIMEOUT: N>0');
  assert.equal(norm(text), norm(golden('kamcmd-dispatcher.list.txt')));
  assert.match(text, /TIMEOUT: 22\n/);
});

test('list modes: short drops ATTRS, full adds the address fields, RUNTIME with ds_hash_size', async () => {
  const e = new Dispatcher({ params: params({ ds_hash_size: 2 }), rng: seededRng(1) });
  await e.loadInitial({ text: golden('dispatcher.list'), fileName: 'dispatcher.list' });
  const m = rpcMethods(e);
  const first = (r: unknown) =>
    at(at((r as { RECORDS: { SET: { TARGETS: { DEST: Record<string, unknown> }[] } }[] }).RECORDS, 2).SET.TARGETS, 0)
      .DEST;
  assert.deepEqual(Object.keys(first(await m['dispatcher.list'](['SHORT']))), ['URI', 'FLAGS', 'PRIORITY', 'RUNTIME']);
  const full = first(await m['dispatcher.list'](['full']));
  assert.deepEqual(Object.keys(full), [
    'URI',
    'FLAGS',
    'PRIORITY',
    'HOST',
    'IPADDR',
    'PORT',
    'PROTOID',
    'DNSTIME_SEC',
    'DNSTIME_USEC',
    'ATTRS',
    'RUNTIME',
  ]);
  assert.deepEqual([full.HOST, full.IPADDR, full.PORT, full.PROTOID], ['127.0.0.1', '127.0.0.1', 5080, 1]);
  assert.deepEqual(full.RUNTIME, { DLGLOAD: 0 });
  assert.deepEqual(Object.keys(first(await m['dispatcher.list'](['whatever']))), [
    'URI',
    'FLAGS',
    'PRIORITY',
    'ATTRS',
    'RUNTIME',
  ]);
  assert.throws(() => rpcMethods(new Dispatcher())['dispatcher.list']([]), {
    message: 'No Destination Sets',
  });
});

test('golden set_state / set_duid_state / ping_active answers', async () => {
  const e = await goldenEngine(2);
  const m = rpcMethods(e);
  const g = JSON.parse(golden('jsonrpc-responses.json'));
  for (const c of g['dispatcher.set_state']) {
    if (c.response.error)
      assert.throws(() => m['dispatcher.set_state'](c.params), {
        code: c.response.error.code,
        message: c.response.error.message,
      } as object);
    else assert.equal(m['dispatcher.set_state'](c.params), c.response.result);
  }
  assert.deepEqual(
    m['dispatcher.ping_active'](g['dispatcher.ping_active'][0].params),
    g['dispatcher.ping_active'][0].response.result,
  );
  // kamcmd-misc.txt: set_duid_state ip 2 gw1 -> Ok; unknown duid -> State Update Failed.
  const misc = golden('kamcmd-misc.txt');
  assert.match(misc, /set_duid_state ip 2 gw1\nOk\. Dispatcher state updated\./);
  assert.equal(m['dispatcher.set_duid_state'](['ip', 2, 'gw1']), 'Ok. Dispatcher state updated.');
  assert.match(misc, /set_duid_state ip 2 nosuch\nerror: 500 - State Update Failed/);
  assert.throws(() => m['dispatcher.set_duid_state'](['ip', 2, 'nosuch']), {
    code: 500,
    message: 'State Update Failed',
  } as object);
  assert.match(misc, /dispatcher\.hash 0\nerror: 500 - Invalid Parameters/);
  assert.throws(() => m['dispatcher.hash']([0]), { message: 'Invalid Parameters' });
  // set_state results: gw1 is now IP, the state value's 2nd char adds P.
  const s2 = e.list!.byId.get(2)!;
  assert.deepEqual(
    s2.dests.map((d) => d.flags & 15),
    [9, 9],
  );
  assert.deepEqual(m['dispatcher.ping_active']([0]), { NewPingState: 0, OldPingState: 1 });
  assert.deepEqual(e.pingTargets(), []);
  assert.deepEqual(m['dispatcher.ping_active']([]), { OldPingState: 0 });
  assert.equal(m['dispatcher.set_state']([1, 2, 'all']), 'Ok. Dispatcher state updated.'); // '.S' auto-converts 1 -> "1"
  assert.throws(() => m['dispatcher.set_state'](['', 2, 'all']), { message: 'Invalid State Parameter' });
  assert.throws(() => m['dispatcher.set_state'](['a', 2]), { message: 'Invalid Parameters' });
});

test('golden add/remove: "Ongoing reload" inside reload_delta; Kamailio\'s silent Ok for nonsense is an error here', async () => {
  const clock = new FakeClock();
  const e = await goldenEngine(1, clock);
  const m = rpcMethods(e);
  const g = JSON.parse(golden('jsonrpc-responses.json'));
  // Kamailio answered Ok to removing an absent destination; we refuse with its fault text.
  await assert.rejects(
    Promise.resolve(m['dispatcher.remove'](g['dispatcher.remove'][0].params)),
    (err: DsRpcError) =>
      err.code === 500 && err.message === 'Removing dispatcher dst failed' && /set 9 not found/.test(err.detail!),
  );
  // The capture's add came right after: still inside reload_delta (5 s in 5.6.3).
  const addErr = g['dispatcher.add'][0].response.error;
  await assert.rejects(
    Promise.resolve(m['dispatcher.add'](g['dispatcher.add'][0].params)),
    (err: DsRpcError) => err.code === addErr.code && err.message === addErr.message && err.retryAfterSec === 5,
  );
  assert.match(golden('kamcmd-misc.txt'), /dispatcher\.remove 9 sip:1\.2\.3\.4\nerror: 500 - Ongoing reload/);
  clock.advance(5000);
  // Kamailio answers Ok for an unusable URI (ds_load_mode 0); we say why it failed.
  await assert.rejects(Promise.resolve(m['dispatcher.add']([9, 'not a uri'])), {
    message: 'Adding dispatcher dst failed',
  });
  clock.advance(5000);
  assert.equal(
    await m['dispatcher.add']([9, 'sip:127.0.0.1:5999', 0, 3, 'duid=x']),
    'Ok. Dispatcher destination added.',
  );
  assert.equal(at(e.list!.byId.get(9)!.dests, 0).attrs.duid, 'x');
  assert.equal(g['dispatcher.list_x'][0].response.error.message, 'Method Not Found');
  assert.equal(dispatcherRpcMethods(e)['dispatcher.list_x'], undefined);
});
