/** SIP/SIPS/TEL URI parsing (RFC 3261 §19.1). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseUri,
  parseUriOrThrow,
  uriParam,
  findParam,
  uriTransport,
  bareHost,
  defaultPort,
  UriParseError,
} from '../../../src/sip/uri';

test('user, password, host, port, params, headers', () => {
  const u = parseUri('sips:alice:secret@Example.COM:5061;transport=tcp;lr?Subject=hi&Priority=urgent')!;
  assert.equal(u.scheme, 'sips');
  assert.equal(u.user, 'alice');
  assert.equal(u.password, 'secret');
  assert.equal(u.host, 'Example.COM');
  assert.equal(u.port, 5061);
  assert.equal(u.hostport, 'Example.COM:5061');
  assert.equal(u.params, 'transport=tcp;lr');
  assert.equal(u.headers, 'Subject=hi&Priority=urgent');
  assert.equal(uriParam(u, 'lr'), '');
  assert.equal(uriParam(u, 'TRANSPORT'.toLowerCase()), 'tcp');
  assert.equal(uriParam(u, 'maddr'), null);
  assert.equal(uriTransport(u), 'tcp');
  assert.equal(defaultPort(u), 5061);
});

test('IPv6 references with and without port', () => {
  const a = parseUri('sip:bob@[2001:db8::10]:5070;lr')!;
  assert.equal(a.host, '[2001:db8::10]');
  assert.equal(a.port, 5070);
  assert.equal(bareHost(a.host), '2001:db8::10');
  const b = parseUri('sip:[::1]')!;
  assert.equal(b.host, '[::1]');
  assert.equal(b.port, null);
  assert.equal(b.user, '');
});

test("user part with ';' (semiuri), escapes, and every user-unreserved character (intmeth)", () => {
  const a = parseUri('sip:user;par=u%40example.net@example.com')!;
  assert.equal(a.user, 'user;par=u%40example.net');
  assert.equal(a.host, 'example.com');
  assert.equal(a.params, '');
  const b = parseUri(
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
  )!;
  assert.equal(b.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(b.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert.equal(b.host, 'example.com');
  assert.equal(parseUri('sip:sips%3Auser%40example.com@example.net')!.user, 'sips%3Auser%40example.com');
  assert.equal(parseUri('sip:null-%00-null@example.com')!.user, 'null-%00-null');
  const c = parseUri('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31')!;
  assert.equal(c.user, 'cal%6Cer');
  assert.equal(c.params, '%6C%72;n%61me=v%61lue%25%34%31');
});

test('tel and other schemes keep an opaque part', () => {
  const t = parseUri('tel:+1-201-555-0123;phone-context=example.com')!;
  assert.equal(t.scheme, 'tel');
  assert.equal(t.user, '+1-201-555-0123');
  assert.equal(t.params, 'phone-context=example.com');
  assert.equal(parseUri('soap.beep://192.0.2.103:3002')!.scheme, 'soap.beep');
});

test('syntax errors', () => {
  for (const bad of [
    '',
    'sip',
    ':x',
    '1sip:a',
    'sip:',
    'sip:@host',
    'sip:a@',
    'sip:a@host:',
    'sip:a@host:70000',
    'sip:a@host:12x',
    'sip:a b@host',
    'sip:a@[::1',
    'sip:a@ho<st',
    '<sip:a@b>',
  ]) {
    assert.equal(parseUri(bad), null, bad);
  }
  assert.throws(() => parseUriOrThrow('sip:a@host:70000'), UriParseError);
});

test('findParam: flags, values, white space, quoted values containing ;', () => {
  assert.equal(findParam('a=1; b ; c = 3', 'b'), '');
  assert.equal(findParam('a=1; b ; c = 3', 'c'), '3');
  assert.equal(findParam('x="1;tag=no";tag=yes', 'tag'), 'yes');
  assert.equal(findParam('x="a\\"b;tag=no";TAG=yes', 'tag'), 'yes');
  assert.equal(findParam('', 'a'), null);
  assert.equal(findParam('ab=1', 'a'), null);
});
