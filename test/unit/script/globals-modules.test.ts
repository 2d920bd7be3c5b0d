import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { assertError, compile, errorsOf, fakeRegistry, FILE } from './helpers';
import { checkConfigText, createRegistry, parseAddress } from '../../../src/script';
import type { FakeCtx } from '../../../src/script/testing';
import { at } from '../../helpers/at';

const lines = (...l: string[]): string => l.join('\n') + '\n';

describe('global parameters', () => {
  it('produces a typed Globals', () => {
    const g = compile(
      lines(
        'debug=3',
        'log_stderror=yes',
        'log_facility=LOG_LOCAL0',
        'fork=no',
        'children=4',
        'disable_tcp=yes',
        'auto_aliases=no',
        'alias="example.com"',
        'alias=udp:sip.example.net:5070',
        'port=5062',
        'sip_warning=off',
        'mpath="/usr/lib/kamailio/modules/"',
        'memdbg=5',
        'memlog=5',
        'server_header="Server: dsd"',
        'user_agent_header="User-Agent: dsd"',
        'max_while_loops=20',
      ),
    ).cfg.globals;
    assert.equal(g.debug, 3);
    assert.equal(g.logStderror, true);
    assert.equal(g.logFacility, 'LOG_LOCAL0');
    assert.equal(g.fork, false);
    assert.equal(g.children, 4);
    assert.equal(g.disableTcp, true);
    assert.equal(g.autoAliases, false);
    assert.deepEqual(
      g.aliases.map((a) => [a.proto, a.host, a.port]),
      [
        ['any', 'example.com', null],
        ['udp', 'sip.example.net', 5070],
      ],
    );
    assert.equal(g.port, 5062);
    assert.equal(g.sipWarning, false);
    assert.equal(g.mpath, '/usr/lib/kamailio/modules/');
    assert.equal(g.memdbg, 5);
    assert.equal(g.serverHeader, 'Server: dsd');
    assert.equal(g.userAgentHeader, 'User-Agent: dsd');
    assert.equal(g.maxWhileLoops, 20);
  });

  it('listen: several lines, several addresses per line, IPv6, advertise and name', () => {
    const g = compile(
      lines(
        'listen=udp:127.0.0.1:5060',
        'listen = tcp:127.0.0.1:5061 udp:[::1]:5062',
        'listen=127.0.0.1',
        'listen=udp:127.0.0.1:5070 advertise 192.0.2.1:5080 name "pub"',
        'debug=1',
      ),
    ).cfg.globals;
    assert.deepEqual(
      g.listen.map((l) => [l.proto, l.host, l.port]),
      [
        ['udp', '127.0.0.1', 5060],
        ['tcp', '127.0.0.1', 5061],
        ['udp', '::1', 5062],
        ['any', '127.0.0.1', null],
        ['udp', '127.0.0.1', 5070],
      ],
    );
    assert.deepEqual(at(g.listen, 4).advertise, { host: '192.0.2.1', port: 5080 });
    assert.equal(at(g.listen, 4).name, 'pub');
    assert.deepEqual(at(g.listen, 1).pos, { file: FILE, line: 2, col: 10 });
    assert.equal(g.debug, 1);
  });

  it('parseAddress', () => {
    assert.deepEqual(parseAddress('udp:10.0.0.1:5060'), { proto: 'udp', host: '10.0.0.1', port: 5060 });
    assert.deepEqual(parseAddress('tls:[2001:db8::1]:5061'), { proto: 'tls', host: '2001:db8::1', port: 5061 });
    assert.deepEqual(parseAddress('eth0'), { proto: 'any', host: 'eth0', port: null });
    assert.equal(parseAddress('udp:1.2.3.4:0'), null);
    assert.equal(parseAddress('udp::'), null);
  });

  it('accepts known Kamailio globals with one warning and refuses unknown ones', () => {
    const r = checkConfigText(
      lines('tcp_connection_lifetime=3605', 'dns=no', 'rev_dns=no', 'dns=no', 'bogus_param=1'),
      FILE,
      fakeRegistry(),
    );
    assert.deepEqual(
      r.errors.map((e) => e.message),
      [`${FILE}:5:1: unknown global parameter 'bogus_param'`],
    );
    assert.deepEqual(
      r.warnings.map((w) => w.detail),
      ["global parameter 'dns' has no effect in dsd", "global parameter 'rev_dns' has no effect in dsd"],
    );
  });

  it('rejects a bad log facility', () => {
    assertError('log_facility=LOG_NOPE\n', 1, 14, /invalid log_facility/);
  });
});

