import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { assertError, compileRoute, MODS, newFakeCtx, run, varAfter } from './helpers';
import { MessageStore, XavpRecord, type LogRecord } from '../../../src/script';
import type { FakeCtx } from './helpers';

describe('pseudo-variables through the registry (table-driven)', () => {
  const ctx = () =>
    newFakeCtx({
      method: 'INVITE',
      ruri: 'sip:alice@example.com:5080',
      from: 'sip:bob@example.org',
      to: 'sip:carol@example.net',
      callId: 'abc@host',
      srcIp: '10.0.0.9',
      srcPort: 5090,
      headers: new Map([['x-test', 'hello']]),
    });
  const cases: Array<[string, string | number | null]> = [
    ['$rm', 'INVITE'],
    ['$ru', 'sip:alice@example.com:5080'],
    ['$rU', 'alice'],
    ['$rd', 'example.com'],
    ['$rp', '5080'],
    ['$fu', 'sip:bob@example.org'],
    ['$fU', 'bob'],
    ['$fd', 'example.org'],
    ['$tu', 'sip:carol@example.net'],
    ['$tU', 'carol'],
    ['$td', 'example.net'],
    ['$ci', 'abc@host'],
    ['$si', '10.0.0.9'],
    ['$sp', 5090],
    ['$hdr(X-Test)', 'hello'],
    ['$hdr(Missing)', null],
    ['$du', null],
    ['$T_req($fu)', 'sip:bob@example.org'],
    ['$(rU{s.len})', 5],
    ['$(rU{s.toupper})', 'ALICE'],
    ['$(ru{s.substr,4,5})', 'alice'],
    ['$(ci{s.strip,4})', 'host'],
    ['$(fU{s.md5})', '9f9d51bc70ef21ca5c14f307980a29d8'],
    ['$(du{s.len})', ''],
    ['$(var(zero){s.len})', 1],
  ];
  for (const [pv, want] of cases) {
    it(`${pv} → ${JSON.stringify(want)}`, () => {
      const c = compileRoute(`$xavp(o=>v) = ${pv};`);
      const { ctx: out } = run(c, ctx());
      assert.equal(out.store.xavps.field('o', 0, 'v'), want);
    });
  }
});

describe('assignment', () => {
  it('writes through the registry setter', () => {
    const { ctx } = run(compileRoute('$du = "sip:10.0.0.1:5060"; $rU = "bob";'));
    assert.equal(ctx.du, 'sip:10.0.0.1:5060');
    assert.equal(ctx.ruri, 'sip:bob@example.com');
  });
  it('$null resets a variable', () => {
    const { ctx } = run(compileRoute('$du = "sip:x"; $du = $null;'));
    assert.equal(ctx.du, null);
  });
  it('+= appends or adds following the left operand type', () => {
    assert.equal(varAfter('$var(r) = "a"; $var(r) += "b";'), 'ab');
    assert.equal(varAfter('$var(r) = 1; $var(r) += 2;'), 3);
  });
  it('$var keeps its value across messages (per process), $avp does not', () => {
    const c = compileRoute('$var(n) = $var(n) + 1; $avp(n) = $var(n); $xavp(o=>n) = $var(n);');
    run(c);
    const { ctx } = run(c);
    assert.equal(ctx.store.xavps.field('o', 0, 'n'), 2);
  });
  it('refuses assignment to a read-only variable', () => {
    assertError(`${MODS}request_route {\n  $si = "1.2.3.4";\n}\n`, 13, 3, /\$si is read-only/);
  });
});

describe('$avp', () => {
  it('stacks values, newest first, and indexes them', () => {
    const c = compileRoute(
      '$avp(x) = 1; $avp(x) = 2; $avp(s:x) = 3; $xavp(o=>a) = $avp(x); $xavp(o[0]=>b) = $(avp(x)[2]);',
    );
    const { ctx } = run(c);
    assert.deepEqual(ctx.store.xavps.record('o')?.toObject(), { a: 3, b: 1 });
    assert.deepEqual(ctx.store.avps.all('x'), [3, 2, 1]);
  });
  it('$null removes the newest value; [*] all of them', () => {
    const { ctx } = run(compileRoute('$avp(x) = 1; $avp(x) = 2; $avp(x) = $null;'));
    assert.deepEqual(ctx.store.avps.all('x'), [1]);
    const r2 = run(compileRoute('$avp(x) = 1; $avp(x) = 2; $(avp(x)[*]) = $null;'));
    assert.deepEqual(r2.ctx.store.avps.all('x'), []);
  });
});

