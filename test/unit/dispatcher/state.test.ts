import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../../../src/modules/dispatcher/engine';
import { DsEvent } from '../../../src/modules/dispatcher/state';
import { flagsString, parseMarkState, parseRpcState } from '../../../src/modules/dispatcher/flags';
import { engineFrom, req } from './helpers';
import { at } from '../../helpers/at';

const flags = (e: Dispatcher, set = 1) => e.list!.byId.get(set)!.dests.map((d) => flagsString(d.flags));

/** One keepalive round; `answer(uri)` gives the reply code (408 = timeout). */
function round(e: Dispatcher, answer: (uri: string) => number): (DsEvent | null)[] {
  return e.pingTargets().map((t) => {
    e.pingSent(t);
    const code = answer(t.uri);
    return e.pingResult(t, code, code === 408 ? 'Request Timeout' : 'OK', code !== 408);
  });
}

const evNames = (evs: (DsEvent | null)[]) =>
  evs.filter((x): x is DsEvent => x !== null).map((x) => `${x.name.slice(15)} ${x.uri}`);

test('FLAGS strings and state-string parsing', () => {
  assert.deepEqual([0, 1, 2, 4, 8, 9, 10, 12, 5, 3, 16, 24].map(flagsString), [
    'AX',
    'IX',
    'TX',
    'DX',
    'AP',
    'IP',
    'TP',
    'DP',
    'IX',
    'IX',
    'AX',
    'AP',
  ]);
  assert.equal(parseMarkState('ap'), 8);
  assert.equal(parseMarkState('pa'), 0);
  assert.equal(parseMarkState('IP'), 9);
  assert.equal(parseMarkState('tdx'), null);
  assert.deepEqual(parseRpcState('ip'), { ok: true, state: 9 });
  assert.deepEqual(parseRpcState('dp'), { ok: true, state: 4 });
  assert.deepEqual(parseRpcState('3Pxyz'), { ok: true, state: 10 });
  assert.deepEqual(parseRpcState('1'), { ok: true, state: 0 });
  assert.deepEqual(parseRpcState('zz'), { ok: false, message: 'Unknown State Value' });
  assert.deepEqual(parseRpcState(''), { ok: false, message: 'Invalid State Parameter' });
});

test('probing mode 1 with thresholds: T, then I after ds_probing_threshold failures; back after ds_inactive_threshold', async () => {
  const e = await engineFrom('1 sip:10.0.0.1\n1 sip:10.0.0.2 2\n1 sip:10.0.0.3 4\n', {
    ds_probing_mode: 1,
    ds_probing_threshold: 3,
    ds_inactive_threshold: 2,
  });
  // array: .3 (D) .2 (T) .1
  assert.deepEqual(
    e.pingTargets().map((t) => t.uri),
    ['sip:10.0.0.2', 'sip:10.0.0.1'],
    'disabled is never pinged',
  );
  let up = true;
  const ans = (u: string) => (u === 'sip:10.0.0.1' && !up ? 408 : 200);
  assert.deepEqual(evNames(round(e, ans)), []);
  assert.deepEqual(flags(e), ['DX', 'AP', 'AP']);
  up = false;
  assert.deepEqual(evNames(round(e, ans)), []);
  assert.deepEqual(flags(e), ['DX', 'AP', 'TP']);
  round(e, ans);
  assert.deepEqual(flags(e), ['DX', 'AP', 'TP']);
  assert.deepEqual(evNames(round(e, ans)), ['down sip:10.0.0.1']);
  assert.deepEqual(flags(e), ['DX', 'AP', 'IP']);
  assert.deepEqual(evNames(round(e, ans)), [], 'already down: no second event');
  up = true;
  assert.deepEqual(evNames(round(e, ans)), []);
  assert.deepEqual(flags(e), ['DX', 'AP', 'IP'], 'one success is below ds_inactive_threshold');
  assert.deepEqual(evNames(round(e, ans)), ['up sip:10.0.0.1']);
  assert.deepEqual(flags(e), ['DX', 'AP', 'AP']);
});

test('probing mode 0: a P destination is pinged until it answers; a failure drops P (5.6)', async () => {
  const e = await engineFrom('1 sip:10.0.0.1 8\n1 sip:10.0.0.2 8\n1 sip:10.0.0.3\n');
  // array .3 .2 .1
  assert.deepEqual(
    e.pingTargets().map((t) => t.uri),
    ['sip:10.0.0.2', 'sip:10.0.0.1'],
  );
  const evs = round(e, (u) => (u === 'sip:10.0.0.1' ? 408 : 200));
  assert.deepEqual(evNames(evs), ['down sip:10.0.0.1']);
  assert.deepEqual(flags(e), ['AX', 'AX', 'IX']);
  assert.deepEqual(e.pingTargets(), []);
});

