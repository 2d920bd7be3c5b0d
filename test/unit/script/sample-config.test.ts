// The acceptance configuration: Kamailio's dispatcher sample (alg 4) and dsd's
// default script, compiled and driven through their routes with fake SIP functions.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  checkConfig,
  compileConfig,
  createRegistry,
  LogLevel,
  simpleHost,
  type CompiledConfig,
  type LogRecord,
} from '../../../src/script';
import { fakeRegistry, FIXTURES, newFakeCtx, type FakeCtx } from './helpers';
import { at } from '../../helpers/at';

const SAMPLE = path.join(FIXTURES, 'dispatcher-sample.cfg');
const DEFAULT = path.join(FIXTURES, 'dsd-default.cfg');

function load(
  file: string,
  defines?: Record<string, string | true>,
): { cfg: CompiledConfig<FakeCtx>; log: LogRecord[] } {
  const log: LogRecord[] = [];
  const cfg = compileConfig(file, {
    registry: fakeRegistry(),
    host: simpleHost<FakeCtx>({ log, myself: () => false }),
    defines,
  });
  return { cfg, log };
}

function req(cfg: CompiledConfig<FakeCtx>, init: Partial<FakeCtx>): FakeCtx {
  const ctx = newFakeCtx(init);
  const res = cfg.script.runRequestRoute(ctx);
  assert.ok(!(res instanceof Promise));
  return ctx;
}

const PRE = [
  'mf_process_maxfwd_header(10)',
  'sanity_check(1511,7)',
  'is_method(CANCEL)',
  'is_method(ACK)',
  't_precheck_trans()',
  't_check_trans()',
  'has_totag()',
];