describe('$xavp and the store API the dispatcher uses', () => {
  function dsRecords(): MessageStore {
    const s = new MessageStore();
    // what ds_select_dst leaves behind: records in selection order, first = chosen
    s.xavps.append('_dsdst_', new XavpRecord({ uri: 'sip:10.0.0.1:5060', grp: 1, attrs: 'weight=50' }));
    s.xavps.append('_dsdst_', new XavpRecord({ uri: 'sip:10.0.0.2:5060', grp: 1 }));
    s.xavps.push('_dsctx_', new XavpRecord({ cnt: 2 }));
    return s;
  }
  const reads: Array<[string, string | number | null]> = [
    ['$xavp(_dsdst_=>uri)', 'sip:10.0.0.1:5060'],
    ['$xavp(_dsdst_[0]=>uri)', 'sip:10.0.0.1:5060'],
    ['$xavp(_dsdst_[1]=>uri)', 'sip:10.0.0.2:5060'],
    ['$xavp(_dsdst_[-1]=>uri)', 'sip:10.0.0.2:5060'],
    ['$xavp(_dsdst_[2]=>uri)', null],
    ['$xavp(_dsdst_=>grp)', 1],
    ['$xavp(_dsdst_[1]=>attrs)', null],
    ['$xavp(_dsctx_=>cnt)', 2],
    ['$xavp(nothing=>x)', null],
  ];
  for (const [pv, want] of reads) {
    it(`${pv} → ${JSON.stringify(want)}`, () => {
      const ctx = newFakeCtx({ store: dsRecords() });
      run(compileRoute(`$var(i) = 1; $avp(out) = ${pv};`), ctx);
      assert.equal(ctx.store.avps.get('out'), want);
    });
  }
  it('index from a variable', () => {
    const ctx = newFakeCtx({ store: dsRecords() });
    run(compileRoute('$var(i) = 1; $avp(out) = $xavp(_dsdst_[$var(i)]=>uri);'), ctx);
    assert.equal(ctx.store.avps.get('out'), 'sip:10.0.0.2:5060');
  });
  it('format strings read xavp fields (the sample xdbg line)', () => {
    const ctx = newFakeCtx({ store: dsRecords(), du: 'sip:10.0.0.1:5060' });
    const c = compileRoute('xdbg("--- SCRIPT: going to <$ru> via <$du> (attrs: $xavp(_dsdst_=>attrs))\\n");');
    run(c, ctx);
    assert.deepEqual(c.log, [
      {
        level: 3,
        message: '--- SCRIPT: going to <sip:alice@example.com> via <sip:10.0.0.1:5060> (attrs: weight=50)\n',
      },
    ]);
  });
  it('assignment follows pv_set_xavp(): no index adds a new record, [0] adds to the newest', () => {
    const { ctx } = run(compileRoute('$xavp(r=>a) = 1; $xavp(r[0]=>b) = "x"; $xavp(r=>a) = 2; $xavp(r[1]=>a) = 3;'));
    const xs = ctx.store.xavps;
    assert.equal(xs.count('r'), 2);
    assert.deepEqual(xs.record('r', 0)?.toObject(), { a: 2 });
    assert.deepEqual(xs.record('r', 1)?.toObject(), { a: 3, b: 'x' });
    assert.equal(xs.field('r', 1, 'a', 1), 1);
  });
  it('$null removes fields and records', () => {
    const ctx = newFakeCtx({ store: dsRecords() });
    run(compileRoute('$xavp(_dsdst_[0]=>attrs) = $null; $xavp(_dsdst_) = $null;'), ctx);
    assert.equal(ctx.store.xavps.count('_dsdst_'), 1);
    assert.equal(ctx.store.xavps.field('_dsdst_', 0, 'uri'), 'sip:10.0.0.2:5060');
    run(compileRoute(`$xavp(_dsdst_[*]) = $null;`), ctx);
    assert.equal(ctx.store.xavps.count('_dsdst_'), 0);
  });
  it('XavpStore insert/removeAt/setAt keep newest-first order', () => {
    const s = new MessageStore().xavps;
    s.push('l', 'b');
    s.push('l', 'a');
    s.append('l', 'd');
    s.insert('l', 2, 'c');
    assert.deepEqual(s.list('l'), ['a', 'b', 'c', 'd']);
    assert.equal(s.removeAt('l', 0), 'a');
    assert.ok(s.setAt('l', -1, 'z'));
    assert.deepEqual(s.list('l'), ['b', 'c', 'z']);
  });
});

