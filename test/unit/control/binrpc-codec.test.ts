// binrpc codec: header and records as Kamailio's binrpc.h lays them out (the byte examples
// are the ones its format comment gives), and a result tree encoded the way ctl sends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BodyReader,
  BodyWriter,
  PacketType,
  buildFault,
  buildHeader,
  parseHeader,
  looksLikeBinrpc,
  BinrpcError,
} from '../../../src/control/binrpc/codec';
import { encodeResult } from '../../../src/control/binrpc/result';
import { answerPacket, type BinrpcBackend } from '../../../src/control/binrpc/session';

test('records: the byte layouts of binrpc.h', () => {
  const w = new BodyWriter();
  w.int(0x1234);
  w.int(7);
  w.int(0);
  w.str('abcdef');
  w.str('abcdefhij');
  w.str('');
  w.structStart();
  w.avpName('test');
  w.int(0x0b);
  w.structEnd();
  assert.equal(
    w.toBuffer().toString('hex'),
    [
      '201234',
      '1007',
      '00',
      '71' + Buffer.from('abcdef').toString('hex') + '00',
      '910a' + Buffer.from('abcdefhij').toString('hex') + '00',
      '1100',
      '03',
      '55' + Buffer.from('test').toString('hex') + '00',
      '100b',
      '83',
    ].join(''),
  );
});

test('negative ints take 4 bytes; doubles are fixed point ×1000, truncated', () => {
  const w = new BodyWriter();
  w.int(-1);
  w.double(12.3456);
  w.double(0);
  w.double(-0.5);
  const b = w.toBuffer();
  assert.equal(b.subarray(0, 5).toString('hex'), '40ffffffff');
  const r = new BodyReader(b);
  assert.equal(r.next(), -1);
  assert.equal(r.next(), 12.345);
  assert.equal(r.next(), 0);
  assert.equal(r.next(), -0.5);
  assert.ok(r.done);
});

test('header: built and parsed back; wrong magic/version/type are corrupted packets', () => {
  const h = buildHeader(PacketType.Reply, 300, 0x1234abcd);
  assert.deepEqual(parseHeader(h), { type: 1, length: 300, cookie: 0x1234abcd, headerSize: h.length });
  assert.equal(h[0], 0xa1);
  assert.equal(parseHeader(h.subarray(0, 3)), null, 'fewer than 4 bytes: more data');
  assert.throws(
    () => parseHeader(Buffer.from([0xa2, 0, 1, 1])),
    (e: BinrpcError) => e.message === 'corrupted packet',
  );
  assert.throws(
    () => parseHeader(Buffer.from([0xa1, 0x50, 1, 1])),
    (e: BinrpcError) => e.message === 'corrupted packet',
  );
  assert.ok(looksLikeBinrpc(0xa1) && !looksLikeBinrpc(0x7b /* { */));
});

test('a fault carries the int code and the NUL-terminated message', () => {
  const f = buildFault(5, 500, 'Invalid Parameters');
  const h = parseHeader(f)!;
  assert.equal(h.type, PacketType.Fault);
  assert.equal(h.cookie, 5);
  const r = new BodyReader(f.subarray(h.headerSize));
  assert.equal(r.next(), 500);
  assert.equal(r.next(), 'Invalid Parameters');
});

