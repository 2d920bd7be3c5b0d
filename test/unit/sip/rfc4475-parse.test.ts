/**
 * The 49 RFC 4475 messages through the parser and the request checks alone (the e2e
 * test runs them through the daemon): valid requests parse cleanly and pass the
 * checks, invalid ones are caught at one of the two stages, and wsinv's tortuous
 * header section reads back to the values the RFC describes.
 *
 * The reference is RFC 4475 itself, as ../shared/rfc4475/index.json states it per message
 * (rfc valid/invalid, rule, allowed codes), not Kamailio: Kamailio 5.6 accepts several of
 * the invalid messages (test/e2e/rfc4475.test.ts scores the daemon by the same rules).
 * Where dsd's SIP layer answers with a code of its own, that code must be one the index
 * allows for the message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseMessage, SipParseError, SipMessage } from '../../../src/sip/message';
import { validateRequest, validateResponse } from '../../../src/sip/validate';
import { shared } from '../../helpers/paths';
import { at } from '../../helpers/at';

const DIR = shared('rfc4475');
const INDEX = JSON.parse(fs.readFileSync(path.join(DIR, 'index.json'), 'utf8')) as {
  messages: Array<{
    name: string;
    file: string;
    rfc: 'valid' | 'invalid';
    type: 'request' | 'response';
    rule: string;
    codes?: number[];
  }>;
};
const load = (f: string) => fs.readFileSync(path.join(DIR, f));

type Verdict = 'ok' | 'dropped' | `defect ${number}` | `rejected ${number}`;

function classify(buf: Buffer): Verdict {
  let m: SipMessage;
  try {
    m = parseMessage(buf, { datagram: true });
  } catch (e) {
    assert.ok(e instanceof SipParseError);
    return 'dropped';
  }
  if (m.defect) return `defect ${m.defect.code}`;
  if (!m.isRequest) return validateResponse(m) ? 'ok' : 'dropped';
  const r = validateRequest(m);
  return r ? `rejected ${r.code}` : 'ok';
}

/** What the SIP layer (not the route) decides for each message. */
const EXPECTED: Record<string, Verdict> = {
  unkscm: 'rejected 416',
  novelsc: 'rejected 416',
  bext01: 'rejected 420',
  badvers: 'defect 505',
  badbranch: 'ok',
  baddate: 'ok',
  bigcode: 'dropped',
  scalarlg: 'dropped',
};

for (const m of INDEX.messages) {
  test(`${m.name}: ${m.rfc} ${m.type}`, () => {
    const v = classify(load(m.file));
    if (EXPECTED[m.name]) {
      assert.equal(v, EXPECTED[m.name]);
      const code = Number(v.split(' ')[1]);
      if (code)
        assert.ok(
          (m.codes ?? [400]).includes(code),
          `${code} is not among the codes RFC 4475 allows here (${m.codes})`,
        );
      if (v === 'dropped') assert.equal(m.rule, 'drop_response');
    } else if (m.rfc === 'valid') assert.equal(v, 'ok');
    else if (m.type === 'request') assert.match(v, /^(defect|rejected) 400$/);
    else assert.equal(v, 'dropped');
  });
}

test('wsinv reads back as the RFC describes it', () => {
  const m = parseMessage(load('wsinv.dat'));
  assert.equal(m.method, 'INVITE');
  assert.equal(m.ruri, 'sip:vivekg@chair-dnrc.example.com;unknownparam');
  assert.equal(m.to?.uri, 'sip:vivekg@chair-dnrc.example.com');
  assert.equal(m.to?.tag, '1918181833n');
  assert.equal(m.from?.display, '"J Rosenberg \\\\\\""');
  assert.equal(m.from?.tag, '98asjd8');
  assert.equal(m.maxForwards, 68);
  assert.equal(m.callId, 'wsinv.ndaksdj@192.0.2.1');
  assert.deepEqual(m.cseq, { seq: 9, method: 'INVITE' });
  assert.equal(m.get('subject'), '');
  assert.equal(m.get('newfangledheader'), 'newfangled value continued newfangled value');
  assert.equal(m.get('unknownheaderwithunusualvalue'), ';;,,;;,;');
  assert.equal(m.body.length, 150);
  assert.equal(m.bodyEnd, m.buf.length);
});

test('dblreq: only the first request is the message; the rest of the datagram is not on the wire', () => {
  const buf = load('dblreq.dat');
  const m = parseMessage(buf);
  assert.equal(m.method, 'REGISTER');
  assert.equal(m.body.length, 0);
  assert.ok(!m.wire.toString('latin1').includes('INVITE'));
  assert.ok(m.wire.length < buf.length);
});

test('mpart01: the binary multipart body is exactly the Content-Length octets', () => {
  const buf = load('mpart01.dat');
  const m = parseMessage(buf);
  assert.equal(m.body.length, Number(m.get('content-length')));
  assert.ok(m.body.equals(buf.subarray(buf.indexOf('\r\n\r\n') + 4)));
});

test('longreq: 34 Via values from mixed-case and compact names, in order', () => {
  const m = parseMessage(load('longreq.dat'));
  assert.equal(m.vias.length, 34);
  assert.equal(at(m.vias, 0).host, 'sip33.example.com');
  assert.equal(at(m.vias, 32).host, 'sip1.example.com');
  assert.equal(at(m.vias, 33).host, 'host.example.com');
  assert.equal(at(m.vias, 33).received, '192.0.2.5');
});
