// The real bin/dsctl against a real ControlServer: every core command, output modes, socket
// selection and every error path with its exit status.
// What the dispatcher stand-ins prove, and what they do not: they answer with Kamailio
// 5.6.3's own JSON-RPC result (golden/jsonrpc-responses.json), and the expected text is
// what kamcmd printed for the same Kamailio state (golden/kamcmd-dispatcher.list.txt), two
// independent captures. So these cases test dsctl's transport and its kamcmd rendering (a
// renderer that printed a key, an int or a nesting differently fails), not dsd's dispatcher:
// that the daemon produces this state is proven by test/e2e/dsctl-daemon.test.ts, with the
// real dsd, and by the kamcmd tests, with the real kamcmd.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ExitCode } from '../../src/cli/errors';
import { goldenJson, goldenText, normalizeTimeouts } from '../unit/cli/golden';
import { DSCTL as DSCTL_BIN, dsctl, startDaemon, TM_COUNTERS, type TestDaemon } from './helpers';

let d: TestDaemon;
before(async () => {
  d = await startDaemon();
});
after(async () => {
  await d.close();
});

const oneLine = (s: string): void =>
  assert.equal(s.trimEnd().split('\n').length, 1, `expected one stderr line, got: ${s}`);

test("Kamailio's dispatcher.list JSON, through the socket, prints as Kamailio's kamcmd printed it (TIMEOUT normalized)", async () => {
  const r = await dsctl(['-s', `unix:${d.path}`, 'dispatcher.list']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(normalizeTimeouts(r.stdout), normalizeTimeouts(goldenText('kamcmd-dispatcher.list.txt')));
});

test('--json prints the JSON-RPC result', async () => {
  const r = await dsctl(['--json', 'dispatcher.list', '-s', d.path]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), goldenJson()['dispatcher.list']![0]!.response.result);
});

test('--table and the kamcli spelling print a table, one row per destination', async () => {
  for (const args of [
    ['--table', 'dispatcher.list'],
    ['dispatcher', 'list'],
  ]) {
    const r = await dsctl(['-s', d.path, ...args]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => l.includes('sip:'));
    assert.equal(rows.length, 5, r.stdout);
    assert.match(r.stdout, /SET.*URI.*FLAGS.*PRIO.*WEIGHT.*LATENCY/);
  }
  const narrow = await dsctl(['-s', d.path, 'dispatcher', 'list'], { COLUMNS: '70' });
  for (const l of narrow.stdout.trimEnd().split('\n')) assert.ok([...l].length <= 70, l);
});

test('DSD_CTL picks the socket when -s is absent', async () => {
  const r = await dsctl(['core.version'], { DSD_CTL: `unix:${d.path}` });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^dsd 0\.1\.0 \([\w-]+\/\w+\) \n$/);
});

test('core commands', async () => {
  const up = await dsctl(['-s', d.path, 'core.uptime']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, /^\{\n\tnow: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n\tup_since: .+\n\tuptime: \d+\n\}\n$/);
  const ps = await dsctl(['-s', d.path, 'core.ps']);
  assert.match(ps.stdout, /^\d+\nmain process - attendant\n$/);
  const lm = await dsctl(['-s', d.path, 'system.listMethods']);
  const methods = lm.stdout.trimEnd().split('\n');
  assert.deepEqual(methods, [...methods].sort());
  for (const m of [
    'core.ps',
    'core.uptime',
    'core.version',
    'dispatcher.list',
    'system.listMethods',
    'system.methodHelp',
    'tm.stats',
  ])
    assert.ok(methods.includes(m), m);
  const help = await dsctl(['-s', d.path, 'system.methodHelp', 'dispatcher.list']);
  assert.equal(help.stdout, 'Return the content of dispatcher sets\n');
  const helpMissing = await dsctl(['-s', d.path, 'system.methodHelp', 'no.such']);
  assert.equal(helpMissing.code, ExitCode.rpcError);
  assert.equal(helpMissing.stderr, 'error: 400 - command not found\n');
  const tm = await dsctl(['-s', d.path, 'tm.stats']);
  const keys = tm.stdout
    .split('\n')
    .filter((l) => l.startsWith('\t'))
    .map((l) => l.trim().split(':')[0]);
  assert.deepEqual(keys, [
    'current',
    'waiting',
    'total',
    'total_local',
    'rpl_received',
    'rpl_generated',
    'rpl_sent',
    '6xx',
    '5xx',
    '4xx',
    '3xx',
    '2xx',
    'created',
    'freed',
    'delayed_free',
  ]);
  assert.match(tm.stdout, new RegExp(`\ttotal: ${TM_COUNTERS.total}\n`));
});

test('dispatcher.hash sends ints as numbers and prints hashid signed', async () => {
  const r = await dsctl(['-s', d.path, 'dispatcher.hash', '4', 'bob', 'server.com']);
  assert.equal(r.stdout, '{\n\thashid: -411503614\n\tslot: 2\n}\n');
  assert.deepEqual(d.calls.at(-1)!.args, [4, 'bob', 'server.com']);
});