test('request reader: method must be a string; structs are bad records; short bodies need more data', () => {
  const w = new BodyWriter();
  w.int(3);
  assert.throws(() => new BodyReader(w.toBuffer()).method(), /record doesn't match type/);
  const s = new BodyWriter();
  s.str('m');
  s.structStart();
  const r = new BodyReader(s.toBuffer());
  assert.equal(r.method(), 'm');
  assert.throws(() => r.next(), /bad record/);
  assert.throws(() => new BodyReader(Buffer.from([0x71, 0x61])).next(), /more data needed/);
});

/** Decodes a reply body into kamcmd-like lines, to check the tree shape. */
function lines(body: Buffer): string[] {
  const out: string[] = [];
  let p = 0;
  let depth = 0;
  const readStr = (len: number): string => {
    const s = body.toString('utf8', p, p + len - 1);
    p += len;
    return s;
  };
  const readLen = (b: number): number => {
    let len = b >> 4;
    if (len & 8) {
      const n = len & 7;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + body[p++]!;
    }
    return len;
  };
  let name = '';
  while (p < body.length) {
    const b = body[p++]!;
    const t = b & 15;
    if (t === 3) {
      if (b & 0x80) {
        depth--;
        out.push(`${'\t'.repeat(depth)}}`);
      } else {
        out.push(`${'\t'.repeat(depth)}${name}{`);
        depth++;
      }
      name = '';
    } else if (t === 5) name = `${readStr(readLen(b))}: `;
    else if (t === 1) {
      out.push(`${'\t'.repeat(depth)}${name}${readStr(readLen(b))}`);
      name = '';
    } else {
      const r = new BodyReader(body.subarray(p - 1));
      const v = r.next();
      p += readLen(b);
      out.push(`${'\t'.repeat(depth)}${name}${v}`);
      name = '';
    }
  }
  return out;
}

test('result: arrays of named structs become members, nulls <null string>, unsigned keys wrap', () => {
  const body = encodeResult({
    NRSETS: 1,
    RECORDS: [{ SET: { ID: 1, TARGETS: [{ DEST: { URI: 'sip:a', DUID: null } }] } }],
  });
  assert.deepEqual(lines(body), [
    '{',
    '\tNRSETS: 1',
    '\tRECORDS: {',
    '\t\tSET: {',
    '\t\t\tID: 1',
    '\t\t\tTARGETS: {',
    '\t\t\t\tDEST: {',
    '\t\t\t\t\tURI: sip:a',
    '\t\t\t\t\tDUID: <null string>',
    '\t\t\t\t}',
    '\t\t\t}',
    '\t\t}',
    '\t}',
    '}',
  ]);
  assert.deepEqual(lines(encodeResult({ hashid: 3883463682, slot: 2 }, ['hashid'])), [
    '{',
    '\thashid: -411503614',
    '\tslot: 2',
    '}',
  ]);
  assert.deepEqual(
    lines(encodeResult({ big: 3883463682 })),
    ['{', '\tbig: 3883463682', '}'],
    'a long goes as a double',
  );
  assert.deepEqual(lines(encodeResult([1, 'x'])), ['1', 'x'], 'top-level arrays: one value each');
  assert.equal(encodeResult(null).length, 0);
});

test('answerPacket: unknown method, a fault, a result, a reply packet refused', async () => {
  const backend: BinrpcBackend = {
    has: (m) => m === 'ok' || m === 'bad',
    invoke: async (m, params) => {
      if (m === 'bad') throw Object.assign(new Error('Invalid Parameters'), { code: 500 });
      return params;
    },
    faultOf: (e) => ({ code: (e as { code: number }).code, message: (e as Error).message }),
    int32Keys: () => [],
  };
  const req = (method: string, type = PacketType.Request): Buffer => {
    const w = new BodyWriter();
    w.str(method);
    w.int(4);
    const body = w.toBuffer();
    return Buffer.concat([buildHeader(type, body.length, 77), body]);
  };
  const decode = (b: Buffer): [number, unknown[]] => {
    const h = parseHeader(b)!;
    assert.equal(h.cookie, 77);
    const r = new BodyReader(b.subarray(h.headerSize));
    const v: unknown[] = [];
    while (!r.done) v.push(r.next());
    return [h.type, v];
  };
  let o = await answerPacket(req('nope'), backend);
  assert.deepEqual(decode(o.reply!), [PacketType.Fault, [500, 'command nope not found']]);
  assert.equal(o.close, false);
  o = await answerPacket(req('bad'), backend);
  assert.deepEqual(decode(o.reply!), [PacketType.Fault, [500, 'Invalid Parameters']]);
  o = await answerPacket(req('ok'), backend);
  assert.deepEqual(decode(o.reply!), [PacketType.Reply, [4]]);
  o = await answerPacket(req('ok', PacketType.Reply), backend);
  assert.deepEqual(decode(o.reply!), [PacketType.Fault, [400, 'bad request: corrupted packet']]);
  assert.equal(o.close, true);
});

test('ctl addresses: unix/unixs/unixd paths, tcp/udp with the default port 2049, bad ones refused', async () => {
  const { parseBinrpcAddress } = await import('../../../src/control/binrpc/address');
  assert.deepEqual(parseBinrpcAddress('unix:/run/x'), { kind: 'unixs', path: '/run/x' });
  assert.deepEqual(parseBinrpcAddress('/run/x'), { kind: 'unixs', path: '/run/x' });
  assert.deepEqual(parseBinrpcAddress('unixd:/run/d'), { kind: 'unixd', path: '/run/d' });
  assert.deepEqual(parseBinrpcAddress('tcp:127.0.0.1'), { kind: 'tcp', host: '127.0.0.1', port: 2049 });
  assert.deepEqual(parseBinrpcAddress('udp:[::1]:3000'), { kind: 'udp', host: '::1', port: 3000 });
  for (const bad of ['sctp:1.2.3.4', 'tcp::5', 'tcp:h:99999', 'unix:', ''])
    assert.throws(() => parseBinrpcAddress(bad), bad);
});

test('random packets: every one gets a reply or a fault, nothing throws', async () => {
  const backend: BinrpcBackend = {
    has: () => true,
    invoke: async (_m, params) => ({ got: params.length, list: params }),
    faultOf: () => ({ code: 500, message: 'x' }),
    int32Keys: () => [],
  };
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    const body = Buffer.alloc(rnd(40), 0).map(() => rnd(256));
    if (i % 3 === 0 && body.length > 2) body[0] = 0x51; // often a string method first
    const hdr = buildHeader(
      rnd(4) === 0 ? rnd(16) & 3 : PacketType.Request,
      Math.max(0, body.length - rnd(3)),
      rnd(1 << 30),
    );
    if (rnd(10) === 0) hdr[0] = rnd(256);
    const out = await answerPacket(Buffer.concat([hdr, body]), backend);
    assert.ok(out.reply === null || parseHeader(out.reply) !== null);
  }
});
