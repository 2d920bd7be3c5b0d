// One test per function of the signature table: it compiles with the right
// arity in an allowed block, receives its arguments converted by kind, and is
// refused with one argument too many or in a block it does not allow.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { compile, errorsOf, MODS, newFakeCtx, type FakeCtx } from './helpers';
import {
  KAMAILIO_FUNCTIONS,
  KAMAILIO_MODULES,
  RouteType,
  routeAllows,
  type ParamKind,
  type RunResult,
} from '../../../src/script';
import { at } from '../../helpers/at';

const ARG: Record<ParamKind, [string, string]> = {
  int: ['1', '1'],
  str: ['"x"', 'x'],
  fmt: ['"$rU@x"', 'alice@x'],
  igp: ['"$var(n)"', '5'],
  sgp: ['"$var(n)"', '5'],
  pv: ['"$var(n)"', '$var(n)'],
  pvw: ['"$var(n)"', '$var(n)'],
  regex: ['"^5"', '^5'],
  route: ['"N"', 'N'],
  failure_route: ['"F"', 'F'],
  onreply_route: ['"R"', 'R'],
  branch_route: ['"B"', 'B'],
  event_route: ['"x:y"', 'x:y'],
  flag: ['1', '1'],
  any: ['7', '7'],
};

const ENGINE_FUNCS = new Set([
  'setflag',
  'resetflag',
  'isflagset',
  'pv_isset',
  'pv_unset',
  'is_int',
  'not_empty',
  'xavp_rm',
  'xavp_child_rm',
  'xavp_child_seti',
  'xavp_child_sets',
  'pv_xavp_print',
]);

// Block to place a call in, by route type, with the way to run it.
const BLOCKS: Array<[number, string, (c: ReturnType<typeof compile>, ctx: FakeCtx) => RunResult | Promise<RunResult>]> =
  [
    [RouteType.REQUEST, 'route[N]', (c, ctx) => c.cfg.script.runRoute('N', ctx)],
    [RouteType.FAILURE, 'failure_route[F]', (c, ctx) => c.cfg.script.runFailureRoute('F', ctx)],
    [RouteType.TM_ONREPLY, 'onreply_route[R]', (c, ctx) => c.cfg.script.runOnReplyRoute('R', ctx)],
    [RouteType.CORE_ONREPLY, 'onreply_route', (c, ctx) => c.cfg.script.runOnReplyRoute(null, ctx)],
    [RouteType.BRANCH, 'branch_route[B]', (c, ctx) => c.cfg.script.runBranchRoute('B', ctx)],
    [RouteType.EVENT, 'event_route[x:y]', (c, ctx) => c.cfg.script.runEventRoute('x:y', ctx)],
  ];

const HEAD = `${MODS}flags FL: 1\n`;
const TAIL = (used: string): string =>
  ['route[N]', 'failure_route[F]', 'onreply_route[R]', 'branch_route[B]', 'event_route[x:y]', 'onreply_route']
    .filter((b) => b !== used)
    .map((b) => `${b} { exit; }`)
    .join('\n');

function program(block: string, call: string): string {
  return `${HEAD}${block} {\n  $var(n) = 5;\n  ${call};\n}\n${TAIL(block)}\n`;
}

describe('signature table', () => {
  it('has unique names and real Kamailio module names', () => {
    const names = KAMAILIO_FUNCTIONS.map((f) => f.name);
    assert.equal(new Set(names).size, names.length);
    for (const f of KAMAILIO_FUNCTIONS) {
      if (f.module !== null) assert.ok(KAMAILIO_MODULES.has(f.module), `${f.name}: ${f.module}`);
      assert.ok(f.variants.length > 0, f.name);
    }
  });
  it('covers every function the routing issue lists and every ds_* function of the spec', () => {
    const want = [
      'sl_send_reply',
      'send_reply',
      'sl_reply_error',
      't_relay',
      't_on_failure',
      't_on_reply',
      't_on_branch',
      't_check_trans',
      't_precheck_trans',
      't_is_canceled',
      't_check_status',
      't_branch_timeout',
      't_branch_replied',
      't_set_fr',
      't_reply',
      'record_route',
      'loose_route',
      'has_totag',
      'is_method',
      'remove_hf',
      'append_hf',
      'is_present_hf',
      'mf_process_maxfwd_header',
      'sanity_check',
      'xlog',
      'xdbg',
      'setflag',
      'resetflag',
      'isflagset',
      'forward',
      'ds_select_dst',
      'ds_select_domain',
      'ds_select',
      'ds_select_routes',
      'ds_next_dst',
      'ds_next_domain',
      'ds_set_dst',
      'ds_set_domain',
      'ds_mark_dst',
      'ds_mark_addr',
      'ds_is_from_list',
      'ds_list_exists',
      'ds_list_exist',
      'ds_is_active',
      'ds_load_update',
      'ds_load_unset',
      'ds_reload',
      'ds_dsg_fetch',
      'ds_dsg_fetch_uri',
      'ds_oc_set_attrs',
    ];
    const have = new Set(KAMAILIO_FUNCTIONS.map((f) => f.name));
    assert.deepEqual(
      want.filter((n) => !have.has(n)),
      [],
    );
  });
});

