import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../../../src/modules/dispatcher/engine';
import { dsHash } from '../../../src/modules/dispatcher/hash';
import type { SelectResult } from '../../../src/modules/dispatcher/select-types';
import { DsRequestView } from '../../../src/modules/dispatcher/request';
import { engineFrom, req } from './helpers';
import { at } from '../../helpers/at';

const L1 = [
  '1 sip:10.0.0.1:5060 0 0',
  '1 sip:10.0.0.2:5060 0 5',
  '1 sip:10.0.0.3:5060 0 0',
  '1 sip:10.0.0.4:5060 0 5',
  '1 sip:10.0.0.5:5060 0 0',
  '3 sip:10.0.3.1 0 0',
  '4 sip:10.0.4.1 0 0',
].join('\n');
// Array order of set 1: .4 .2 .5 .3 .1

const ip = (u: string) => u.replace(/^sip:10\.0\.0\.(\d):5060$/, '$1');

/** The pushed $du followed by what ds_next_dst walks, as the Kamailio harness printed it. */
function walk(e: Dispatcher, r: SelectResult, rq: DsRequestView = req()): string {
  if (!r.ok) return 'FAIL';
  let recs = r.records;
  const out = [ip(r.push!.uri), '|'];
  for (;;) {
    const n = e.nextDst(recs, true, 'dst', { ruri: rq.ruri, callId: rq.callId });
    if (n.code < 0) break;
    recs = n.records;
    out.push(ip(n.push!.uri));
  }
  return out.join(' ');
}

const sel = (e: Dispatcher, set: number, alg: number, over: Partial<DsRequestView> = {}, limit = 0) => {
  const rq = req(over);
  return walk(e, e.select(set, alg, rq, { mode: 'dst', limit }), rq);
};

test('round robin, hashes, serial and unknown alg: the picks Kamailio 5.6.3 made', async () => {
  const e = await engineFrom(L1, { flags: 2 });
  assert.equal(sel(e, 1, 4), '4 | 2 5 3 1');
  assert.equal(sel(e, 1, 4), '2 | 5 3 1 4');
  assert.equal(sel(e, 1, 4), '5 | 3 1 4 2');
  assert.equal(sel(e, 1, 8), '4 | 2 5 3 1');
  assert.equal(sel(e, 1, 0, { callId: 'abc@host' }), '3 | 1 4 2 5');
  assert.equal(sel(e, 1, 0, { callId: '  xyz-123  ' }), '3 | 1 4 2 5');
  assert.equal(sel(e, 1, 1, { fromUri: 'sip:alice@example.com:5070' }), '5 | 3 1 4 2');
  assert.equal(sel(e, 1, 2, { toUri: 'sip:bob@example.com' }), '1 | 4 2 5 3');
  assert.equal(sel(e, 1, 3, { ruri: 'sips:carol@example.org:5061' }), '5 | 3 1 4 2');
  assert.equal(sel(e, 1, 5, { authUsername: 'dave' }), '4 | 2 5 3 1');
  assert.equal(sel(e, 1, 5), '3 | 1 4 2 5'); // no credentials: round robin (shared cursor)
  assert.equal(sel(e, 1, 7, { hashPvarValue: 'k1' }), '1 | 4 2 5 3');
  assert.equal(sel(e, 1, 4, {}, 2), '1 | 4');
  assert.equal(sel(e, 1, 99), '4 | 2 5 3 1');
  // ds_select_routes: unknown set fails, later rules append their records.
  const rq = req();
  assert.equal(walk(e, e.selectRoutes('9=4;3=8;1=4', 'd', rq), rq), 'sip:10.0.3.1 | 4 2 5 3 1');
});

test('skip loop over inactive/disabled entries; the RR cursor moves past the entry used', async () => {
  const e = await engineFrom(L1, { flags: 2 });
  for (let i = 0; i < 6; i++) e.select(1, 4, req(), { mode: 'dst' }); // cursor now at 1
  e.setStateRpc('ip', 1, 'sip:10.0.0.5:5060', false);
  e.setStateRpc('d', 1, 'sip:10.0.0.2:5060', false);
  assert.deepEqual(
    [sel(e, 1, 4), sel(e, 1, 4), sel(e, 1, 4), sel(e, 1, 4)],
    ['3 | 1 4', '1 | 4 3', '4 | 3 1', '3 | 1 4'],
  );
  assert.equal(sel(e, 1, 0, { callId: 'abc@host' }), '3 | 1 4');
  assert.equal(sel(e, 1, 8), '4 | 3 1');
  e.setStateRpc('t', 1, 'sip:10.0.0.4:5060', false); // TRYING is still selectable
  assert.equal(sel(e, 1, 8), '4 | 3 1');
  e.setStateRpc('i', 1, 'all', false);
  assert.equal(sel(e, 1, 4), 'FAIL');
  assert.equal(sel(e, 4, 4), '10.0.4.1 |'.replace('10.0.4.1', 'sip:10.0.4.1'));
});

