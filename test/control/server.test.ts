// The control socket itself, driven by raw clients: framing, bad input, many clients,
// socket file mode and lifecycle.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MethodRegistry } from '../../src/control/registry';
import { ControlServer, ControlSocketInUseError, ControlSocketPathError } from '../../src/control/server';
import { MAX_REQUEST_BYTES } from '../../src/rpc-api/protocol';
import { dsctl, rawExchange, startDaemon, tempDir, type TestDaemon } from './helpers';

let d: TestDaemon;
before(async () => {
  d = await startDaemon();
});
after(async () => {
  await d.close();
});

const req = (method: string, params?: unknown, id: number | string = 1): string =>
  JSON.stringify({ jsonrpc: '2.0', method, params, id }) + '\n';

test('socket file is mode 0660', () => {
  const st = fs.statSync(d.path);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o660);
});

test('several requests on one connection are answered in order', async () => {
  const r = await rawExchange(
    d.path,
    req('test.slow', undefined, 1) + req('core.version', undefined, 2) + req('dispatcher.hash', [4, 'bob'], 3),
    3,
  );
  assert.deepEqual(
    r.lines.map((l) => JSON.parse(l).id),
    [1, 2, 3],
  );
});

test('malformed JSON gets a parse error and the connection keeps working', async () => {
  const r = await rawExchange(d.path, '{"jsonrpc":"2.0","method":\n' + req('core.version', undefined, 7), 2);
  const [bad, good] = r.lines.map((l) => JSON.parse(l));
  assert.deepEqual(bad, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  assert.equal(good.id, 7);
  assert.match(good.result, /^dsd /);
});

test('invalid requests and odd batches are answered, never crash the server', async () => {
  const cases = [
    '{"method":"core.version","id":1}',
    '42',
    '[]',
    '[null]',
    '"x"',
    '{"jsonrpc":"2.0","method":7,"id":1}',
  ];
  for (const c of cases) {
    const r = await rawExchange(d.path, c + '\n', 1);
    const msg = JSON.parse(r.lines[0]!);
    assert.equal(msg.jsonrpc, '2.0', c);
    assert.ok(msg.error && typeof msg.error.code === 'number', `${c} → ${r.lines[0]}`);
  }
  const batch = await rawExchange(
    d.path,
    `[${req('core.version', undefined, 1).trim()},${req('nope', undefined, 2).trim()}]\n`,
    1,
  );
  const answers = JSON.parse(batch.lines[0]!);
  assert.equal(answers.length, 2);
  assert.deepEqual(answers[1].error, { code: 500, message: 'Method Not Found' });
});

test('handler faults: RpcError-like errors keep code, message and detail; bugs become 500 Internal Error', async () => {
  const r = await rawExchange(d.path, req('test.dsfault', [], 1) + req('test.crash', [], 2), 2);
  const [a, b] = r.lines.map((l) => JSON.parse(l));
  assert.deepEqual(a.error, { code: 404, message: 'Destination Group Not Found', data: 'no set 9' });
  assert.deepEqual(b.error, { code: 500, message: 'Internal Error' });
});

test('a notification (no id) gets no answer; a later request does', async () => {
  const r = await rawExchange(
    d.path,
    JSON.stringify({ jsonrpc: '2.0', method: 'core.version' }) + '\n' + req('core.ps', undefined, 5),
    1,
  );
  assert.equal(JSON.parse(r.lines[0]!).id, 5);
});

test('params: Kamailio-style errors for bad params; named params by table name', async () => {
  const r = await rawExchange(
    d.path,
    req('dispatcher.hash', ['x', 'bob'], 1) +
      req('dispatcher.hash', [], 2) +
      req('dispatcher.hash', { nslots: 4, val1: 'bob' }, 3) +
      req('dispatcher.hash', ['4', 'bob'], 4),
    4,
  );
  const [a, b, c, e] = r.lines.map((l) => JSON.parse(l));
  assert.deepEqual(a.error, { code: 500, message: 'Invalid Parameters', data: 'nslots must be an integer' });
  assert.equal(b.error.message, 'Invalid Parameters');
  assert.ok(c.result);
  assert.ok(e.result, 'a decimal string is read as an int');
  assert.deepEqual(d.calls.at(-1)!.args, [4, 'bob']);
});

test('an oversized request gets a JSON-RPC error, the connection closes, the server keeps answering', async () => {
  const big =
    '{"jsonrpc":"2.0","method":"core.version","params":["' + 'x'.repeat(MAX_REQUEST_BYTES + 10) + '"],"id":1}\n';
  const r = await rawExchange(d.path, big, 1);
  const msg = JSON.parse(r.lines[0]!);
  assert.equal(msg.error.code, -32600);
  assert.equal(msg.error.message, 'Request too large');
  const after = await rawExchange(d.path, req('core.version'), 1);
  assert.match(JSON.parse(after.lines[0]!).result, /^dsd /);
});

test('a request just under the limit is served', async () => {
  const pad = 'y'.repeat(MAX_REQUEST_BYTES - 200);
  const r = await rawExchange(d.path, req('system.methodHelp', ['core.ps', pad]), 1);
  assert.equal(JSON.parse(r.lines[0]!).result, 'Returns the description of running processes.');
});

test('a request without a trailing newline is answered when the client half-closes', async () => {
  const net = await import('node:net');
  const answer = await new Promise<string>((resolve, reject) => {
    const s = net.createConnection(d.path, () => s.end(req('core.ps').trim()));
    let buf = '';
    s.on('data', (x) => (buf += x));
    s.on('end', () => resolve(buf));
    s.on('error', reject);
  });
  assert.equal(JSON.parse(answer.trim()).id, 1);
});

test('many clients at once, raw and dsctl', async () => {
  const raws = Array.from({ length: 40 }, (_, i) =>
    rawExchange(d.path, req(i % 2 ? 'core.ps' : 'test.slow', undefined, i), 1),
  );
  const clis = Array.from({ length: 4 }, () => dsctl(['-s', d.path, 'core.version']));
  const [rawResults, cliResults] = await Promise.all([Promise.all(raws), Promise.all(clis)]);
  rawResults.forEach((r, i) => assert.equal(JSON.parse(r.lines[0]!).id, i));
  for (const c of cliResults) assert.equal(c.code, 0, c.stderr);
});

test('refuses to start when a live daemon answers on the socket', async () => {
  const other = new ControlServer({ path: d.path, registry: new MethodRegistry() });
  await assert.rejects(other.start(), ControlSocketInUseError);
  const r = await rawExchange(d.path, req('core.version'), 1);
  assert.ok(JSON.parse(r.lines[0]!).result, 'the first daemon still answers');
});

test('refuses to replace a path that is not a socket', async () => {
  const dir = tempDir();
  const p = path.join(dir, 'file');
  fs.writeFileSync(p, 'keep me');
  await assert.rejects(new ControlServer({ path: p, registry: new MethodRegistry() }).start(), ControlSocketPathError);
  assert.equal(fs.readFileSync(p, 'utf8'), 'keep me');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a stale socket file (its daemon killed) is replaced; close() removes the file', async () => {
  const dir = tempDir();
  const p = path.join(dir, 'dsd_ctl');
  // A process that listens and dies without cleaning up leaves a stale socket file.
  const child = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(p)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  await new Promise((resolve) => child.on('exit', resolve));
  assert.ok(fs.statSync(p).isSocket(), 'stale socket left behind');
  const registry = new MethodRegistry();
  registry.register('core.version', () => 'x');
  const s = new ControlServer({ path: p, registry });
  await s.start();
  const r = await rawExchange(p, req('core.version'), 1);
  assert.equal(JSON.parse(r.lines[0]!).result, 'x');
  await s.close();
  assert.equal(fs.existsSync(p), false);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the parent directory is created when missing', async () => {
  const dir = tempDir();
  const p = path.join(dir, 'run', 'dsd', 'dsd_ctl');
  const s = new ControlServer({ path: p, registry: new MethodRegistry() });
  await s.start();
  assert.ok(fs.statSync(p).isSocket());
  await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
