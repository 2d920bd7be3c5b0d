/** Via parsing (RFC 3261 §20.42, RFC 3581): LWS everywhere it is allowed, lists, params. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseMessage, SipParseError } from '../../../src/sip/message';

import { SHARED } from '../../helpers/paths';
import { at } from '../../helpers/at';

function vias(...viaLines: string[]) {
  const s = ['OPTIONS sip:a@b SIP/2.0', ...viaLines, 'Content-Length: 0', '', ''].join('\r\n');
  return parseMessage(Buffer.from(s, 'latin1')).vias;
}

test('wsinv: LWS and folding inside Via values, compact name, comma list', () => {
  const m = parseMessage(fs.readFileSync(path.join(SHARED, 'rfc4475', 'wsinv.dat')));
  const v = m.vias;
  assert.deepEqual(
    v.map((x) => [x.transport, x.host, x.port, x.branch]),
    [
      ['UDP', '192.0.2.2', null, '390skdjuw'],
      ['TCP', 'spindle.example.com', null, 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', null, 'z9hG4bK30239'],
    ],
  );
  assert.equal(at(v, 0).alone, true);
  assert.equal(at(v, 1).alone, false);
  assert.equal(
    m.head.slice(at(v, 2).start, at(v, 2).end),
    'SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239',
  );
});

test('host forms: name, IPv4, IPv6 reference, with and without port, white space around the colon', () => {
  const v = vias(
    'Via: SIP/2.0/UDP host.example.com;branch=z9hG4bK1',
    'Via: SIP/2.0/tcp 192.0.2.1:5070;branch=z9hG4bK2',
    'Via: SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK3',
    'Via: SIP/2.0/UDP [::1];branch=z9hG4bK4',
    'Via: SIP/2.0/UDP h5 : 5080 ;branch=z9hG4bK5',
  );
  assert.deepEqual(
    v.map((x) => [x.transport, x.host, x.port]),
    [
      ['UDP', 'host.example.com', null],
      ['TCP', '192.0.2.1', 5070],
      ['UDP', '[2001:db8::1]', 5062],
      ['UDP', '[::1]', null],
      ['UDP', 'h5', 5080],
    ],
  );
});

test('received, rport (bare and valued), quoted and unknown params, a comment', () => {
  const [a, b, c] = vias(
    'Via: SIP/2.0/UDP h;rport;branch=z9hG4bK1',
    'Via: SIP/2.0/UDP h;branch=z9hG4bK2;received=[2001:db8::9];rport=5099;x="a;b,c"',
    'Via: SIP/2.0/UDP h (a comment) ;branch=z9hG4bK3;RPORT;Received=10.0.0.1',
  );
  assert.ok(a && b && c, 'three Vias');
  assert.equal(a.rport, '');
  assert.ok(a.rportNameEnd > 0);
  assert.equal(b.received, '[2001:db8::9]');
  assert.equal(b.rport, '5099');
  assert.equal(c.rport, '');
  assert.equal(c.received, '10.0.0.1');
  assert.equal(c.branch, 'z9hG4bK3');
});

test('an empty branch value is a parse error; an absent one is allowed (RFC 2543)', () => {
  assert.equal(at(vias('Via: SIP/2.0/UDP h'), 0).branch, null);
  assert.equal(at(vias('Via: SIP/2.0/UDP h;branch=z9hG4bK'), 0).branch, 'z9hG4bK');
  assert.throws(() => vias('Via: SIP/2.0/UDP h;branch'), SipParseError);
});

test('malformed Via values throw SipParseError(400)', () => {
  for (const bad of [
    'Via: SIP/2.0/UDP 192.0.2.15;;,;,,',
    'Via: SIP/2.0/UDP h;branch=z9hG4bK1,,SIP/2.0/UDP g',
    'Via: SIP/2.0 h',
    'Via: SIP/7.0/UDP h',
    'Via: SIPX/2.0/UDP h',
    'Via: SIP/2.0/UDPh',
    'Via: SIP/2.0/UDP h:99999',
    'Via: SIP/2.0/UDP h:port',
    'Via: SIP/2.0/UDP [::1;branch=x',
    'Via: SIP/2.0/UDP h junk',
    'Via: SIP/2.0/UDP h;=x',
  ]) {
    assert.throws(
      () => vias(bad),
      (e: unknown) => e instanceof SipParseError && e.code === 400,
      bad,
    );
  }
});