test('hash picks are hash % N over the array (computed, not remembered)', async () => {
  const e = await engineFrom(L1, { flags: 2 });
  const uris = e.list!.byId.get(1)!.dests.map((d) => d.uri);
  for (let i = 0; i < 50; i++) {
    const cid = `k${i}-${i * 7919}@h`;
    const r = e.select(1, 0, req({ callId: cid }), { mode: 'xavp' });
    assert.equal(r.selected!.uri, uris[dsHash(cid) % 5]);
    assert.equal(r.push, null, 'xavp mode pushes nothing');
  }
  const userOnly = await engineFrom(L1, { flags: 3 });
  const a = userOnly.select(1, 1, req({ fromUri: 'sip:alice@one.example' }), { mode: 'dst' }).selected!.uri;
  const b = userOnly.select(1, 1, req({ fromUri: 'sip:alice@two.example:5070' }), { mode: 'dst' }).selected!.uri;
  assert.equal(a, b, 'flags & 1 hashes the user part only');
  assert.equal(a, uris[dsHash('alice') % 5]);
});

test('failing hash inputs fail the select; alg 5 without credentials falls back to round robin', async () => {
  const e = await engineFrom(L1, { flags: 2 });
  assert.equal(e.select(1, 0, req({ callId: null }), { mode: 'dst' }).code, -1);
  assert.equal(e.select(1, 1, req({ fromUri: 'garbage' }), { mode: 'dst' }).code, -1);
  assert.equal(e.select(1, 7, req({ hashPvarValue: null }), { mode: 'dst' }).code, -1);
  assert.equal(e.select(1, 7, req({ hashPvarValue: '  ' }), { mode: 'dst' }).code, -1);
  assert.equal(e.select(2, 4, req(), { mode: 'dst' }).code, -1, 'unknown set');
  const r = e.select(1, 5, req({ authUsername: null }), { mode: 'dst' });
  assert.equal(r.selected!.idx, 0);
  assert.equal(e.list!.byId.get(1)!.last, 1);
});

test('use_default: the last array entry is only a fallback, appended last to the records', async () => {
  const e = await engineFrom(L1, { flags: 2, use_default: 1 });
  // N = 4 → the cursor cycles over .4 .2 .5 .3; .1 (index 4) is the default.
  assert.deepEqual(
    [sel(e, 1, 4), sel(e, 1, 4), sel(e, 1, 4), sel(e, 1, 4), sel(e, 1, 4)],
    ['4 | 2 5 3 1', '2 | 5 3 4 1', '5 | 3 4 2 1', '3 | 4 2 5 1', '4 | 2 5 3 1'],
  );
  e.setStateRpc('i', 1, 'sip:10.0.0.4:5060', false);
  e.setStateRpc('i', 1, 'sip:10.0.0.2:5060', false);
  e.setStateRpc('i', 1, 'sip:10.0.0.5:5060', false);
  e.setStateRpc('i', 1, 'sip:10.0.0.3:5060', false);
  assert.equal(sel(e, 1, 4), '1 |', 'all others down: the default is used, not duplicated');
  assert.equal(sel(e, 1, 4, {}, 1), '1 |');
  e.setStateRpc('i', 1, 'sip:10.0.0.1:5060', false);
  assert.equal(sel(e, 1, 4), 'FAIL');
  // The default record is appended without a state check, within the limit.
  e.setStateRpc('a', 1, 'sip:10.0.0.3:5060', false);
  assert.equal(sel(e, 1, 8), '3 | 1');
  assert.equal(sel(e, 1, 8, {}, 1), '3 |');
  const one = await engineFrom('9 sip:10.9.9.9\n', { flags: 2, use_default: 1 });
  assert.equal(sel(one, 9, 4), 'sip:10.9.9.9 |', 'a single entry is not reserved');
});

