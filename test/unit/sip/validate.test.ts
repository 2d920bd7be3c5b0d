/** validateRequest / validateResponse: the RFC 3261 §16.3 checks and RFC 4475 defects. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/sip/message';
import { validateRequest, validateResponse } from '../../../src/sip/validate';

const BASE = {
  via: 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1',
  from: 'From: <sip:a@example.com>;tag=1',
  to: 'To: <sip:b@example.com>',
  callid: 'Call-ID: c1',
  cseq: 'CSeq: 1 OPTIONS',
  mf: 'Max-Forwards: 70',
} satisfies Record<string, string>;

function build(
  over: Record<string, string | null> = {},
  extra: string[] = [],
  startLine = 'OPTIONS sip:b@example.com SIP/2.0',
) {
  const lines = [startLine];
  for (const v of Object.values({ ...BASE, ...over })) if (v !== null) lines.push(v);
  lines.push(...extra, 'Content-Length: 0', '', '');
  return parseMessage(Buffer.from(lines.join('\r\n'), 'latin1'));
}

const code = (m: ReturnType<typeof build>) => validateRequest(m)?.code ?? 0;

test('a well-formed request passes', () => {
  assert.equal(validateRequest(build()), null);
  assert.equal(validateRequest(build({}, ['Contact: *'])), null);
  assert.equal(validateRequest(build({}, ['Contact: <sip:a@1.2.3.4>;expires=60, "B" <sip:b@h>'])), null);
  assert.equal(validateRequest(build({}, [], 'OPTIONS tel:+15551234 SIP/2.0')), null);
});

test('missing or duplicated mandatory headers: 400', () => {
  for (const k of ['from', 'to', 'callid', 'cseq']) assert.equal(code(build({ [k]: null })), 400, k);
  for (const dup of ['Call-ID: c2', 'From: <sip:x@y>;tag=2', 'To: <sip:x@y>', 'CSeq: 2 OPTIONS', 'Max-Forwards: 5']) {
    assert.equal(code(build({}, [dup])), 400, dup);
  }
});

test('CSeq: number range, method match (case-sensitive), syntax', () => {
  assert.equal(code(build({ cseq: 'CSeq: 4294967295 OPTIONS' })), 0);
  for (const c of [
    'CSeq: 4294967296 OPTIONS',
    'CSeq: 1 INVITE',
    'CSeq: 1 options',
    'CSeq: x OPTIONS',
    'CSeq: 1',
    'CSeq: 1 OPT IONS',
    'CSeq: OPTIONS',
  ]) {
    assert.equal(code(build({ cseq: c })), 400, c);
  }
});

test('From/To/Contact syntax, Max-Forwards, empty Call-ID: 400', () => {
  assert.equal(code(build({ to: 'To: "unbalanced <sip:b@example.com>' })), 400);
  assert.equal(code(build({ from: 'From: Bell, Alexander <sip:a@x>;tag=1' })), 400);
  assert.equal(code(build({}, ['Contact: sip:a@x?Route=%3Csip:y%3E'])), 400);
  assert.equal(code(build({}, ['Contact: <sip:a@x>,,<sip:b@y>'])), 400);
  assert.equal(code(build({ mf: 'Max-Forwards: -1' })), 400);
  assert.equal(code(build({ callid: 'Call-ID:' })), 400);
  assert.equal(code(build({ via: 'Via: SIP/2.0/UDP 192.0.2.15;;,;,,' })), 400);
});

test('Request-URI: unknown scheme 416, garbage 400, headers not allowed 400', () => {
  assert.equal(code(build({}, [], 'OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0')), 416);
  assert.equal(code(build({}, [], 'OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0')), 416);
  assert.equal(code(build({}, [], 'OPTIONS <sip:b@example.com> SIP/2.0')), 400);
  assert.equal(code(build({}, [], 'OPTIONS sip:b@example.com?Route=%3Csip:x%3E SIP/2.0')), 400);
  assert.equal(code(build({}, [], 'OPTIONS sip:b@exa<mple.com SIP/2.0')), 400);
});

test('Proxy-Require: 420 listing every tag in Unsupported; ACK and CANCEL are exempt', () => {
  const r = validateRequest(build({}, ['Proxy-Require: foo, bar', 'Require: other', 'Proxy-Require: baz']));
  assert.equal(r?.code, 420);
  assert.deepEqual(r?.headers, ['Unsupported: foo, bar, baz']);
  assert.equal(
    validateRequest(build({ cseq: 'CSeq: 1 CANCEL' }, ['Proxy-Require: foo'], 'CANCEL sip:b@example.com SIP/2.0')),
    null,
  );
});

test('responses: routable only with a readable Via, CSeq, Call-ID, From, To and no duplicates', () => {
  const resp = (extra: string[]) =>
    parseMessage(Buffer.from(['SIP/2.0 200 OK', ...extra, 'Content-Length: 0', '', ''].join('\r\n'), 'latin1'));
  const ok = [BASE.via, BASE.from, BASE.to, BASE.callid, 'CSeq: 1 INVITE'];
  assert.equal(validateResponse(resp(ok)), true);
  assert.equal(validateResponse(resp(ok.slice(1))), false);
  assert.equal(validateResponse(resp([...ok.slice(0, 4), 'CSeq: 4294967296 INVITE'])), false);
  assert.equal(validateResponse(resp([...ok, 'Call-ID: second'])), false);
  assert.equal(validateResponse(resp(['Via: SIP/2.0/UDP ;;', ...ok.slice(1)])), false);
});

test('the 400 names the first header, in message order, that is repeated; Content-Length is left to the parser', () => {
  // From comes before To: From is named even though To's second line comes first
  const m = build({}, ['To: <sip:x@y>', 'From: <sip:x@y>;tag=2']);
  assert.deepEqual(validateRequest(m), { code: 400, reason: 'Duplicate from header' });
  assert.deepEqual(validateRequest(build({ from: null, to: null })), { code: 400, reason: 'Missing From' });
  const resp = (extra: string[]) =>
    parseMessage(Buffer.from(['SIP/2.0 200 OK', ...extra, 'Content-Length: 0', '', ''].join('\r\n'), 'latin1'));
  const ok = [BASE.via, BASE.from, BASE.to, BASE.callid, 'CSeq: 1 INVITE'];
  // a response may not repeat Content-Length either (the parser drops it before)
  assert.equal(validateResponse(resp([...ok, 'Content-Type: a/b', 'c: a/b'])), false);
  assert.equal(validateResponse(resp([...ok, 'Max-Forwards: 1', 'Max-Forwards: 2'])), false);
  assert.equal(validateResponse(resp([...ok, 'Route: <sip:a>', 'Route: <sip:b>'])), true);
});
