/**
 * parseMessage: the header index (compact and case-insensitive names, folding,
 * repeated and comma-list headers), bodies byte for byte, Content-Length rules for
 * datagrams and streams, and the defects a request is answered for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, SipParseError, SipMessage } from '../../../src/sip/message';

const CRLF = '\r\n';
const req = (lines: string[], body = ''): string => lines.join(CRLF) + CRLF + CRLF + body;
const parse = (s: string | Buffer, datagram = true): SipMessage =>
  parseMessage(typeof s === 'string' ? Buffer.from(s, 'latin1') : s, { datagram });

const BASE = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
  'From: <sip:alice@example.com>;tag=a',
  'To: <sip:bob@example.com>',
  'Call-ID: c1@example.com',
  'CSeq: 7 INVITE',
  'Max-Forwards: 70',
];

/** Throws SipParseError with code 0 (not answerable). */
function dropped(s: string | Buffer, datagram = true): void {
  assert.throws(
    () => parse(s, datagram),
    (e: unknown) => e instanceof SipParseError && e.code === 0,
  );
}

test('start line: method, R-URI with offsets, response status and reason', () => {
  const m = parse(req([...BASE, 'Content-Length: 0']));
  assert.equal(m.isRequest, true);
  assert.equal(m.method, 'INVITE');
  assert.equal(m.ruri, 'sip:bob@example.com');
  assert.equal(m.head.slice(m.ruriStart, m.ruriEnd), m.ruri);
  assert.equal(m.defect, null);
  const r = parse(req(['SIP/2.0 180 Ringing Now', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Content-Length: 0']));
  assert.equal(r.isRequest, false);
  assert.equal(r.status, 180);
  assert.equal(r.reason, 'Ringing Now');
  assert.equal(parse(req(['SIP/2.0 100 ', 'Content-Length: 0'])).reason, '');
});

test('bad status lines are dropped: overlarge, short, out of range codes', () => {
  for (const sl of [
    'SIP/2.0 4294967301 big',
    'SIP/2.0 20 OK',
    'SIP/2.0 099 x',
    'SIP/2.0 700 x',
    'SIP/2.0 2x0 x',
    'SIP/3.0 200 OK',
  ]) {
    dropped(req([sl, 'Content-Length: 0']));
  }
});

test('compact forms and any case map to one canonical name', () => {
  const m = parse(
    req([
      'OPTIONS sip:a@b SIP/2.0',
      'v: SIP/2.0/UDP h1;branch=z9hG4bK1',
      'VIA: SIP/2.0/UDP h2;branch=z9hG4bK2',
      'f: <sip:x@y>;tag=1',
      'T: <sip:a@b>',
      'i: cid',
      'cSeQ: 1 OPTIONS',
      'l: 0',
      'm: <sip:c@d>',
      'k: path',
      'c: text/plain',
    ]),
  );
  assert.deepEqual(
    m.headers.map((h) => h.name),
    ['via', 'via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'contact', 'supported', 'content-type'],
  );
  assert.equal(m.callId, 'cid');
  assert.equal(m.get('CALL-ID'.toLowerCase()), 'cid');
  assert.equal(m.vias.length, 2);
  assert.equal(m.from?.tag, '1');
  assert.equal(m.cseq?.method, 'OPTIONS');
});

test('folded header values are unfolded to single spaces; offsets cover the whole line', () => {
  const m = parse(
    req([
      'OPTIONS sip:a@b SIP/2.0',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'Subject: first',
      ' second',
      '\tthird',
      'X-After: 1',
      'Content-Length: 0',
    ]),
  );
  const h = m.first('subject')!;
  assert.equal(m.value(h), 'first second third');
  assert.equal(m.head.slice(h.lineStart, h.lineEnd), 'Subject: first\r\n second\r\n\tthird\r\n');
  assert.equal(m.get('x-after'), '1');
});

test('white space around the colon and at the value ends is not part of the value', () => {
  const m = parse(
    req([
      'OPTIONS sip:a@b SIP/2.0',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'Call-ID \t:   abc  ',
      'Content-Length   : 0',
    ]),
  );
  assert.equal(m.callId, 'abc');
  assert.equal(m.body.length, 0);
});

test('repeated and comma-list headers keep their order', () => {
  const m = parse(
    req([
      'OPTIONS sip:a@b SIP/2.0',
      'Via: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/UDP h2;branch=z9hG4bK2',
      'Route: <sip:r1;lr>',
      'X: 1',
      'Via: SIP/2.0/TCP h3;branch=z9hG4bK3',
      'Route: <sip:r2;lr>, <sip:r3;lr>',
      'Content-Length: 0',
    ]),
  );
  assert.deepEqual(
    m.vias.map((v) => v.host),
    ['h1', 'h2', 'h3'],
  );
  assert.equal(m.count('route'), 2);
  assert.deepEqual(
    m.all('route').map((h) => m.value(h)),
    ['<sip:r1;lr>', '<sip:r2;lr>, <sip:r3;lr>'],
  );
  assert.equal(m.topVia?.host, 'h1');
});

test('the body goes through byte for byte, binary and UTF-8 included', () => {
  const bin = Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10, 0x80, 0xc3, 0xa9]);
  const head = Buffer.from(
    req([...BASE, 'Content-Type: application/octet-stream', `Content-Length: ${bin.length}`]),
    'latin1',
  );
  const m = parse(Buffer.concat([head, bin]));
  assert.ok(m.body.equals(bin));
  assert.ok(m.wire.equals(Buffer.concat([head, bin])));
  // UTF-8 in a header round-trips through the latin1 view
  const utf = Buffer.concat([
    Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nSubject: '),
    Buffer.from('сто девяносто', 'utf8'),
    Buffer.from('\r\nContent-Length: 0\r\n\r\n'),
  ]);
  const u = parse(utf);
  assert.equal(Buffer.from(u.get('subject')!, 'latin1').toString('utf8'), 'сто девяносто');
});

test('Content-Length: exact, smaller (rest ignored), larger, negative, non-numeric, conflicting', () => {
  const ok = parse(req([...BASE, 'Content-Length: 5'], 'hello'));
  assert.equal(ok.body.toString(), 'hello');
  assert.equal(ok.defect, null);
  const small = parse(req([...BASE, 'Content-Length: 5'], 'hello, world'));
  assert.equal(small.body.toString(), 'hello');
  assert.equal(small.wire.toString('latin1').endsWith('\r\n\r\nhello'), true, 'trailing octets are not on the wire');
  assert.equal(small.defect, null);
  for (const [cl, why] of [
    ['50', /larger/],
    ['-5', /Bad Content-Length/],
    ['five', /Bad Content-Length/],
    ['12345678901', /Bad/],
  ] as const) {
    const m = parse(req([...BASE, `Content-Length: ${cl}`], 'hello'));
    assert.equal(m.defect?.code, 400, cl);
    assert.match(m.defect!.reason, why);
  }
  const two = parse(req([...BASE, 'Content-Length: 5', 'l: 6'], 'hello!'));
  assert.match(two.defect!.reason, /Conflicting/);
});

test('Content-Length absent: the rest of a datagram; required on a stream', () => {
  const m = parse(req(BASE, 'v=0\r\n'));
  assert.equal(m.body.toString(), 'v=0\r\n');
  assert.equal(m.defect, null);
  assert.equal(parse(req(BASE, ''), false).defect?.code, 400);
});

test('a defective response is dropped, not answered', () => {
  dropped(req(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Content-Length: 99'], 'x'));
  dropped(req(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'no colon here', 'Content-Length: 0']));
  dropped('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x');
});

test('request-line defects: stray white space (400), another version (505), bad version (400)', () => {
  for (const sl of [
    'INVITE  sip:a@b  SIP/2.0',
    'INVITE sip:a@b SIP/2.0  ',
    'INVITE sip:a@b; lr SIP/2.0',
    'INVITE\tsip:a@b SIP/2.0',
  ]) {
    const m = parse(req([sl, ...BASE.slice(1), 'Content-Length: 0']));
    assert.equal(m.defect?.code, 400, JSON.stringify(sl));
    assert.equal(m.method, 'INVITE');
  }
  assert.equal(parse(req(['OPTIONS sip:a@b SIP/7.0', ...BASE.slice(1), 'Content-Length: 0'])).defect?.code, 505);
  assert.equal(parse(req(['OPTIONS sip:a@b HTTP/1.1', ...BASE.slice(1), 'Content-Length: 0'])).defect?.code, 400);
  dropped(req(['GET /', 'Content-Length: 0']));
  dropped(req(['<junk> sip:a@b SIP/2.0', ...BASE.slice(1)]));
});

test('a request without a Via cannot be answered and is dropped', () => {
  dropped(req(['OPTIONS sip:a@b SIP/2.0', 'Call-ID: x', 'CSeq: 1 OPTIONS', 'Content-Length: 0']));
});

test('truncated: a request with a Via is still answerable (400); nothing else is', () => {
  const m = parse('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x\r\nTo: <sip:');
  assert.equal(m.defect?.code, 400);
  assert.equal(m.callId, 'x');
  assert.equal(m.first('to'), undefined, 'the partial last line is not indexed');
  dropped('OPTIONS sip:a@b SIP/2.0');
  dropped('\r\n\r\n');
  dropped('');
});

test('leading CRLFs are skipped; bare-LF messages parse and keep their line end', () => {
  const m = parse('\r\n\r\n' + req([...BASE, 'Content-Length: 0']));
  assert.equal(m.method, 'INVITE');
  assert.equal(m.head.slice(m.ruriStart, m.ruriEnd), 'sip:bob@example.com');
  const lf = parse([...BASE, 'Content-Length: 4', '', 'a\r\n\r'].join('\n'));
  assert.equal(lf.eol, '\n');
  assert.equal(lf.callId, 'c1@example.com');
  assert.equal(lf.body.toString('latin1'), 'a\r\n\r', 'a CRLFCRLF-looking body does not end an LF header section');
});

test('a header line without a name or colon makes a request answerable with 400', () => {
  for (const bad of ['no colon', ': novalue', 'Bad Name: x', 'Bäd: x']) {
    const m = parse(req([...BASE, bad, 'Content-Length: 0']));
    assert.equal(m.defect?.code, 400, bad);
    assert.equal(m.callId, 'c1@example.com', 'the good headers are still indexed');
  }
});

test('more than 1000 header lines: 400, and parsing stays linear', () => {
  const many = req([...BASE, ...Array.from({ length: 10_000 }, () => 'X:a'), 'Content-Length: 0']);
  assert.equal(parse(many).defect?.code, 400);
  // 60 000 colon-less lines: each line is scanned once (a quadratic scan takes seconds)
  const junk = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n' + 'a\r\n'.repeat(20_000) + '\r\n';
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 20; i++) assert.equal(parse(junk).defect?.code, 400);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.ok(ms < 500, `20 parses of a 60 KB junk datagram took ${ms.toFixed(0)} ms`);
});

test('lazy accessors: Max-Forwards, CSeq, From/To tags', () => {
  const m = parse(req([...BASE.slice(0, 6), 'Max-Forwards: 0068', 'Content-Length: 0']));
  assert.equal(m.maxForwards, 68);
  assert.deepEqual(m.cseq, { seq: 7, method: 'INVITE' });
  assert.equal(m.from?.tag, 'a');
  assert.equal(m.to?.tag, null);
  assert.ok(Number.isNaN(parse(req([...BASE.slice(0, 6), 'Max-Forwards: ten', 'Content-Length: 0'])).maxForwards!));
  assert.equal(parse(req([...BASE.slice(0, 6), 'Content-Length: 0'])).maxForwards, null);
});

test('header names: any case, compact forms and unknown names map to one canonical name', async () => {
  const { canonicalName } = await import('../../../src/sip/headers');
  const m = parse(
    req([
      'INVITE sip:bob@example.com SIP/2.0',
      'vIA: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
      'V: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK2',
      'f: <sip:alice@example.com>;tag=a',
      'TO: <sip:bob@example.com>',
      'CALL-ID: c1@example.com',
      'cSeq: 7 INVITE',
      'MAX-forwards: 70',
      'Call_ID: not the call-id',
      'Calls-ID: nor this',
      'X-Custom-Thing: 1',
      'Q: one letter, no compact form',
      'record-ROUTE: <sip:p1;lr>',
      'Content-Length: 0',
    ]),
  );
  assert.deepEqual(
    m.headers.map((h) => h.name),
    [
      'via',
      'via',
      'from',
      'to',
      'call-id',
      'cseq',
      'max-forwards',
      'call_id',
      'calls-id',
      'x-custom-thing',
      'q',
      'record-route',
      'content-length',
    ],
  );
  assert.equal(m.callId, 'c1@example.com');
  assert.equal(m.vias.length, 2);
  for (const [written, canonical] of [
    ['Via', 'via'],
    ['i', 'call-id'],
    ['CONTENT-TYPE', 'content-type'],
    ['c', 'content-type'],
    ['Content_Type', 'content_type'],
    ['P-Asserted-Identity', 'p-asserted-identity'],
    ['1', '1'],
    ['', ''],
    // control characters are not letters: CR | 0x20 is '-', 0x10 | 0x20 is '0'
    ['Call\rID', 'call\rid'],
    ['Min\rSE', 'min\rse'],
    ['X\u0010', 'x\u0010'],
  ] as const) {
    assert.equal(canonicalName(written), canonical, written);
  }
});