test("set_state: ok, and an RPC error exits 1 with kamcmd's error line", async () => {
  const ok = await dsctl(['-s', d.path, 'dispatcher.set_state', 'ip', '2', 'sip:127.0.0.1:5099']);
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout, 'Ok. Dispatcher state updated.\n');
  const bad = await dsctl(['-s', d.path, 'dispatcher.set_state', 'zz', '1', 'all']);
  assert.equal(bad.code, ExitCode.rpcError);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr, 'error: 500 - Unknown State Value\n');
  const reload = await dsctl(['-s', d.path, 'dispatcher.reload']);
  assert.equal(reload.code, ExitCode.rpcError);
  assert.equal(reload.stderr, 'error: 500 - Ongoing reload\n');
});

test('--persist and kamcli flags reach the daemon as named params', async () => {
  const r = await dsctl(['-s', d.path, 'dispatcher', 'add', '--persist', '--flags', '8', '1', 'sip:10.0.0.9']);
  assert.equal(r.code, 0, r.stderr);
  const call = d.calls.at(-1)!;
  assert.equal(call.method, 'dispatcher.add');
  assert.equal(call.persist, true);
  assert.deepEqual(call.args, [1, 'sip:10.0.0.9', 8]);
  const rm = await dsctl(['-s', d.path, 'dispatcher.remove', '1', 'sip:10.0.0.9']);
  assert.equal(rm.code, 0);
  assert.equal(d.calls.at(-1)!.persist, false);
});

test('usage errors: one stderr line with the expected arguments, exit 2, nothing sent', async () => {
  const before = d.calls.length;
  for (const args of [
    ['dispatcher.set_state', 'ip'],
    ['dispatcher.set_state', 'ip', 'two', 'all'],
    ['dispatcher.hash', '4', 'a', 'b', 'c'],
    ['core.version', 'extra'],
    ['core.version', '--bogus'],
    ['nosuch'],
    ['dispatcher', 'frobnicate'],
  ]) {
    const r = await dsctl(['-s', d.path, ...args]);
    assert.equal(r.code, ExitCode.usage, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    oneLine(r.stderr);
    assert.match(r.stderr, /^dsctl: /);
  }
  const r = await dsctl(['-s', d.path, 'dispatcher.set_state', 'ip']);
  assert.equal(
    r.stderr,
    'dsctl: dispatcher.set_state: missing GROUP ADDRESS; usage: dsctl dispatcher.set_state STATE GROUP ADDRESS|all\n',
  );
  assert.equal(d.calls.length, before);
});

test('unreachable daemon: exit 3, one stderr line naming the socket', async () => {
  const missing = path.join(d.dir, 'nope');
  const r = await dsctl(['-s', missing, 'core.version']);
  assert.equal(r.code, ExitCode.connection);
  assert.equal(r.stdout, '');
  oneLine(r.stderr);
  assert.ok(r.stderr.includes(missing));
  const tcp = await dsctl(['-s', 'tcp:127.0.0.1:2049', 'core.version']);
  assert.equal(tcp.code, ExitCode.usage);
});

test('unknown dotted names are passed through like kamcmd (rpc)', async () => {
  const r = await dsctl(['-s', d.path, 'core.verison', 'a']);
  assert.equal(r.code, ExitCode.usage);
  assert.equal(r.stderr, 'dsctl: unknown command "core.verison"; did you mean core.version?\n');
  const slow = await dsctl(['-s', d.path, 'rpc', 'test.slow']);
  assert.equal(slow.stdout, 'slow done\n');
  const crash = await dsctl(['-s', d.path, 'test.crash']);
  assert.equal(crash.code, ExitCode.rpcError);
  assert.equal(crash.stderr, 'error: 500 - Internal Error\n');
});

test('--timeout: a slow answer is a connection failure, exit 3', async () => {
  const r = await dsctl(['-s', d.path, '--timeout', '0.1', 'rpc', 'test.slow']);
  assert.equal(r.code, ExitCode.connection);
  assert.match(r.stderr, /no answer from dsd .* within 0\.1 s/);
});

test('dispatcher.top --once prints one frame', async () => {
  const r = await dsctl(['-s', d.path, 'dispatcher.top', '--once']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^dsd dispatcher\.top /);
  assert.equal(r.stdout.split('\n').filter((l) => l.includes('sip:')).length, 5);
  assert.match(r.stdout, /inactive, probing/);
  assert.ok(!r.stdout.includes('\u001b['), 'no screen control codes with --once');
});

test('dispatcher.top refreshes until SIGINT, then exits 0', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [DSCTL_BIN, '-s', d.path, 'dispatcher.top', '--interval', '0.2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (x) => (out += x));
  // Wait for two frames (bounded at 60 s: a starved machine starts node slowly), then interrupt as Ctrl-C would.
  for (let i = 0; i < 1200 && out.split('dsd dispatcher.top').length < 3; i++)
    await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  assert.ok(out.split('dsd dispatcher.top').length >= 3, 'at least two frames');
  assert.ok(out.includes('\u001b[H\u001b[2J'), 'frames redraw the screen');
});

test('--help and --version', async () => {
  const h = await dsctl(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /dispatcher\.set_state/);
  const ch = await dsctl(['dispatcher.set_state', '--help']);
  assert.match(ch.stdout, /dsctl dispatcher\.set_state STATE GROUP ADDRESS\|all/);
  const v = await dsctl(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /0\.1\.0/);
});