describe('dispatcher sample configuration (alg 4)', () => {
  it('is the upstream file with only the documented changes', () => {
    const text = fs.readFileSync(SAMPLE, 'utf8');
    assert.match(text, /^#!KAMAILIO\n/);
    assert.match(text, /^modparam\("dispatcher", "list_file", "dispatcher\.list"\)$/m);
    assert.doesNotMatch(text, /^modparam\("dispatcher", "db_url"/m);
    assert.match(text, /^listen=udp:127\.0\.0\.1:5060$/m);
    assert.match(text, /failure_route\[RTF_DISPATCH\]/);
  });

  it('compiles with zero errors against the signature table alone', () => {
    const r = checkConfig(SAMPLE, createRegistry(), { stubs: 'accept' });
    assert.deepEqual(
      r.errors.map((e) => e.message),
      [],
    );
  });

  it('compiles with zero errors with implementations; no-op modules warn once each', () => {
    const { cfg } = load(SAMPLE);
    assert.deepEqual(
      cfg.warnings.map((w) => w.detail),
      ['db_mysql', 'kex', 'corex', 'acc'].map((m) => `module '${m}' has no effect in dsd (loaded for compatibility)`),
    );
    assert.equal(cfg.globals.children, 4);
    assert.equal(cfg.globals.disableTcp, true);
    assert.equal(cfg.globals.logFacility, 'LOG_LOCAL0');
    assert.deepEqual(
      cfg.globals.listen.map((l) => `${l.proto}:${l.host}:${l.port}`),
      ['udp:127.0.0.1:5060'],
    );
    const ds = cfg.modules.get('dispatcher');
    assert.equal(ds?.param('list_file'), 'dispatcher.list');
    assert.equal(ds?.param('flags'), 2);
    assert.equal(ds?.param('ds_ping_interval'), 60);
    assert.equal(
      cfg.modules.get('acc')?.param('log_extra'),
      'src_user=$fU;src_domain=$fd;dst_ouser=$tU;dst_user=$rU;dst_domain=$rd;src_ip=$si',
    );
    assert.equal(cfg.modules.get('acc')?.implemented, false);
    assert.equal(path.join(cfg.dir, 'dispatcher.list'), path.join(FIXTURES, 'dispatcher.list'));
  });

  it('dispatches an initial INVITE round robin and relays it statefully', () => {
    const { cfg, log } = load(SAMPLE);
    const dests = ['sip:127.0.0.1:5080', 'sip:127.0.0.1:5081'];
    let next = 0;
    const select = (ctx: FakeCtx): number => {
      ctx.du = at(dests, next++ % dests.length);
      return 1;
    };
    const seen: Array<string | null> = [];
    for (let i = 0; i < 4; i++) {
      const ctx = req(cfg, { results: { ds_select_dst: select } });
      assert.deepEqual(ctx.calls, [
        ...PRE,
        'remove_hf(Route)',
        'is_method(INVITE|SUBSCRIBE)',
        'record_route()',
        'is_method(INVITE)',
        'is_method(PUBLISH|SUBSCRIBE)',
        'is_method(REGISTER)',
        'ds_select_dst(1,4)',
        't_on_failure(RTF_DISPATCH)',
        't_relay()',
      ]);
      assert.equal(ctx.flags, 1 << 1, 'FLT_ACC set for INVITE');
      seen.push(ctx.du);
    }
    assert.deepEqual(seen, [dests[0], dests[1], dests[0], dests[1]]);
    assert.equal(log.filter((l) => l.level === LogLevel.DBG).length, 4);
    assert.match(
      at(log, 0).message,
      /^--- SCRIPT: going to <sip:alice@example\.com> via <sip:127\.0\.0\.1:5080> \(attrs: <null>\)\n$/,
    );
  });

  it('answers 484 for a request without user part', () => {
    const { cfg } = load(SAMPLE);
    const ctx = req(cfg, { ruri: 'sip:example.com' });
    assert.equal(ctx.calls[ctx.calls.length - 1], 'sl_send_reply(484,Address Incomplete)');
  });

  it('answers 404 to REGISTER and to presence requests', () => {
    const { cfg } = load(SAMPLE);
    assert.equal(req(cfg, { method: 'REGISTER' }).calls.at(-1), 'sl_send_reply(404,No registrar)');
    assert.equal(req(cfg, { method: 'PUBLISH' }).calls.at(-1), 'sl_send_reply(404,Not here)');
  });

  it('answers 404 "No destination" when selection fails', () => {
    const { cfg } = load(SAMPLE);
    assert.equal(req(cfg, { results: { ds_select_dst: -1 } }).calls.at(-1), 'send_reply(404,No destination)');
  });

  it('sends 483 when Max-Forwards is exhausted and drops malformed messages', () => {
    const { cfg, log } = load(SAMPLE);
    assert.deepEqual(req(cfg, { results: { mf_process_maxfwd_header: -1 } }).calls, [
      'mf_process_maxfwd_header(10)',
      'sl_send_reply(483,Too Many Hops)',
    ]);
    assert.deepEqual(req(cfg, { results: { sanity_check: -1 } }).calls, [
      'mf_process_maxfwd_header(10)',
      'sanity_check(1511,7)',
    ]);
    assert.deepEqual(log, [{ level: LogLevel.ERR, message: 'Malformed SIP message from 127.0.0.1:5070\n' }]);
  });

  it('routes in-dialog requests with loose_route (BYE accounted)', () => {
    const { cfg } = load(SAMPLE);
    const ctx = req(cfg, { method: 'BYE', toTag: 'tt1', results: { loose_route: 1 } });
    assert.deepEqual(ctx.calls.slice(PRE.length), ['loose_route()', 'is_method(BYE)', 't_relay()']);
    assert.equal(ctx.flags, (1 << 1) | (1 << 3));
  });

  it('relays an in-dialog ACK matching a transaction, ignores others, 404s the rest', () => {
    const { cfg } = load(SAMPLE);
    const ackPre = [
      'mf_process_maxfwd_header(10)',
      'sanity_check(1511,7)',
      'is_method(CANCEL)',
      'is_method(ACK)',
      'has_totag()',
    ];
    const ack = req(cfg, { method: 'ACK', toTag: 't', results: { t_check_trans: 1 } });
    assert.deepEqual(ack.calls, [
      ...ackPre,
      'loose_route()',
      'is_method(SUBSCRIBE)',
      'is_method(ACK)',
      't_check_trans()',
      't_relay()',
    ]);
    const lost = req(cfg, { method: 'ACK', toTag: 't' });
    assert.equal(lost.calls.at(-1), 't_check_trans()');
    const info = req(cfg, { method: 'INFO', toTag: 't' });
    assert.equal(info.calls.at(-1), 'sl_send_reply(404,Not here)');
  });

  it('relays a CANCEL that matches a transaction and absorbs retransmissions', () => {
    const { cfg } = load(SAMPLE);
    const cancel = req(cfg, { method: 'CANCEL', results: { t_check_trans: 1 } });
    assert.deepEqual(cancel.calls.slice(2), ['is_method(CANCEL)', 't_check_trans()', 't_relay()']);
    const retr = req(cfg, { results: { t_precheck_trans: 1 } });
    assert.deepEqual(retr.calls.slice(4), ['t_precheck_trans()', 't_check_trans()']);
  });

  it('sends sl_reply_error() when t_relay fails', () => {
    const { cfg } = load(SAMPLE);
    assert.deepEqual(req(cfg, { results: { t_relay: -1 } }).calls.slice(-2), ['t_relay()', 'sl_reply_error()']);
  });

  describe('failure_route[RTF_DISPATCH]', () => {
    const fail = (cfg: CompiledConfig<FakeCtx>, init: Partial<FakeCtx>): FakeCtx => {
      const ctx = newFakeCtx(init);
      cfg.script.runFailureRoute('RTF_DISPATCH', ctx);
      return ctx;
    };
    it('fails over to the next destination on 500', () => {
      const { cfg } = load(SAMPLE);
      assert.deepEqual(fail(cfg, { status: 500 }).calls, [
        't_is_canceled()',
        't_check_status(500)',
        'ds_next_dst()',
        't_on_failure(RTF_DISPATCH)',
        't_relay()',
      ]);
    });
    it('fails over on a local timeout (no reply on the branch)', () => {
      const { cfg } = load(SAMPLE);
      const ctx = fail(cfg, { status: 408, results: { t_branch_timeout: 1 } });
      assert.deepEqual(ctx.calls, [
        't_is_canceled()',
        't_check_status(500)',
        't_branch_timeout()',
        't_branch_replied()',
        'ds_next_dst()',
        't_on_failure(RTF_DISPATCH)',
        't_relay()',
      ]);
    });
    it('does not fail over on other replies, when canceled, or when no destination is left', () => {
      const { cfg } = load(SAMPLE);
      assert.deepEqual(fail(cfg, { status: 486 }).calls, [
        't_is_canceled()',
        't_check_status(500)',
        't_branch_timeout()',
      ]);
      assert.deepEqual(fail(cfg, { status: 500, results: { t_is_canceled: 1 } }).calls, ['t_is_canceled()']);
      assert.deepEqual(fail(cfg, { status: 500, results: { ds_next_dst: -1 } }).calls.at(-1), 'ds_next_dst()');
      assert.deepEqual(
        fail(cfg, { status: 408, results: { t_branch_timeout: 1, t_branch_replied: 1 } }).calls.at(-1),
        't_branch_replied()',
      );
    });
  });
});

describe('dsd default configuration', () => {
  it('compiles with no errors and no warnings', () => {
    const { cfg } = load(DEFAULT);
    assert.deepEqual(
      cfg.warnings.map((w) => w.message),
      [],
    );
    assert.deepEqual(
      cfg.globals.listen.map((l) => `${l.proto}:${l.host}:${l.port}`),
      ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060'],
    );
    assert.equal(cfg.modules.get('dispatcher')?.param('list_file'), 'dispatcher.list');
    assert.equal(cfg.modules.get('dispatcher')?.param('flags'), 2);
    assert.equal(cfg.globals.debug, 2);
    assert.equal(load(DEFAULT, { WITH_DEBUG: true }).cfg.globals.debug, 3);
  });

  it('dispatches to set 1 with round robin, overridable with -A DSD_SETID=2', () => {
    assert.ok(req(load(DEFAULT).cfg, {}).calls.includes('ds_select_dst(1,4)'));
    assert.ok(req(load(DEFAULT, { DSD_SETID: '2' }).cfg, {}).calls.includes('ds_select_dst(2,4)'));
  });

  it('handles 483, in-dialog, CANCEL and 404 "No destination" like the sample', () => {
    const { cfg } = load(DEFAULT);
    assert.equal(
      req(cfg, { results: { mf_process_maxfwd_header: -1 } }).calls.at(-1),
      'sl_send_reply(483,Too Many Hops)',
    );
    assert.equal(req(cfg, { method: 'BYE', toTag: 't', results: { loose_route: 1 } }).calls.at(-1), 't_relay()');
    assert.equal(req(cfg, { method: 'CANCEL', results: { t_check_trans: 1 } }).calls.at(-1), 't_relay()');
    assert.equal(req(cfg, { results: { ds_select_dst: -1 } }).calls.at(-1), 'send_reply(404,No destination)');
    const f = newFakeCtx({ status: 503, results: { t_check_status: 1 } });
    cfg.script.runFailureRoute('RTF_DISPATCH', f);
    assert.deepEqual(f.calls.slice(-3), ['ds_next_dst()', 't_on_failure(RTF_DISPATCH)', 't_relay()']);
  });

  it('passes checkConfig against the signature table alone', () => {
    assert.deepEqual(checkConfig(DEFAULT, createRegistry(), { stubs: 'accept' }).errors, []);
  });
});