describe('modules', () => {
  it('accepts Kamailio modules dsd lacks, with one warning each, and their modparams', () => {
    const r = checkConfigText(
      lines(
        'loadmodule "db_mysql.so"',
        'loadmodule "acc"',
        'loadmodule "/usr/lib/x86_64-linux-gnu/kamailio/modules/htable.so"',
        'modparam("acc", "log_flag", 1)',
        'modparam("acc", "log_extra", "src_user=$fU")',
        'modparam("htable", "htable", "a=>size=4")',
      ),
      FILE,
      fakeRegistry(),
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.warnings.map((w) => `${w.line}:${w.detail}`),
      [
        "1:module 'db_mysql' has no effect in dsd (loaded for compatibility)",
        "2:module 'acc' has no effect in dsd (loaded for compatibility)",
        "3:module 'htable' has no effect in dsd (loaded for compatibility)",
      ],
    );
  });

  it('a real registration wins over the no-op list and sees its modparams', () => {
    const reg = createRegistry<FakeCtx>();
    const seen: Array<[string, string | number]> = [];
    reg.registerModule({
      name: 'ctl',
      onParam: (n, v) => {
        seen.push([n, v]);
        if (n === 'mode' && v !== 0o600) return 'mode must be 0600';
      },
    });
    const r = checkConfigText(
      lines('loadmodule "ctl.so"', 'modparam("ctl", "binrpc", "unix:/tmp/dsd_ctl")', 'modparam("ctl", "mode", 0644)'),
      FILE,
      reg,
    );
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(seen, [
      ['binrpc', 'unix:/tmp/dsd_ctl'],
      ['mode', 0o644],
    ]);
    assert.deepEqual(
      r.errors.map((e) => `${e.line}:${e.col} ${e.detail}`),
      ['3:25 modparam("ctl", "mode"): mode must be 0600'],
    );
  });

  it('exposes modparam values on the loaded module', () => {
    const c = compile(
      lines(
        'loadmodule "dispatcher.so"',
        'loadmodule "tm"',
        'modparam("dispatcher", "list_file", "/etc/dsd/" "dispatcher.list")',
        'modparam("dispatcher", "ds_ping_interval", 10)',
        'modparam("dispatcher", "ds_ping_interval", 20)',
        'modparam("tm|dispatcher", "fr_timer", 3000)',
      ).replace('modparam("tm|dispatcher", "fr_timer", 3000)', 'modparam("t.", "fr_timer", 3000)'),
    );
    const ds = c.cfg.modules.get('dispatcher');
    assert.equal(ds?.implemented, true);
    assert.equal(ds?.param('list_file'), '/etc/dsd/dispatcher.list');
    assert.equal(ds?.param('ds_ping_interval'), 20);
    assert.deepEqual(ds?.paramAll('ds_ping_interval'), [10, 20]);
    assert.equal(c.cfg.modules.get('tm')?.param('fr_timer'), 3000);
  });

  it('modparam module names are anchored, case-insensitive regular expressions', () => {
    const errs = errorsOf(
      lines('loadmodule "tm.so"', 'loadmodule "dispatcher.so"', 'modparam("tm|dispatcher", "fr_timer", 1)'),
    );
    // matches both modules; dispatcher has no fr_timer
    assert.deepEqual(
      errs.map((e) => e.detail),
      [`modparam("tm|dispatcher", "fr_timer"): module 'dispatcher' has no parameter 'fr_timer'`],
    );
  });

  it('negative integers and yes/no are integers for modparam', () => {
    const c = compile(
      lines('loadmodule "tm.so"', 'modparam("tm", "fr_timer", -1)', 'modparam("tm", "auto_inv_100", yes)'),
    );
    assert.equal(c.cfg.modules.get('tm')?.param('fr_timer'), -1);
    assert.equal(c.cfg.modules.get('tm')?.param('auto_inv_100'), 1);
  });

  it('loading a module twice warns', () => {
    const r = checkConfigText(lines('loadmodule "tm.so"', 'loadmodule "tm.so"'), FILE, fakeRegistry());
    assert.deepEqual(
      r.warnings.map((w) => w.detail),
      ["module 'tm' is already loaded"],
    );
  });

  it('KEMI engines are refused', () => {
    assertError('cfgengine "lua"\n', 1, 11, /KEMI script engines are not supported/);
  });
});

