import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderKamcmd } from '../../../src/cli/render/kamcmd';
import { RpcCallError } from '../../../src/cli/errors';
import { findCommand } from '../../../src/rpc-api/commands';
import { formatFault } from '../../../src/rpc-api/errors';
import { ctime } from '../../../src/control/ctime';
import { uptimeResult, versionString } from '../../../src/control/core-methods';
import { goldenJson, goldenText, kamcmdBlocks, normalizeTimeouts } from './golden';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses a ctime string back into a local Date (test-side, independent of ctime()). */
function parseCtime(s: string): Date {
  const m = /^\w{3} (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(s);
  assert.ok(m, `not a ctime string: ${s}`);
  return new Date(Number(m[6]), MONTHS.indexOf(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

test('dispatcher.list: golden JSON result renders as the golden kamcmd text', () => {
  const result = goldenJson()['dispatcher.list']![0]!.response.result;
  const want = goldenText('kamcmd-dispatcher.list.txt');
  const got = renderKamcmd(result, { int32Keys: findCommand('dispatcher.list')!.output.int32Keys });
  assert.equal(normalizeTimeouts(got), normalizeTimeouts(want));
  // The normalization may hide only TIMEOUT values: every other line is identical.
  const g = got.split('\n');
  const w = want.split('\n');
  assert.equal(g.length, w.length);
  const differing = g.filter((l, i) => l !== w[i]);
  assert.ok(
    differing.every((l) => /^\t+TIMEOUT: \d+$/.test(l)),
    `unexpected differences: ${differing.join(' | ')}`,
  );
});

test('dispatcher.list: the normalization hides TIMEOUT counters and nothing else (the comparison can fail)', () => {
  type Dest = { URI: string; LATENCY: { TIMEOUT: number } };
  type List = { RECORDS: Array<{ SET: { TARGETS: Array<{ DEST: Dest }> } }> };
  const render = (r: unknown): string =>
    renderKamcmd(r, { int32Keys: findCommand('dispatcher.list')!.output.int32Keys });
  const want = goldenText('kamcmd-dispatcher.list.txt');
  const firstDest = (r: List): Dest => r.RECORDS[0]!.SET.TARGETS[0]!.DEST;
  // a renderer that printed another URI (or port) would fail the comparison above
  const uri = structuredClone(goldenJson()['dispatcher.list']![0]!.response.result) as List;
  firstDest(uri).URI = 'sip:127.0.0.1:5082';
  assert.notEqual(normalizeTimeouts(render(uri)), normalizeTimeouts(want));
  // a different TIMEOUT count is hidden by the normalization, but not by the raw text
  const timeout = structuredClone(goldenJson()['dispatcher.list']![0]!.response.result) as List;
  firstDest(timeout).LATENCY.TIMEOUT += 7;
  assert.equal(normalizeTimeouts(render(timeout)), normalizeTimeouts(want));
  assert.notEqual(render(timeout), render(goldenJson()['dispatcher.list']![0]!.response.result));
});

test('dispatcher.hash: hashid prints signed, as binrpc carries it (captured from kamcmd 5.6.3)', () => {
  const call = goldenJson()['dispatcher.hash']![0]!;
  assert.deepEqual(call.params, [4, 'bob', 'server.com']);
  const got = renderKamcmd(call.response.result, { int32Keys: findCommand('dispatcher.hash')!.output.int32Keys });
  assert.equal(got, '{\n\thashid: -411503614\n\tslot: 2\n}\n');
});

test('dispatcher.ping_active: a flat struct', () => {
  assert.equal(renderKamcmd(goldenJson()['dispatcher.ping_active']![0]!.response.result), '{\n\tOldPingState: 1\n}\n');
});

test('string results print on one line (kamcmd-misc.txt)', () => {
  const block = kamcmdBlocks().find((b) => b.command === 'dispatcher.set_duid_state ip 2 gw1');
  assert.ok(block);
  const json = goldenJson()['dispatcher.set_state']!.find((c) => c.response.result !== undefined)!;
  assert.equal(renderKamcmd(json.response.result), block.output);
});

test('faults print as kamcmd does (kamcmd-misc.txt), and JSON faults carry the same strings', () => {
  const faults = kamcmdBlocks().filter((b) => b.output.startsWith('error: '));
  assert.ok(faults.length >= 3);
  for (const b of faults) {
    const m = /^error: (-?\d+) - (.*)\n$/.exec(b.output);
    assert.ok(m, b.output);
    assert.equal(new RpcCallError(Number(m[1]), m[2]!).line() + '\n', b.output);
  }
  const jsonFaults = Object.values(goldenJson())
    .flat()
    .map((c) => c.response.error)
    .filter((e): e is { code: number; message: string } => e !== undefined);
  const texts = new Set(faults.map((b) => b.output.trimEnd()));
  assert.ok(
    jsonFaults.some((e) => texts.has(formatFault(e))),
    'a JSON fault matches a kamcmd fault line',
  );
});

test('core.version: the version string renders as kamcmd-misc.txt', () => {
  const block = kamcmdBlocks().find((b) => b.command === 'core.version')!;
  assert.equal(renderKamcmd(versionString('kamailio', '5.6.3', 'x64', 'linux')), block.output);
});

test('core.uptime: ctime dates and seconds as kamcmd-misc.txt', () => {
  const block = kamcmdBlocks().find((b) => b.command === 'core.uptime')!;
  const now = parseCtime(/now: (.*)/.exec(block.output)![1]!);
  const since = parseCtime(/up_since: (.*)/.exec(block.output)![1]!);
  assert.equal(renderKamcmd(uptimeResult(since, now)), block.output);
});

test('ctime pads single-digit days with a space', () => {
  assert.equal(ctime(new Date(2026, 0, 5, 1, 2, 3)), 'Mon Jan  5 01:02:03 2026');
  assert.equal(ctime(new Date(2026, 11, 31, 23, 59, 59)), 'Thu Dec 31 23:59:59 2026');
});

test('numbers: integral values as integers, others with %f; null strings; booleans', () => {
  assert.equal(
    renderKamcmd({ AVG: 24.25, EST: 25, STD: 1.035, BIG: 1e21, NEG: -0, S: null, B: true }),
    '{\n\tAVG: 24.250000\n\tEST: 25\n\tSTD: 1.035000\n\tBIG: 1000000000000000000000\n\tNEG: 0\n\tS: <null string>\n\tB: 1\n}\n',
  );
});

test('top-level arrays print one value per member (core.ps, oclist)', () => {
  assert.equal(
    renderKamcmd([3806, 'main process - attendant', 3810, 'udp receiver']),
    '3806\nmain process - attendant\n3810\nudp receiver\n',
  );
  assert.equal(
    renderKamcmd([
      { group: 1, uri: 'sip:a' },
      { group: 1, uri: 'sip:b' },
    ]),
    '{\n\tgroup: 1\n\turi: sip:a\n}\n{\n\tgroup: 1\n\turi: sip:b\n}\n',
  );
});

test('arrays inside structs print as structs; scalar members unnamed', () => {
  assert.equal(renderKamcmd({ L: ['a', 2], E: [] }), '{\n\tL: {\n\t\ta\n\t\t2\n\t}\n\tE: {\n\t}\n}\n');
});

test('a null result prints nothing', () => {
  assert.equal(renderKamcmd(null), '');
});
