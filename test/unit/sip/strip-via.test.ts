/** stripTopVia: a reply going upstream loses our Via value and nothing else. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/sip/message';
import { stripTopVia } from '../../../src/proxy/forward';

const reply = (vias: string[]) =>
  parseMessage(
    Buffer.from(
      [
        'SIP/2.0 200 OK',
        ...vias,
        'From: <sip:a@b>;tag=1',
        'To: <sip:c@d>;tag=2',
        'Call-ID: x',
        'CSeq: 1 INVITE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      'latin1',
    ),
  );

test('a Via line of its own is removed whole', () => {
  const out = stripTopVia(
    reply(['Via: SIP/2.0/UDP proxy;branch=z9hG4bKp', 'Via: SIP/2.0/UDP client;branch=z9hG4bKc']),
  ).toString();
  assert.ok(out.startsWith('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP client;branch=z9hG4bKc\r\nFrom:'), out);
});

test('the first value of a comma list is removed with its comma; the rest stays as written', () => {
  const out = stripTopVia(
    reply(['Via: SIP/2.0/UDP proxy;branch=z9hG4bKp , SIP/2.0/UDP client;branch=z9hG4bKc,SIP/2.0/UDP c2']),
  );
  assert.ok(
    out.toString().startsWith('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP client;branch=z9hG4bKc,SIP/2.0/UDP c2\r\nFrom:'),
    out.toString(),
  );
  const folded = stripTopVia(reply(['v: SIP/2.0/UDP proxy;branch=z9hG4bKp,', ' SIP/2.0/UDP client;branch=z9hG4bKc']));
  const m = parseMessage(folded);
  assert.deepEqual(
    m.vias.map((v) => v.host),
    ['client'],
  );
});

test('the result parses with the remaining Vias in order', () => {
  const m = parseMessage(
    stripTopVia(
      reply([
        'Via: SIP/2.0/UDP p;branch=z9hG4bKp, SIP/2.0/UDP a;branch=z9hG4bKa',
        'Via: SIP/2.0/TCP b;branch=z9hG4bKb',
      ]),
    ),
  );
  assert.deepEqual(
    m.vias.map((v) => v.host),
    ['a', 'b'],
  );
});