describe('blocks', () => {
  it('every kind of route block compiles and can be run by name', () => {
    const c = compile(
      lines(
        'loadmodule "pv.so"',
        'request_route { $avp(b) = "request"; }',
        'route[1] { $avp(b) = "route1"; }',
        'route["quoted"] { $avp(b) = "quoted"; }',
        'failure_route[F] { $avp(b) = "failure"; }',
        'onreply_route[R] { $avp(b) = "onreply"; }',
        'onreply_route { $avp(b) = "core-reply"; }',
        'branch_route[B] { $avp(b) = "branch"; }',
        'event_route[dispatcher:dst-down] { $avp(b) = "down"; }',
        'event_route[dispatcher:dst-up] { $avp(b) = "up"; }',
        'event_route[tm:local-request] { $avp(b) = "local"; }',
      ),
    );
    const s = c.cfg.script;
    const probe = (f: (ctx: FakeCtx) => unknown): unknown => {
      const ctx = { flags: 0, store: new (require('../../../src/script').MessageStore)() } as FakeCtx;
      f(ctx);
      return ctx.store.avps.get('b');
    };
    assert.equal(
      probe((x) => s.runRequestRoute(x)),
      'request',
    );
    assert.equal(
      probe((x) => s.runRoute('1', x)),
      'route1',
    );
    assert.equal(
      probe((x) => s.runRoute('quoted', x)),
      'quoted',
    );
    assert.equal(
      probe((x) => s.runFailureRoute('F', x)),
      'failure',
    );
    assert.equal(
      probe((x) => s.runOnReplyRoute('R', x)),
      'onreply',
    );
    assert.equal(
      probe((x) => s.runOnReplyRoute(null, x)),
      'core-reply',
    );
    assert.equal(
      probe((x) => s.runBranchRoute('B', x)),
      'branch',
    );
    assert.equal(
      probe((x) => s.runEventRoute('dispatcher:dst-down', x)),
      'down',
    );
    assert.equal(
      probe((x) => c.cfg.routes.event('dispatcher:dst-up')?.(x)),
      'up',
    );
    assert.deepEqual(s.eventRouteNames().sort(), ['dispatcher:dst-down', 'dispatcher:dst-up', 'tm:local-request']);
    assert.equal(s.hasFailureRoute('F'), true);
    assert.equal(s.hasFailureRoute('G'), false);
    assert.deepEqual(s.runFailureRoute('G', probeCtx()), { action: 'return', code: 1 });
  });

  it('route, route[0] and main_route are the request route; reply_route is the core reply route', () => {
    for (const head of ['route', 'route[0]', 'main_route', 'request_route']) {
      const c = compile(`loadmodule "pv.so"\n${head} { $avp(x) = 1; }\n`);
      assert.equal(c.cfg.script.hasRequestRoute(), true, head);
    }
    assert.equal(compile('reply_route { exit; }\n').cfg.script.hasOnReplyRoute(null), true);
  });

  it('refuses a bad event route name', () => {
    assertError('event_route[nocolon] { exit; }\n', 1, 13, /invalid event_route name 'nocolon'/);
  });
});

function probeCtx(): FakeCtx {
  return { flags: 0, store: new (require('../../../src/script').MessageStore)() } as FakeCtx;
}
