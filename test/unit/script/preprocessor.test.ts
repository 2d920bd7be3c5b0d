import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { assertError, compile, errorsOf, FILE, MODS, newFakeCtx, run } from './helpers';
import { Diagnostics } from '../../../src/script/errors';
import { Preprocessor } from '../../../src/script/preprocessor';
import { at } from '../../helpers/at';

const lines = (...l: string[]): string => l.join('\n') + '\n';

function tokens(text: string, files: Record<string, string> = {}, defines: Record<string, string | true> = {}) {
  const diag = new Diagnostics();
  const pp = new Preprocessor(diag, { defines, readFile: (f) => files[f] ?? null });
  const r = pp.runText(text, FILE);
  return { toks: r.tokens, diag, defines: r.defines };
}

describe('lexer', () => {
  it('skips #, // and nested /* */ comments but not #! directives', () => {
    const { toks, diag } = tokens('#!KAMAILIO\n# c1\ndebug=1 // c2\n/* a /* nested */ still comment */ fork=yes\n');
    assert.deepEqual(
      toks.map((t) => t.text),
      ['debug', '=', '1', 'fork', '=', 'yes'],
    );
    assert.equal(at(toks, 5).kind, 'num');
    assert.equal(at(toks, 5).value, 1);
    assert.equal(diag.errors.length, 0);
  });

  it('decodes string escapes and joins adjacent strings across lines', () => {
    const { toks } = tokens('x = "a\\tb\\n\\"q\\" \\x41\\101" "c"\n   "d"\n');
    assert.equal(at(toks, 2).text, 'a\tb\n"q" AAcd');
    assert.deepEqual(at(toks, 2).pos, { file: FILE, line: 1, col: 5 });
  });

  it('keeps unknown escapes (regexes such as "\\d") and single-quoted strings verbatim', () => {
    const { toks } = tokens(`x = "^\\d+$" 'raw \\n $x'`);
    assert.equal(at(toks, 2).text, '^\\d+$');
    assert.equal(at(toks, 3).text, 'raw \\n $x');
  });

  it('reads numbers in decimal, hex, octal and binary', () => {
    const { toks } = tokens('a 10 0x1F 017 101b 0');
    assert.deepEqual(
      toks.slice(1).map((t) => t.value),
      [10, 31, 15, 5, 0],
    );
  });

  it('reads pseudo-variable tokens with nested parentheses', () => {
    const { toks } = tokens('$var(x) $(hdr(From){s.len}) $T_req($fu) $?');
    assert.deepEqual(
      toks.map((t) => t.text),
      ['$var(x)', '$(hdr(From){s.len})', '$T_req($fu)', '$?'],
    );
  });

  it('tracks line and column (tabs count as one column)', () => {
    const { toks } = tokens('a\n\tb  c\n');
    assert.deepEqual(
      toks.map((t) => [t.pos.line, t.pos.col]),
      [
        [1, 1],
        [2, 2],
        [2, 5],
      ],
    );
  });
});

