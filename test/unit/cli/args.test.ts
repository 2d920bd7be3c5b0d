import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildParams, kamcmdWord, usageLine } from '../../../src/cli/args';
import { UsageError } from '../../../src/cli/errors';
import { route } from '../../../src/cli/main';
import { COMMANDS, findCommand } from '../../../src/rpc-api/commands';

const spec = (name: string) => findCommand(name)!;

test('positional params are typed by the command table: ints as JSON numbers', () => {
  assert.deepEqual(buildParams(spec('dispatcher.set_state'), { words: ['ip', '2', 'sip:10.0.0.2'] }), [
    'ip',
    2,
    'sip:10.0.0.2',
  ]);
  assert.deepEqual(buildParams(spec('dispatcher.set_state'), { words: ['ip', '3', 'all'] }), ['ip', 3, 'all']);
  assert.deepEqual(buildParams(spec('dispatcher.hash'), { words: ['4', 'bob', 'server.com'] }), [
    4,
    'bob',
    'server.com',
  ]);
  assert.deepEqual(
    buildParams(spec('dispatcher.hash'), { words: ['4', '123'] }),
    [4, '123'],
    'a string param stays a string',
  );
  assert.equal(buildParams(spec('dispatcher.list'), { words: [] }), undefined);
  assert.deepEqual(buildParams(spec('dispatcher.list'), { words: ['full'] }), ['full']);
});

test('usage errors name the problem and list the expected arguments', () => {
  const s = spec('dispatcher.set_state');
  assert.throws(
    () => buildParams(s, { words: ['ip'] }),
    (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(
        e.line(),
        'dsctl: dispatcher.set_state: missing GROUP ADDRESS; usage: dsctl dispatcher.set_state STATE GROUP ADDRESS|all',
      );
      return true;
    },
  );
  assert.throws(() => buildParams(s, { words: ['ip', 'x', 'all'] }), /GROUP must be an integer, got "x"/);
  assert.throws(() => buildParams(s, { words: ['ip', '1', 'all', 'extra'] }), /unexpected argument "extra"/);
  assert.throws(() => buildParams(s, { words: ['ip', '99999999999', 'all'] }), /out of range/);
  assert.equal(usageLine(spec('dispatcher.add')), 'dsctl dispatcher.add GROUP ADDRESS [FLAGS] [PRIORITY] [ATTRS]');
});

test('kamcli-style flags fill optional params; gaps take their defaults', () => {
  const s = spec('dispatcher.add');
  assert.deepEqual(buildParams(s, { words: ['1', 'sip:x'], flagValues: { priority: '5' } }), [1, 'sip:x', 0, 5]);
  assert.deepEqual(buildParams(s, { words: ['1', 'sip:x', '8', '5', 'duid=a'] }), [1, 'sip:x', 8, 5, 'duid=a']);
  assert.throws(
    () => buildParams(s, { words: ['1', 'sip:x'], flagValues: { flags: 'x' } }),
    /FLAGS must be an integer/,
  );
});

test('--persist sends named params plus persist: true', () => {
  assert.deepEqual(buildParams(spec('dispatcher.remove'), { words: ['1', 'sip:x'], persist: true }), {
    group: 1,
    address: 'sip:x',
    persist: true,
  });
});

test("kamcmd's own argument typing for dsctl rpc", () => {
  assert.equal(kamcmdWord('42'), 42);
  assert.equal(kamcmdWord('-3'), -3);
  assert.equal(kamcmdWord('1.5'), 1.5);
  assert.equal(kamcmdWord('s:42'), '42');
  assert.equal(kamcmdWord('sip:a'), 'sip:a');
});

test('route: kamcmd names, kamcli spellings, leading options, pass-through', () => {
  assert.deepEqual(route(['dispatcher.list']), { argv: ['dispatcher.list'], kamcliStyle: false });
  assert.deepEqual(route(['-s', 'unix:/x', '--json', 'core.ps']), {
    argv: ['core.ps', '-s', 'unix:/x', '--json'],
    kamcliStyle: false,
  });
  assert.deepEqual(route(['dispatcher', 'list', '--json']), { argv: ['dispatcher.list', '--json'], kamcliStyle: true });
  assert.deepEqual(route(['dispatcher', 'memadd', '1', 'sip:a']), {
    argv: ['dispatcher.add', '1', 'sip:a'],
    kamcliStyle: true,
  });
  assert.deepEqual(route(['dispatcher', 'rm', '1', 'sip:a']), {
    argv: ['dispatcher.remove', '1', 'sip:a'],
    kamcliStyle: true,
  });
  assert.deepEqual(route(['dispatcher', 'oclist', '1']), { argv: ['dispatcher.oclist', '1'], kamcliStyle: true });
  assert.deepEqual(route(['core.shmmem', 'a']), { argv: ['rpc', 'core.shmmem', 'a'], kamcliStyle: false });
  assert.deepEqual(route(['help', 'dispatcher.list']), { argv: ['dispatcher.list', '--help'], kamcliStyle: false });
  assert.deepEqual(route(['--version']), { argv: ['--version'], kamcliStyle: false });
  assert.throws(() => route(['nosuch']), /unknown command "nosuch"/);
  assert.throws(
    () => route(['dispatcher']),
    (e: unknown) =>
      e instanceof UsageError &&
      /^dsctl: dispatcher: missing subcommand; usage: dsctl dispatcher list\|/.test(e.line()),
  );
  assert.throws(() => route(['core.version', 'extra']), /unexpected argument "extra"/);
  assert.throws(() => route(['--json']), /missing command/);
});

test('every command of the table has a unique name and at most one variadic, last param', () => {
  assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
  for (const c of COMMANDS) {
    const v = c.params.findIndex((p) => p.variadic);
    assert.ok(v === -1 || v === c.params.length - 1, c.name);
    let seenOptional = false;
    for (const p of c.params) {
      if (p.optional) seenOptional = true;
      else assert.ok(!seenOptional, `${c.name}: required ${p.name} after an optional one`);
    }
  }
});
