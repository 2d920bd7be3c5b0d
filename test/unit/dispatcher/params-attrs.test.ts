import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultParams, finalizeParams, setParam, PARAM_SPECS } from '../../../src/modules/dispatcher/params';
import { ParamError } from '../../../src/modules/dispatcher/errors';
import { parseAttrs } from '../../../src/modules/dispatcher/attrs';
import { isPingSuccess, parsePingReplyCodes } from '../../../src/modules/dispatcher/pingcodes';
import { appendExtraAttrs, parseExtraAttrsParam, recordsFromDbRows } from '../../../src/modules/dispatcher/db-rows';
import { engineFrom, params } from './helpers';
import { Dispatcher } from '../../../src/modules/dispatcher/engine';
import { seededRng } from '../../../src/modules/dispatcher/rng';
import { at } from '../../helpers/at';

test('modparams: 5.6.3 defaults, types, ranges, aliases', () => {
  const p = defaultParams();
  assert.equal(p.reload_delta, 5);
  assert.equal(p.ds_latency_estimator_alpha, 900);
  assert.equal(p.ds_ping_from, 'sip:dispatcher@localhost');
  assert.equal(p.xavp_dst, '_dsdst_');
  assert.equal(p.force_dst, 1);
  assert.equal(p.ds_dns_mode, 1);
  assert.equal(p.ds_hash_respread, 0);
  assert.equal(Object.keys(PARAM_SPECS).length, Object.keys(p).length);
  setParam(p, 'ds_ping_fr_timer', 3);
  assert.equal(p.ds_ping_fr_timeout, 3);
  setParam(p, 'flags', '3');
  assert.equal(p.flags, 3);
  assert.throws(() => setParam(p, 'nope', 1), ParamError);
  assert.throws(() => setParam(p, 'flags', 'two'), /expects an integer/);
  assert.throws(() => setParam(p, 'xavp_dst', 5), /expects a string/);
  assert.throws(() => setParam(p, 'ds_probing_mode', 4), /<= 3/);
  assert.throws(() => setParam(p, 'ds_hash_size', -1), />= 0/);
  const q = defaultParams();
  setParam(q, 'ds_latency_estimator_alpha', 1000);
  assert.match(finalizeParams(q).join('\n'), /using 900/);
  assert.equal(q.ds_latency_estimator_alpha, 900);
  setParam(q, 'ds_ping_reply_codes', 'code=404;;');
  assert.throws(() => finalizeParams(q), ParamError);
});

test('attrs: names case-insensitive, first occurrence wins, quotes, ranges, unknown kept in BODY', () => {
  const r = parseAttrs('DUID=gw1;weight=50;weight=20;MaxLoad=7;rweight=300;foo=bar;socket="udp:1.2.3.4:5060";');
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.attrs.body, 'DUID=gw1;weight=50;weight=20;MaxLoad=7;rweight=300;foo=bar;socket="udp:1.2.3.4:5060"');
  assert.deepEqual(
    [r.attrs.duid, r.attrs.weight, r.attrs.maxload, r.attrs.rweight, r.attrs.socket],
    ['gw1', 50, 7, 0, 'udp:1.2.3.4:5060'],
  );
  assert.ok(r.warnings.some((w) => /rweight 300/.test(w)));
  const partial = parseAttrs('weight=50abc;maxload=9x');
  assert.ok(partial.ok && partial.attrs.weight === 50 && partial.attrs.maxload === 9, 'str2sint keeps the digits read');
  const flag = parseAttrs('duid;cc=1;latency=30');
  assert.ok(flag.ok && flag.attrs.duid === null && flag.attrs.cc === 1 && flag.attrs.latency === 30);
  const empty = parseAttrs(';');
  assert.ok(empty.ok && empty.attrs.body === '', 'a lone ";" still gives an (empty) body');
  assert.equal(parseAttrs(null).ok && parseAttrs(null).ok, true);
  const none = parseAttrs(null, true);
  assert.ok(none.ok && none.attrs.body === 'none=yes');
  assert.equal(parseAttrs('a=b;;').ok, false);
  assert.equal(parseAttrs('a=b c').ok, false);
  const comma = parseAttrs('a=1,b=2;duid=z');
  assert.ok(comma.ok && comma.attrs.duid === null, '"," ends the list');
});