describe('defines', () => {
  it('#!define values are used as numbers, strings and identifiers', () => {
    const c = compile(
      lines(
        '#!define SETID 3',
        '#!define LIST "my.list"',
        '#!define RT RELAY',
        MODS,
        'modparam("dispatcher", "flags", SETID)',
        'modparam("dispatcher", "list_file", LIST)',
        'request_route { route(RT); }',
        'route[RELAY] { $avp(x) = SETID + 1; }',
      ),
    );
    const ds = c.cfg.modules.get('dispatcher');
    assert.equal(ds?.param('flags'), 3);
    assert.equal(ds?.param('list_file'), 'my.list');
    const { ctx } = run(c);
    assert.equal(ctx.store.avps.get('x'), 4);
  });

  it('defines are not expanded inside strings', () => {
    const c = compile(lines('#!define NAME value', MODS, 'request_route { $avp(x) = "NAME"; }'));
    assert.equal(run(c).ctx.store.avps.get('x'), 'NAME');
  });

  it('#!ifdef / #!ifndef / #!else / #!endif, nested, with -A style defines', () => {
    const text = lines(
      '#!ifdef WITH_A',
      '  #!ifndef WITH_B',
      'debug=1',
      '  #!else',
      'debug=2',
      '  #!endif',
      '#!else',
      'debug=3',
      '#!endif',
    );
    assert.equal(compile(text).cfg.globals.debug, 3);
    assert.equal(compile(text, { defines: { WITH_A: true } }).cfg.globals.debug, 1);
    assert.equal(compile(text, { defines: { WITH_A: true, WITH_B: true } }).cfg.globals.debug, 2);
  });

  it('a value ends at the line break even when directives or skipped lines follow', () => {
    const c = compile(
      lines(
        'children=8',
        '#!ifdef NOPE',
        'debug=9',
        '#!endif',
        'loadmodule "tm.so"',
        'port=5070',
        '#!ifndef NOPE',
        '#!endif',
        'debug=1',
      ),
    );
    assert.equal(c.cfg.globals.children, 8);
    assert.equal(c.cfg.globals.port, 5070);
    assert.equal(c.cfg.globals.debug, 1);
    assert.ok(c.cfg.modules.has('tm'));
  });

  it('skipped regions may contain anything', () => {
    const c = compile(lines('#!ifdef NOPE', 'this is "not valid { at all', '#!endif', 'debug=4'));
    assert.equal(c.cfg.globals.debug, 4);
  });

  it('#!trydef keeps an existing value, #!redefine replaces it', () => {
    const c = compile(
      lines(
        '#!define A 1',
        '#!trydef A 2',
        '#!trydef B 5',
        '#!define C 1',
        '#!redefine C 7',
        MODS,
        'request_route { $avp(a) = A; $avp(b) = B; $avp(c) = C; }',
      ),
    );
    const s = run(c).ctx.store.avps;
    assert.deepEqual([s.get('a'), s.get('b'), s.get('c')], [1, 5, 7]);
  });

  it('a define may span lines with a backslash and may name other defines', () => {
    const c = compile(
      lines('#!define BASE 40', '#!define SUM BASE + \\', '   2', MODS, 'request_route { $avp(s) = SUM; }'),
    );
    assert.equal(run(c).ctx.store.avps.get('s'), 42);
  });

  it('recursive defines are refused', () => {
    assertError(lines('#!define A B', '#!define B A', 'debug=A'), 3, 7, /recursive #!define/);
  });

  it('#!substdef defines the name and substitutes inside strings; #!subst only in strings', () => {
    const c = compile(
      lines(
        '#!substdef "/MYHOST/127.0.0.1/"',
        '#!subst "/PORTX/5080/g"',
        MODS,
        'request_route { $avp(a) = "sip:MYHOST:PORTX"; $avp(b) = "MYHOST"; }',
      ),
    );
    const s = run(c).ctx.store.avps;
    assert.equal(s.get('a'), 'sip:127.0.0.1:5080');
    assert.equal(s.get('b'), '127.0.0.1');
    assert.equal(c.cfg.defines.get('MYHOST'), '127.0.0.1');
  });

  it('loadmodule defines MOD_<name> for later #!ifdef', () => {
    const c = compile(
      lines(
        'loadmodule "dispatcher.so"',
        '#!ifdef MOD_dispatcher',
        'debug=3',
        '#!endif',
        '#!ifdef MOD_acc',
        'debug=4',
        '#!endif',
      ),
    );
    assert.equal(c.cfg.globals.debug, 3);
  });

  it('predefines DSD and KAMAILIO_5_6', () => {
    const c = compile(lines('#!ifdef DSD', '#!ifdef KAMAILIO_5_6', 'debug=3', '#!endif', '#!endif'));
    assert.equal(c.cfg.globals.debug, 3);
  });

  it('!! works as a directive prefix; !! elsewhere is double negation', () => {
    const c = compile(lines('!!define X 9', MODS, 'request_route { $avp(x) = !!X; $avp(y) = X; }'));
    const s = run(c).ctx.store.avps;
    assert.deepEqual([s.get('x'), s.get('y')], [1, 9]);
  });
});

describe('include_file / import_file', () => {
  it('includes relative to the including file and maps positions back', () => {
    const files = {
      '/virtual/sub/routes.cfg': lines('include_file "more.cfg"', 'route[R] { $avp(r) = 1; route(S); }'),
      '/virtual/sub/more.cfg': lines('', 'route[S] {', '   $avp(s) = 2;', '}'),
    };
    const { toks } = tokens(lines('include_file "sub/routes.cfg"', 'request_route { route(R); }'), files);
    const s2 = toks.find((t) => t.text === '$avp(s)');
    assert.deepEqual(s2?.pos, { file: '/virtual/sub/more.cfg', line: 3, col: 4 });
    const c = compile(lines(MODS, 'include_file "sub/routes.cfg"', 'request_route { route(R); }'), { files });
    const st = run(c).ctx.store.avps;
    assert.deepEqual([st.get('r'), st.get('s')], [1, 2]);
  });

  it('#!include_file and #!import_file; a missing import is skipped silently', () => {
    const files = { '/virtual/g.cfg': 'debug=3\n' };
    const c = compile(lines('#!include_file "g.cfg"', '#!import_file "nothing.cfg"', 'import_file "g2.cfg"'), {
      files,
    });
    assert.equal(c.cfg.globals.debug, 3);
  });

  it('refuses include cycles after a bounded depth', () => {
    const files = { '/virtual/loop.cfg': 'include_file "loop.cfg"\n' };
    const errs = errorsOf('include_file "loop.cfg"\n', { files });
    assert.ok(errs.some((e) => /too many nested includes/.test(e.detail)));
  });

  it('defines made in an included file apply after it', () => {
    const files = { '/virtual/defs.cfg': '#!define FROM_INC 7\n' };
    const c = compile(lines('include_file "defs.cfg"', MODS, 'request_route { $avp(v) = FROM_INC; }'), { files });
    assert.equal(run(c, newFakeCtx()).ctx.store.avps.get('v'), 7);
  });
});
