/** buildReply and natEdits: what a proxy's own replies copy, add and fix up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/sip/message';
import { buildReply, natEdits } from '../../../src/sip/reply';
import { applyEdits } from '../../../src/sip/editor';

const parse = (s: string) => parseMessage(Buffer.from(s, 'latin1'));
const REQ = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP client.example.com:5070;branch=z9hG4bKa1;rport',
  'Via: SIP/2.0/UDP older.example.com;branch=z9hG4bKa0',
  'Max-Forwards: 70',
  'f: "A" <sip:alice@example.com>;tag=ft',
  'To: <sip:bob@example.com>',
  'Call-ID: call-1',
  'CSeq: 5 INVITE',
  'Contact: <sip:alice@192.0.2.9>',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
].join('\r\n');

test('copies Via/From/To/Call-ID/CSeq verbatim, in order; nothing else from the request', () => {
  const m = parse(REQ);
  const r = buildReply(m, 486, 'Busy Here', { toTag: 'tt', server: 'Server: dsd' }).toString('latin1');
  assert.equal(
    r,
    [
      'SIP/2.0 486 Busy Here',
      'Via: SIP/2.0/UDP client.example.com:5070;branch=z9hG4bKa1;rport',
      'Via: SIP/2.0/UDP older.example.com;branch=z9hG4bKa0',
      'f: "A" <sip:alice@example.com>;tag=ft',
      'To: <sip:bob@example.com>;tag=tt',
      'Call-ID: call-1',
      'CSeq: 5 INVITE',
      'Server: dsd',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
});

test('To tag: added to replies above 100 only, never a second one', () => {
  const m = parse(REQ);
  assert.match(buildReply(m, 100, 'Trying', { toTag: 'tt' }).toString(), /\r\nTo: <sip:bob@example.com>\r\n/);
  const tagged = parse(REQ.replace('To: <sip:bob@example.com>', 'To: <sip:bob@example.com>;tag=old'));
  assert.match(
    buildReply(tagged, 404, 'Not Found', { toTag: 'tt' }).toString(),
    /\r\nTo: <sip:bob@example.com>;tag=old\r\n/,
  );
});

test('received and rport on the top Via (RFC 3581): rport as the last parameter too', () => {
  const m = parse(REQ);
  const top = m.topVia!;
  const r = buildReply(m, 200, 'OK', { viaEdits: natEdits(top, '192.0.2.33', 40000) }).toString('latin1');
  assert.match(
    r,
    /\r\nVia: SIP\/2\.0\/UDP client\.example\.com:5070;received=192\.0\.2\.33;branch=z9hG4bKa1;rport=40000\r\nVia: SIP\/2\.0\/UDP older/,
  );
  // the same edits on a forwarded copy
  const fwd = applyEdits(m, natEdits(top, '192.0.2.33', 40000)).toString('latin1');
  assert.match(fwd, /:5070;received=192\.0\.2\.33;branch=z9hG4bKa1;rport=40000\r\n/);
  // reparsing the result gives the values back
  const again = parse(fwd).topVia!;
  assert.equal(again.rport, '40000');
  assert.equal(again.received, '192.0.2.33');
});

test('natEdits: nothing when the sent-by is the source and no rport; rport in the middle', () => {
  const plain = parse(
    REQ.replace('client.example.com:5070;branch=z9hG4bKa1;rport', '192.0.2.33:5070;branch=z9hG4bKa1'),
  );
  assert.deepEqual(natEdits(plain.topVia!, '192.0.2.33', 5070), []);
  const mid = parse(REQ.replace(';branch=z9hG4bKa1;rport', ';rport;branch=z9hG4bKa1'));
  const out = applyEdits(mid, natEdits(mid.topVia!, '192.0.2.33', 5071)).toString('latin1');
  assert.match(out, /client\.example\.com:5070;received=192\.0\.2\.33;rport=5071;branch=z9hG4bKa1\r\n/);
  const ipv6 = parse(REQ.replace('client.example.com:5070', '[2001:db8::1]:5070').replace(';rport', ''));
  assert.deepEqual(natEdits(ipv6.topVia!, '2001:db8::1', 5070), []);
  // a comma-list top value gets received after its own sent-by, not at the end of the line
  const list = parse(REQ.replace(';rport\r\nVia: ', ', '));
  const l = applyEdits(list, natEdits(list.topVia!, '192.0.2.33', 1)).toString('latin1');
  assert.match(l, /client\.example\.com:5070;received=192\.0\.2\.33;branch=z9hG4bKa1, SIP\/2\.0\/UDP older/);
});

test('extra headers and a body; LF-only requests get CRLF replies', () => {
  const m = parse(REQ);
  const r = buildReply(m, 420, 'Bad Extension', {
    headers: ['Unsupported: foo'],
    body: Buffer.from('hi'),
    contentType: 'text/plain',
  });
  assert.match(r.toString(), /\r\nUnsupported: foo\r\nContent-Type: text\/plain\r\nContent-Length: 2\r\n\r\nhi$/);
  const lf = parse(REQ.replaceAll('\r\n', '\n'));
  const rl = buildReply(lf, 400, 'Bad').toString();
  assert.equal(
    rl.split('\n').every((l, i, all) => i === all.length - 1 || l.endsWith('\r')),
    true,
    rl,
  );
});
