// One broken configuration per test, each refused with the right file:line:col.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { assertError, errorsOf, FILE } from './helpers';

const lines = (...l: string[]): string => l.join('\n') + '\n';

describe('broken configs are refused with file:line:col', () => {
  it('unknown function', () => {
    assertError(
      lines('loadmodule "sl.so"', 'request_route {', '    foo_bar(1);', '}'),
      3,
      5,
      /unknown function 'foo_bar'/,
    );
  });

  it('wrong argument count', () => {
    assertError(
      lines('loadmodule "sl.so"', 'request_route {', '\tsl_send_reply("404");', '}'),
      3,
      2,
      /'sl_send_reply' takes 2 arguments, 1 given/,
    );
  });

  it('wrong argument count with overloads lists the accepted counts', () => {
    assertError(
      lines('loadmodule "tm.so"', 'request_route {', '  t_relay("udp:1.2.3.4");', '}'),
      3,
      3,
      /takes 0 or 2 arguments, 1 given/,
    );
  });

  it('unbalanced braces: block never closed before the next route', () => {
    assertError(
      lines('request_route {', '  if (1) {', '    exit;', '}', 'route[X] {', '  exit;', '}'),
      1,
      15,
      /unbalanced braces/,
    );
  });

  it('unbalanced braces: block never closed at end of file', () => {
    assertError(lines('request_route {', '  exit;', '  route(X);', 'route[X] {', '  exit;'), 4, 10, /never closed/);
  });

  it('unbalanced braces: extra closing brace', () => {
    assertError(lines('request_route {', '  exit;', '}', '}'), 4, 1, /unexpected '}' \(unbalanced braces\)/);
  });

  it('undefined route in route()', () => {
    assertError(lines('request_route {', '  route(NOPE);', '}'), 2, 9, /route\[NOPE\] is not defined/);
  });

  it('undefined failure_route in t_on_failure()', () => {
    assertError(
      lines(
        'loadmodule "tm.so"',
        'request_route {',
        '  t_on_failure("RTF_MISSING");',
        '}',
        'route[RTF_MISSING] { exit; }',
      ),
      3,
      16,
      /failure_route\[RTF_MISSING\] is not defined/,
    );
  });

  it('unknown module', () => {
    assertError(lines('loadmodule "tm.so"', 'loadmodule "not_a_module.so"'), 2, 1, /unknown module 'not_a_module\.so'/);
  });

  it('bad modparam type: string for an int parameter', () => {
    assertError(
      lines('loadmodule "dispatcher.so"', 'modparam("dispatcher", "flags", "2")'),
      2,
      33,
      /expects an integer, got the string "2"/,
    );
  });

  it('bad modparam type: int for a string parameter', () => {
    assertError(
      lines('loadmodule "dispatcher.so"', 'modparam("dispatcher", "list_file",   7)'),
      2,
      39,
      /expects a string, got the integer 7/,
    );
  });

  it('modparam of an unknown parameter', () => {
    assertError(
      lines('loadmodule "dispatcher.so"', 'modparam("dispatcher", "no_such_param", 1)'),
      2,
      1,
      /module 'dispatcher' has no parameter 'no_such_param'/,
    );
  });

  it('modparam before loadmodule', () => {
    assertError(lines('modparam("tm", "fr_timer", 1000)', 'loadmodule "tm.so"'), 1, 1, /no loaded module matches "tm"/);
  });

  it('unterminated string', () => {
    const hit = assertError(
      lines('loadmodule "xlog.so"', 'request_route {', '  xlog("L_INFO", "oops);', '}'),
      3,
      18,
      /unterminated string/,
    );
    // the rest of the file is swallowed by the string: no cascade of follow-up errors
    assert.equal(
      errorsOf(lines('loadmodule "xlog.so"', 'request_route {', '  xlog("L_INFO", "oops);', '}')).length,
      1,
      hit.message,
    );
  });

  it('unknown global parameter', () => {
    assertError(lines('debug=2', '  children_count=4'), 2, 3, /unknown global parameter 'children_count'/);
  });

  it('wrong type for a global parameter', () => {
    assertError(lines('children="4"'), 1, 10, /'children' expects an integer, got a string/);
  });

  it('invalid listen address', () => {
    assertError(lines('listen=udp:127.0.0.1:99999'), 1, 8, /invalid listen address 'udp:127\.0\.0\.1:99999'/);
  });

  it('unknown pseudo-variable', () => {
    assertError(
      lines('loadmodule "pv.so"', 'request_route {', '  if ($xyz == 1) { exit; }', '}'),
      3,
      7,
      /unknown pseudo-variable \$xyz/,
    );
  });

  it('unknown pseudo-variable inside a format string', () => {
    assertError(
      lines('loadmodule "xlog.so"', 'request_route {', '  xlog("L_INFO", "x=$nope\\n");', '}'),
      3,
      18,
      /unknown pseudo-variable \$nope/,
    );
  });

  it('missing semicolon after a function call', () => {
    assertError(
      lines('loadmodule "sl.so"', 'request_route {', '  sl_reply_error()', '  exit;', '}'),
      3,
      18,
      /missing ';' after sl_reply_error\(\.\.\.\)/,
    );
  });

  it('function not allowed in this route type', () => {
    assertError(
      lines(
        'loadmodule "sl.so"',
        'loadmodule "tm.so"',
        'request_route { t_on_failure("F"); }',
        'failure_route[F] {',
        '  sl_send_reply("500", "x");',
        '}',
      ),
      5,
      3,
      /'sl_send_reply' cannot be used in failure_route/,
    );
  });

  it('function of a module that is not loaded', () => {
    assertError(lines('request_route {', '  ds_select_dst("1", "4");', '}'), 2, 3, /needs loadmodule "dispatcher\.so"/);
  });

  it('argument of the wrong kind', () => {
    assertError(
      lines('loadmodule "maxfwd.so"', 'request_route {', '  mf_process_maxfwd_header("ten");', '}'),
      3,
      28,
      /expected an integer or a pseudo-variable, got "ten"/,
    );
  });

  it('identifier that is not a define', () => {
    assertError(
      lines('loadmodule "sl.so"', 'request_route {', '  sl_send_reply(404, NOT_FOUND);', '}'),
      3,
      22,
      /unexpected identifier 'NOT_FOUND'/,
    );
  });

  it('duplicate route', () => {
    assertError(
      lines('route[A] { exit; }', 'request_route { route(A); }', 'route[A] { drop; }'),
      3,
      1,
      /duplicate route A/,
    );
  });

  it('invalid regular expression', () => {
    assertError(lines('request_route {', '  if ("x" =~ "a(b") { exit; }', '}'), 2, 14, /invalid regular expression/);
  });

  it('mixed switch labels', () => {
    assertError(
      lines('request_route {', '  switch (1) { case 1: exit; case "a": exit; }', '}'),
      2,
      3,
      /mixed integer and string/,
    );
  });

  it('#!else without #!ifdef', () => {
    assertError(lines('debug=1', '#!else', 'debug=2'), 2, 1, /#!else without #!ifdef/);
  });

  it('missing #!endif', () => {
    assertError(lines('#!ifdef WITH_X', 'debug=1'), 1, 1, /missing #!endif/);
  });

  it('#!define of a name already defined', () => {
    assertError(lines('#!define A 1', '#!define A 2'), 2, 1, /'A' is already defined/);
  });

  it('errors in an included file point into that file', () => {
    const inc = '/virtual/routes.cfg';
    assertError(lines('loadmodule "sl.so"', 'include_file "routes.cfg"'), 5, 4, /unknown function 'nope'/, {
      file: inc,
      files: {
        [inc]: lines('request_route {', '  exit;', '}', 'route[R] {', '\t\t\tnope();', '}').replace(
          '\t\t\tnope',
          '   nope',
        ),
      },
    });
  });

  it('a missing include_file is an error, a missing import_file is not', () => {
    const errs = errorsOf(lines('include_file "missing.cfg"', 'import_file "also-missing.cfg"'));
    assert.deepEqual(
      errs.map((e) => `${e.line}:${e.col} ${e.detail}`),
      ['1:1 cannot open included file: missing.cfg'],
    );
  });
});

describe('every error is reported, not only the first', () => {
  it('collects errors from all phases, sorted by position', () => {
    const errs = errorsOf(
      lines(
        'loadmodule "sl.so"',
        'loadmodule "bogus.so"',
        'nonsense_global=1',
        'modparam("sl", "default_code", "x")',
        'request_route {',
        '  foo();',
        '  sl_send_reply("1");',
        '  route(MISSING);',
        '  $var(x) = 1;',
        '}',
      ),
    );
    assert.deepEqual(
      errs.map((e) => [e.file, e.line, e.col]),
      [
        [FILE, 2, 1],
        [FILE, 3, 1],
        [FILE, 4, 32],
        [FILE, 6, 3],
        [FILE, 7, 3],
        [FILE, 8, 9],
        [FILE, 9, 3],
      ],
    );
    for (const e of errs) assert.match(e.message, /^\/virtual\/test\.cfg:\d+:\d+: /);
  });

  it('keeps parsing after a syntax error', () => {
    const errs = errorsOf(
      lines('request_route {', '  if (1 { exit; }', '  foo();', '}', 'route[X] {', '  bar(;', '  baz();', '}'),
    );
    assert.ok(errs.length >= 4, errs.map((e) => e.message).join('\n'));
    assert.ok(errs.some((e) => e.line === 3 && /unknown function 'foo'/.test(e.detail)));
    assert.ok(errs.some((e) => e.line === 7 && /unknown function 'baz'/.test(e.detail)));
  });
});