test('dispatcher.list prints null strings, empty bodies and ds_attrs_none as Kamailio does', async () => {
  const e = await engineFrom('1 sip:10.0.0.1 0 0 ;\n1 sip:10.0.0.2\n');
  const m = (await import('../../../src/modules/dispatcher/rpc-results')).buildListResult(e.list, 'normal', {
    latencyStats: false,
    hashSize: 0,
  });
  const dests = at(m.RECORDS as { SET: { TARGETS: { DEST: Record<string, unknown> }[] } }[], 0).SET.TARGETS.map(
    (t) => t.DEST,
  );
  assert.deepEqual(dests[0], { URI: 'sip:10.0.0.2', FLAGS: 'AX', PRIORITY: 0 });
  assert.deepEqual(at(dests, 1).ATTRS, {
    BODY: '',
    DUID: null,
    MAXLOAD: 0,
    WEIGHT: 0,
    RWEIGHT: 0,
    SOCKET: null,
    SOCKNAME: null,
    OBPROXY: null,
  });
  const n = await engineFrom('1 sip:10.0.0.1\n', { ds_attrs_none: 1 });
  assert.equal(at(n.list!.byId.get(1)!.dests, 0).attrs.body, 'none=yes');
});

test('ds_ping_reply_codes: codes 100..699, classes 1..6, others ignored', () => {
  const rc = parsePingReplyCodes('class=2;code=403;code=488;code=700;class=7;foo=1;CODE=404')!;
  assert.deepEqual(rc, { codes: [403, 488, 404], classes: [2] });
  assert.ok(isPingSuccess(rc, 404));
  assert.ok(isPingSuccess(rc, 250));
  assert.ok(!isPingSuccess(rc, 408));
  assert.ok(isPingSuccess(parsePingReplyCodes('code=408')!, 408), 'a listed local timeout counts too');
  assert.equal(parsePingReplyCodes('code=1;;'), null);
});

test('DB rows: DB order, extra attrs appended, overflow fails the load', async () => {
  const extras = parseExtraAttrsParam('region=region_col;tier=tier_col;')!;
  assert.deepEqual(extras, [
    { name: 'region', column: 'region_col' },
    { name: 'tier', column: 'tier_col' },
  ]);
  assert.equal(parseExtraAttrsParam('region'), null);
  assert.equal(appendExtraAttrs('duid=a', extras, ['eu', null]), 'duid=a;region=eu;');
  assert.equal(appendExtraAttrs(null, extras, ['', 3]), 'tier=3;');
  const recs = recordsFromDbRows(
    [
      { setid: 1, destination: 'sip:10.0.0.1', flags: 0, priority: 1, attrs: 'duid=a', extra: ['eu', 1] },
      { setid: 1, destination: 'sip:10.0.0.2' },
    ],
    extras,
  );
  assert.deepEqual(
    recs.map((r) => [r.uri, r.priority, r.attrs, r.origin]),
    [
      ['sip:10.0.0.1', 1, 'duid=a;region=eu;tier=1;', 'dispatcher row 1'],
      ['sip:10.0.0.2', 0, null, 'dispatcher row 2'],
    ],
  );
  assert.throws(
    () => recordsFromDbRows([{ setid: 1, destination: 'sip:x', attrs: 'a'.repeat(1020), extra: ['eu', 1] }], extras),
    /attrs buffer/,
  );
  const e = new Dispatcher({ params: params(), rng: seededRng(1) });
  await e.loadInitial({ records: recs });
  assert.deepEqual(
    e.list!.byId.get(1)!.dests.map((d) => d.attrs.body),
    ['duid=a;region=eu;tier=1', null],
  );
});
