// jsonrpcs pieces: srjson's printer (pretty and compact), the FIFO document framer, and
// request handling on a real method registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNumber, printJson } from '../../../src/modules/jsonrpcs/format';
import { DocFramer } from '../../../src/modules/jsonrpcs/doc-framer';
import { execJsonrpc } from '../../../src/modules/jsonrpcs/exec';
import { MethodRegistry } from '../../../src/control/registry';
import { RpcError } from '../../../src/rpc-api/errors';
import { faultOf } from '../../../src/control/server';

test('srjson numbers: %d, %.0f, %e, %f', () => {
  assert.equal(formatNumber(42), '42');
  assert.equal(formatNumber(-7), '-7');
  assert.equal(formatNumber(3883463682), '3883463682');
  assert.equal(formatNumber(0.5), '0.500000');
  assert.equal(formatNumber(1.5e10 + 0.5), '1.500000e+10');
  assert.equal(formatNumber(1e-7), '1.000000e-07');
});

test('srjson pretty print: tabs, "name":<TAB>value, arrays on one line', () => {
  const v = { jsonrpc: '2.0', result: { A: [1, 'x', null], B: { C: true }, E: {} }, id: 3 };
  assert.equal(
    printJson(v, true),
    '{\n\t"jsonrpc":\t"2.0",\n\t"result":\t{\n\t\t"A":\t[1, "x", null],\n\t\t"B":\t{\n\t\t\t"C":\ttrue\n\t\t},\n\t\t"E":\t{\n\t\t}\n\t},\n\t"id":\t3\n}',
  );
  assert.equal(printJson(v, false), '{"jsonrpc":"2.0","result":{"A":[1,"x",null],"B":{"C":true},"E":{}},"id":3}');
  assert.equal(printJson('a"b\\c\n\u0001é', false), '"a\\"b\\\\c\\n\\u0001é"');
});

test('FIFO framer: braces outside strings, garbage lines dropped, oversized skipped to its end', () => {
  const f = new DocFramer(64);
  assert.deepEqual(f.push(Buffer.from('junk\n{"a": "}{", "b": {"c": 1}}  {"d"')), [
    { kind: 'doc', text: '{"a": "}{", "b": {"c": 1}}' },
  ]);
  assert.ok(f.pending);
  assert.deepEqual(f.push(Buffer.from(': 2}')), [{ kind: 'doc', text: '{"d": 2}' }]);
  const big = `{"x": "${'y'.repeat(100)}"}`;
  assert.deepEqual(f.push(Buffer.from(`${big}{"ok": 1}`)), [
    { kind: 'oversized', bytes: big.length },
    { kind: 'doc', text: '{"ok": 1}' },
  ]);
  f.push(Buffer.from('{"never": '));
  f.reset();
  assert.deepEqual(f.push(Buffer.from('{"z": 0}')), [{ kind: 'doc', text: '{"z": 0}' }]);
});

test('exec: result, Kamailio faults, reply_name, no reply for non-JSON', async () => {
  const reg = new MethodRegistry();
  reg.register('t.echo', (c) => c.args, { params: null });
  reg.register(
    't.fail',
    () => {
      throw RpcError.of('unknownStateValue');
    },
    { params: null },
  );
  const o = { pretty: false, wantReplyName: true, faultOf };
  assert.deepEqual(
    await execJsonrpc('{"jsonrpc":"2.0","method":"t.echo","params":[1,"a"],"reply_name":"r1","id":5}', reg, o),
    { reply: '{"jsonrpc":"2.0","result":[1,"a"],"id":5}', replyName: 'r1' },
  );
  assert.equal(
    (await execJsonrpc('{"jsonrpc":"2.0","method":"t.fail","reply_name":"r","id":"x"}', reg, o)).reply,
    '{"jsonrpc":"2.0","error":{"code":500,"message":"Unknown State Value"},"id":"x"}',
  );
  assert.equal(
    (await execJsonrpc('{"jsonrpc":"2.0","method":"nope","reply_name":"r","id":1}', reg, o)).reply,
    '{"jsonrpc":"2.0","error":{"code":500,"message":"Method Not Found"},"id":1}',
  );
  assert.equal(
    (await execJsonrpc('{"jsonrpc":"2.0","method":"t.echo","id":1}', reg, o)).reply,
    '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":1}',
    'FIFO request without reply_name',
  );
  assert.equal((await execJsonrpc('{"jsonrpc": "2.0", "method": oops}', reg, o)).reply, null);
});