test('probing mode 2 pings only inactive+probing; mode 3 keeps P and respects its removal', async () => {
  const e2 = await engineFrom('1 sip:10.0.0.1 9\n1 sip:10.0.0.2 8\n1 sip:10.0.0.3 1\n', { ds_probing_mode: 2 });
  assert.deepEqual(
    e2.pingTargets().map((t) => t.uri),
    ['sip:10.0.0.1'],
  );
  assert.deepEqual(evNames(round(e2, () => 200)), ['up sip:10.0.0.1']);
  assert.deepEqual(flags(e2), ['IX', 'AP', 'AX'], 'mode 2: P dropped once active');
  const e3 = await engineFrom('1 sip:10.0.0.1 8\n1 sip:10.0.0.2\n', { ds_probing_mode: 3 });
  const t = at(e3.pingTargets(), 0, 'ping target');
  assert.equal(t.uri, 'sip:10.0.0.1');
  e3.pingSent(t);
  assert.equal(e3.pingResult(t, 200, 'OK', true), null);
  assert.deepEqual(flags(e3), ['AX', 'AP'], 'mode 3: P kept on success');
  e3.setStateRpc('a', 1, 'sip:10.0.0.1', false);
  assert.equal(e3.pingResult(t, 408, null, false), null);
  assert.deepEqual(flags(e3), ['AX', 'AX'], 'P removed meanwhile: the result is ignored');
});

test('reply codes: listed codes and classes count as alive; send failures count as failures with 500', async () => {
  const e = await engineFrom('1 sip:10.0.0.1 8\n', {
    ds_probing_mode: 1,
    ds_ping_reply_codes: 'code=404;class=6;code=99',
  });
  const t = at(e.pingTargets(), 0, 'ping target');
  e.pingResult(t, 404, 'Not Found', true);
  assert.deepEqual(flags(e), ['AP']);
  e.pingResult(t, 603, 'Decline', true);
  assert.deepEqual(flags(e), ['AP']);
  const ev = e.pingResult(t, 486, 'Busy', true);
  assert.deepEqual(flags(e), ['IP']);
  assert.deepEqual(ev!.context, { code: 486, reason: 'Busy', flags: 1 });
  assert.equal(ev!.source, 'keepalive');
  e.setStateRpc('a', 1, 'all', false);
  const f = e.pingSendFailed(at(e.pingTargets(), 0));
  assert.deepEqual(f!.context, { code: 500, reason: 'Sending keepalive failed', flags: 0 });
  assert.ok(e.setPingReplyCodes('class=4'));
  e.setStateRpc('ap', 1, 'all', false);
  assert.equal(e.pingResult(t, 486, null, true), null);
  assert.deepEqual(flags(e), ['AP']);
});

test('ds_mark_dst: default i (+p in mode 1), state strings, thresholds apply in 5.6, event context codes', async () => {
  const e = await engineFrom('1 sip:10.0.0.1\n1 sip:10.0.0.2\n', { flags: 2, ds_probing_threshold: 2 });
  const r = e.select(1, 8, req(), { mode: 'dst' });
  assert.equal(at(r.records, 0).uri, 'sip:10.0.0.2');
  const m1 = e.markDst(r.records, null, { kind: 'reply', code: 503, reason: 'Unavailable' });
  assert.equal(m1.code, 1);
  assert.deepEqual(m1.event, {
    name: 'dispatcher:dst-down',
    setId: 1,
    uri: 'sip:10.0.0.2',
    context: { code: 503, reason: 'Unavailable', flags: 1 },
    source: 'script',
  });
  assert.deepEqual(flags(e), ['IX', 'AX']);
  assert.equal(e.markDst(r.records, 'ap', { kind: 'request' }).event!.context.code, 820);
  assert.deepEqual(flags(e), ['AP', 'AX']);
  assert.equal(e.markDst(r.records, 't', { kind: 'faked' }).event, null, '5.6: one failure is below the threshold');
  assert.deepEqual(flags(e), ['TX', 'AX']);
  assert.equal(e.markDst(r.records, 't', { kind: 'none' }).event!.context.code, 800);
  assert.deepEqual(flags(e), ['IX', 'AX']);
  assert.equal(e.markDst(r.records, 'q', { kind: 'none' }).code, -1);
  assert.equal(e.markDst([], 'i', { kind: 'none' }).code, -1);
  assert.equal(e.markAddr(1, 'sip:10.0.0.9', 'i', { kind: 'none' }).code, -1);
  const m1p = await engineFrom('1 sip:10.0.0.1\n', { flags: 2, ds_probing_mode: 1 });
  m1p.markAddr(1, 'SIP:10.0.0.1', null, { kind: 'none' });
  assert.deepEqual(flags(m1p), ['IP']);
  const nf = await engineFrom('1 sip:10.0.0.1\n', {});
  assert.equal(nf.markDst([{ uri: 'sip:10.0.0.1', grp: 1 }], 'i', { kind: 'none' }).code, -1, 'needs flags & 2');
});