test('records: fields per xavp_dst_mode, attrs only when non-empty, socket strings only with a socket', async () => {
  const text =
    '1 sip:10.0.0.1 0 9 duid=a;socket=udp:127.0.0.1:5060;sockname=x\n1 sip:10.0.0.2 0 5 ;\n1 sip:10.0.0.3 0 1 weight=5\n';
  for (const [mode, keys] of [
    [
      0,
      [
        ['uri', 'grp', 'attrs', 'sock'],
        ['uri', 'grp'],
        ['uri', 'grp', 'attrs'],
      ],
    ],
    [
      1,
      [
        ['uri', 'grp', 'sock'],
        ['uri', 'grp'],
        ['uri', 'grp'],
      ],
    ],
    [
      6,
      [
        ['uri', 'grp', 'attrs', 'sock', 'socket', 'sockname'],
        ['uri', 'grp'],
        ['uri', 'grp', 'attrs'],
      ],
    ],
  ] as const) {
    const e = await engineFrom(text, { flags: 2, xavp_dst_mode: mode });
    const r = e.select(1, 8, req(), { mode: 'xavp' });
    assert.deepEqual(
      r.records.map((x) => Object.keys(x)),
      keys,
      `xavp_dst_mode ${mode}`,
    );
    assert.equal(r.ctxCnt, 3);
  }
  const e = await engineFrom(text, { flags: 2, xavp_ctx_mode: 1 });
  const r = e.select(1, 8, req(), { mode: 'dst' });
  assert.equal(at(r.records, 0).attrs, 'duid=a;socket=udp:127.0.0.1:5060;sockname=x');
  assert.equal(at(r.records, 0).grp, 1);
  assert.equal(r.ctxCnt, null);
  assert.equal(r.cnt, 3);
  assert.ok(r.push!.sock !== null);
  const noFailover = await engineFrom(text, {});
  assert.deepEqual(noFailover.select(1, 8, req(), { mode: 'dst' }).records, []);
  assert.equal(noFailover.nextDst([], true, 'dst', { ruri: 'sip:x', callId: 'c' }).code, -1);
});

test('force_dst=0 refuses a d-uri select when $du is set; domain mode rewrites the R-URI host part', async () => {
  const e = await engineFrom('1 sip:10.0.0.1:5070;transport=tcp\n', { flags: 2, force_dst: 0 });
  assert.equal(e.select(1, 8, req({ duIsSet: true }), { mode: 'dst' }).code, -1);
  assert.equal(e.select(1, 8, req({ duIsSet: true }), { mode: 'xavp' }).code, 1);
  const r = e.select(1, 8, req({ ruri: 'sip:bob:pw@old.example:5080;user=phone?X=1', duIsSet: true }), {
    mode: 'domain',
  });
  assert.equal(r.push!.newRuri, 'sip:bob:pw@10.0.0.1:5070;transport=tcp');
  const r2 = e.select(1, 8, req({ ruri: 'sips:old.example' }), { mode: 'domain' });
  assert.equal(r2.push!.newRuri, 'sips:10.0.0.1:5070;transport=tcp');
  const n = e.nextDst(r.records, false, 'domain', { ruri: 'sip:carol@x.example', callId: 'c' });
  assert.equal(n.push!.newRuri, 'sip:carol@10.0.0.1:5070;transport=tcp');
  assert.equal(n.records.length, 1, 'ds_set_domain keeps the head record');
});

test('ds_select_routes: rule syntax, modes, shared limit and count', async () => {
  const e = await engineFrom(L1, { flags: 2 });
  const r = e.selectRoutes('3=8;1=8', 'x', req(), 3);
  assert.deepEqual(
    r.records.map((x) => x.uri),
    ['sip:10.0.3.1', 'sip:10.0.0.4:5060', 'sip:10.0.0.2:5060'],
  );
  assert.equal(r.ctxCnt, 3);
  assert.equal(r.push, null);
  const d = e.selectRoutes('3=8;1=8', 'R', req({ ruri: 'sip:u@h' }));
  assert.equal(d.push!.newRuri, 'sip:u@10.0.3.1');
  assert.equal(d.records.length, 6);
  assert.equal(e.selectRoutes('1=8;x', 'd', req()).code, -1);
  assert.equal(e.selectRoutes('1-8', 'd', req()).code, -1);
  assert.equal(e.selectRoutes('1=8', 'q', req()).code, -1);
  const f = e.selectRoutes('9=4;8=4', 'd', req());
  assert.equal(f.code, -1);
  assert.equal(f.ctxCnt, null);
  assert.equal(
    e.selectRoutes('1', 'd', req()).selected!.uri,
    at(e.list!.byId.get(1)!.dests, 0).uri,
    '"1" = set 1, alg 0',
  );
});