describe('every function (table-driven)', () => {
  for (const sig of KAMAILIO_FUNCTIONS) {
    const variant = at(sig.variants, sig.variants.length - 1);
    const block = BLOCKS.find(([t]) => routeAllows(sig.routes, t));
    it(`${sig.name}(${variant.join(', ')})`, async () => {
      assert.ok(block, `${sig.name} is allowed nowhere`);
      const [, head, runIt] = block;
      const call = `${sig.name}(${variant.map((k) => ARG[k][0]).join(', ')})`;
      const c = compile(program(head, call));
      const ctx = newFakeCtx();
      await runIt(c, ctx);
      if (!ENGINE_FUNCS.has(sig.name) && !sig.name.startsWith('x')) {
        const shown = variant.map((k) => ARG[k][1]).join(',');
        // the fake is_method fixup upper-cases its method list once, at load
        assert.deepEqual(ctx.calls, [`${sig.name}(${sig.name === 'is_method' ? shown.toUpperCase() : shown})`]);
      }
      // one argument too many
      const tooMany = `${sig.name}(${[...variant, 'any'].map((k) => ARG[k as ParamKind][0]).join(', ')})`;
      if (!sig.variants.some((v) => v.length === variant.length + 1)) {
        const errs = errorsOf(program(head, tooMany));
        assert.ok(
          errs.some((e) => e.line === 15 && e.col === 3 && /takes .* argument/.test(e.detail)),
          errs.map((e) => e.message).join('\n'),
        );
      }
      // a block where it is not allowed
      const banned = BLOCKS.find(([t]) => !routeAllows(sig.routes, t));
      if (banned) {
        const errs = errorsOf(program(banned[1], call));
        assert.ok(
          errs.some((e) => /cannot be used in/.test(e.detail)),
          `${sig.name} in ${banned[1]}: ${errs.map((e) => e.message).join('\n')}`,
        );
      }
    });
  }
});

describe('parameter kinds', () => {
  it('core keywords may be written without parentheses', () => {
    const c = compile(`${HEAD}route[N] { force_rport; set_reply_no_connect; force_rport(); }\n${TAIL('route[N]')}\n`);
    const ctx = newFakeCtx();
    c.cfg.script.runRoute('N', ctx);
    assert.deepEqual(ctx.calls, ['force_rport()', 'set_reply_no_connect()', 'force_rport()']);
  });
  it('igp accepts a number, a numeric string or a pseudo-variable', () => {
    const c = compile(
      `${HEAD}route[N] { $var(s) = 2; ds_select_dst(1, "4"); ds_select_dst("$var(s)", 0x4); }\n${TAIL('route[N]')}\n`,
    );
    const ctx = newFakeCtx();
    c.cfg.script.runRoute('N', ctx);
    assert.deepEqual(ctx.calls, ['ds_select_dst(1,4)', 'ds_select_dst(2,4)']);
  });
  it('fixups can convert static arguments (is_method parses the method list once)', () => {
    const c = compile(`${HEAD}route[N] { if (is_method("invite|bye")) exit; drop; }\n${TAIL('route[N]')}\n`);
    assert.deepEqual(c.cfg.script.runRoute('N', newFakeCtx({ method: 'BYE' })), { action: 'exit', code: 1 });
    assert.deepEqual(c.cfg.script.runRoute('N', newFakeCtx({ method: 'ACK' })), { action: 'drop', code: 0 });
  });
  it('fixup errors are reported at the argument', () => {
    const errs = errorsOf(`${MODS}request_route {\n  is_method("INV ITE");\n}\n`);
    assert.deepEqual(
      errs.map((e) => `${e.line}:${e.col} ${e.detail}`),
      ["13:13 is_method(): invalid method 'INV ITE'"],
    );
  });
  it('a writable pseudo-variable is required for pvw', () => {
    const errs = errorsOf(`${MODS}request_route {\n  pv_unset("$si");\n}\n`);
    assert.match(errs[0]?.detail ?? '', /\$si is read-only/);
  });
  it('function calls are not allowed as arguments', () => {
    const errs = errorsOf(`${MODS}request_route {\n  sl_send_reply(is_method("X"), "r");\n}\n`);
    assert.match(errs[0]?.detail ?? '', /function calls are not allowed as arguments/);
  });
  it('functions only known from the signature table are refused unless stubs are accepted', () => {
    const { createRegistry, checkConfigText } = require('../../../src/script') as typeof import('../../../src/script');
    const text = 'loadmodule "sl.so"\nrequest_route {\n  sl_send_reply("404", "x");\n}\n';
    const reg = createRegistry<FakeCtx>();
    const strict = checkConfigText(text, '/virtual/s.cfg', reg);
    assert.deepEqual(
      strict.errors.map((e) => e.detail),
      ["function 'sl_send_reply' (module sl) is not implemented by dsd"],
    );
    const lax = checkConfigText(text, '/virtual/s.cfg', reg, { stubs: 'accept' });
    assert.deepEqual(lax.errors, []);
    assert.match(lax.warnings.map((w) => w.detail).join('\n'), /not implemented by dsd yet/);
  });
  it('a registration can use the signature table for its parameters', () => {
    const { createRegistry, compileConfigText, simpleHost } =
      require('../../../src/script') as typeof import('../../../src/script');
    const reg = createRegistry<FakeCtx>();
    const seen: unknown[] = [];
    reg.registerModule({ name: 'tm' });
    reg.registerFunction({
      name: 't_set_fr',
      exec: (_ctx: FakeCtx, a: number, b?: number) => {
        seen.push([a, b]);
        return 1;
      },
    });
    const cfg = compileConfigText(
      'loadmodule "tm.so"\nrequest_route { t_set_fr(5000); t_set_fr("1000", 200); }\n',
      '/v.cfg',
      { registry: reg, host: simpleHost<FakeCtx>() },
    );
    cfg.script.runRequestRoute(newFakeCtx());
    assert.deepEqual(seen, [
      [5000, undefined],
      [1000, 200],
    ]);
  });
});