test('Kamailio 6.1 semantics on request: script marks bypass the thresholds', async () => {
  const e = await engineFrom(
    '1 sip:10.0.0.1\n',
    { flags: 2, ds_probing_threshold: 5, ds_inactive_threshold: 5 },
    { scriptBypassesThresholds: true },
  );
  assert.equal(e.markAddr(1, 'sip:10.0.0.1', 't', { kind: 'none' }).event!.name, 'dispatcher:dst-down');
  assert.deepEqual(flags(e), ['IX']);
  assert.equal(e.markAddr(1, 'sip:10.0.0.1', 'a', { kind: 'none' }).event!.name, 'dispatcher:dst-up');
});

test('state update rules: T on I stays I, D only, state bits replaced (flag 16 cleared)', async () => {
  const e = await engineFrom('1 sip:10.0.0.1 17\n', { flags: 2 });
  const d = at(e.list!.byId.get(1)!.dests, 0);
  assert.equal(d.flags, 17);
  e.markAddr(1, 'sip:10.0.0.1', 'tp', { kind: 'none' });
  assert.equal(d.flags, 9, 'TRYING on INACTIVE stays INACTIVE (+P); bit 16 cleared');
  e.markAddr(1, 'sip:10.0.0.1', 'dip', { kind: 'none' });
  assert.equal(d.flags, 4);
  assert.equal(d.noIpAddr, true, 'the load-time no-address mark stays');
});

test('RPC set_state raises no events and ignores thresholds; events per event_callback_mode', async () => {
  const e = await engineFrom('1 sip:10.0.0.1\n', { flags: 2, ds_probing_threshold: 3 });
  e.setStateRpc('t', 1, 'sip:10.0.0.1', false);
  assert.deepEqual(flags(e), ['TX']);
  e.setStateRpc('i', 1, 'sip:10.0.0.1', false);
  assert.deepEqual(flags(e), ['IX']);
  const m1 = await engineFrom('1 sip:10.0.0.1\n', { flags: 2, event_callback_mode: 1, ds_probing_mode: 1 });
  assert.equal(m1.markAddr(1, 'sip:10.0.0.1', 'i', { kind: 'none' }).event, null, 'mode 1: keepalive only');
  const t = at(m1.pingTargets(), 0, 'ping target');
  assert.equal(m1.pingResult(t, 200, 'OK', true)!.name, 'dispatcher:dst-up');
  const m2 = await engineFrom('1 sip:10.0.0.1\n', { flags: 2, event_callback_mode: 2, ds_probing_mode: 1 });
  const t2 = at(m2.pingTargets(), 0, 'ping target');
  assert.equal(m2.pingResult(t2, 200, 'OK', true)!.name, 'dispatcher:dst-up', 'mode 2: old flags 0 → event');
  assert.equal(m2.pingResult(t2, 200, 'OK', true), null, 'AP → AP: nothing');
});

test('keepalive request details: From, outbound proxy, socket priority, fr_timeout, matching after a reload', async () => {
  const e = await engineFrom(
    [
      '1 sip:10.0.0.1 8 0 ping_from=sip:probe@me;obproxy=sip:10.9.9.9;sockname=lan;socket=udp:127.0.0.1:5060',
      '1 sip:10.0.0.2 8 1 socket=udp:127.0.0.1:5060',
      '1 sip:10.0.0.3 8 2',
    ].join('\n'),
    { ds_ping_method: 'INFO', outbound_proxy: 'sip:10.8.8.8', ds_default_sockname: 'wan', ds_ping_fr_timeout: 2 },
  );
  const ts = e.pingTargets();
  assert.deepEqual(
    ts.map((t) => [t.uri, t.method, t.fromUri, t.outboundProxy, t.socket, t.frTimeoutMs]),
    [
      ['sip:10.0.0.3', 'INFO', 'sip:dispatcher@localhost', 'sip:10.8.8.8', { kind: 'name', name: 'wan' }, 2000],
      [
        'sip:10.0.0.2',
        'INFO',
        'sip:dispatcher@localhost',
        'sip:10.8.8.8',
        { kind: 'spec', spec: 'udp:127.0.0.1:5060' },
        2000,
      ],
      ['sip:10.0.0.1', 'INFO', 'sip:probe@me', 'sip:10.9.9.9', { kind: 'name', name: 'lan' }, 2000],
    ],
  );
  await e.reload({ text: '1 sip:10.0.0.3 8 2\n', fileName: 'r' });
  assert.equal(e.pingResult(at(ts, 0), 200, 'OK', true), null);
  assert.deepEqual(flags(e), ['AX'], 'matched by URI in the new list');
  assert.equal(e.pingResult(at(ts, 1), 200, 'OK', true), null, 'gone after the reload: ignored');
});