describe('format strings and xlog', () => {
  const fmt: Array<[string, string]> = [
    ['"$rU@$rd"', 'alice@example.com'],
    ['"from $si:$sp"', 'from 127.0.0.1:5070'],
    ['"du=$du"', 'du=<null>'],
    ['"cost $$5"', 'cost $5'],
    ['"$(rU{s.toupper})!"', 'ALICE!'],
    ['"plain"', 'plain'],
  ];
  for (const [f, want] of fmt) {
    it(`xlog(${f})`, () => {
      const c = compileRoute(`xlog("L_INFO", ${f});`);
      run(c);
      assert.deepEqual(c.log, [{ level: 2, message: want } satisfies LogRecord]);
    });
  }
  it('xlog levels, default level L_ERR, facility form', () => {
    const c = compileRoute(
      'xlog("one"); xlog("L_DBG", "two"); xlog("LOG_LOCAL0", "L_WARN", "three"); $var(l) = "L_NOTICE"; xlog("$var(l)", "four"); xinfo("five");',
    );
    run(c);
    assert.deepEqual(
      c.log.map((l) => [l.level, l.message, l.facility]),
      [
        [-1, 'one', undefined],
        [3, 'two', undefined],
        [0, 'three', 'LOG_LOCAL0'],
        [1, 'four', undefined],
        [2, 'five', undefined],
      ],
    );
  });
  it('refuses an unknown level', () => {
    assertError(`${MODS}request_route {\n  xlog("L_LOUD", "x");\n}\n`, 13, 8, /unknown log level 'L_LOUD'/);
  });
});

describe('pv module helpers', () => {
  it('pv_isset / pv_unset / is_int', () => {
    const c = compileRoute(
      '$du = "sip:x"; if (pv_isset("$du")) $avp(a) = 1; pv_unset("$du"); if (!pv_isset("$du")) $avp(b) = 1; $var(n) = 5; if (is_int("$var(n)")) $avp(c) = 1;',
    );
    const { ctx } = run(c);
    assert.deepEqual([ctx.store.avps.get('a'), ctx.store.avps.get('b'), ctx.store.avps.get('c')], [1, 1, 1]);
  });
  it('core PVs exist only with loadmodule "pv.so"', () => {
    assertError('loadmodule "xlog.so"\nrequest_route {\n  $var(x) = 1;\n}\n', 3, 3, /needs loadmodule "pv\.so"/);
  });
  it('compiles $env and $Ts', () => {
    process.env.DSD_TEST_ENV = 'yes';
    const { ctx } = run(compileRoute('$avp(e) = $env(DSD_TEST_ENV); $avp(t) = $Ts;'));
    assert.equal(ctx.store.avps.get('e'), 'yes');
    assert.ok(Math.abs((ctx.store.avps.get('t') as number) - Date.now() / 1000) < 5);
  });
});

describe('log filtering', () => {
  it('xlog does not format a message the host filters out', () => {
    const { compileConfigText, createRegistry } =
      require('../../../src/script') as typeof import('../../../src/script');
    const reg = createRegistry<FakeCtx>();
    let reads = 0;
    reg.registerPv({ name: 'counted', get: () => ++reads });
    const logged: string[] = [];
    const cfg = compileConfigText(
      'loadmodule "xlog.so"\nrequest_route { xdbg("$counted"); xlog("L_INFO", "$counted"); }\n',
      '/v.cfg',
      {
        registry: reg,
        host: {
          getFlags: () => 0,
          setFlags: () => undefined,
          store: (c: FakeCtx) => c.store,
          log: (_l: number, m: string) => void logged.push(m),
          isLogEnabled: (l: number) => l <= 2,
        },
      },
    );
    cfg.script.runRequestRoute(newFakeCtx());
    assert.deepEqual(logged, ['1']);
    assert.equal(reads, 1);
  });
});
