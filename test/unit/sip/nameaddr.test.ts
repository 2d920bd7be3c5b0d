/** name-addr / addr-spec (RFC 3261 §20.10, §25.1) and list splitting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNameAddr, splitList } from '../../../src/sip/nameaddr';

test('bracketed forms: display names quoted, token, none, no LWS before <', () => {
  assert.deepEqual(parseNameAddr('"Alice \\"A\\"" <sip:a@x>;tag=1;foo'), {
    display: '"Alice \\"A\\""',
    uri: 'sip:a@x',
    bracketed: true,
    params: 'tag=1;foo',
    tag: '1',
  });
  assert.equal(parseNameAddr('Bob Smith <sip:b@x>')!.display, 'Bob Smith');
  assert.equal(parseNameAddr('caller<sip:c@x>')!.uri, 'sip:c@x');
  assert.equal(parseNameAddr('"caller"<sip:c@x>;tag=2')!.tag, '2');
  assert.equal(parseNameAddr('<sip:d@x;transport=tcp>')!.uri, 'sip:d@x;transport=tcp');
  assert.equal(parseNameAddr('<sip:d@x>')!.tag, null);
  assert.equal(
    parseNameAddr('<sip:user@host?Route=%3Csip:sip.example.com%3E>')!.uri,
    'sip:user@host?Route=%3Csip:sip.example.com%3E',
  );
});

test('non-ASCII in a display name and escaped control characters in a quoted one are accepted', () => {
  assert.ok(parseNameAddr('J\u00f6rg <sip:j@x>'));
  assert.ok(
    parseNameAddr(
      '"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*@example.com>',
    ),
  );
});

test('addr-spec: URI params end at the first ;, which starts header params', () => {
  const a = parseNameAddr('sip:j.user@example.com;tag=43251j3j324')!;
  assert.equal(a.uri, 'sip:j.user@example.com');
  assert.equal(a.tag, '43251j3j324');
  assert.equal(a.bracketed, false);
  assert.equal(parseNameAddr('*')!.uri, '*');
});

test('RFC 4475 defects are rejected', () => {
  for (const bad of [
    '"Mr. J. User <sip:j.user@example.com>', // quotbal: unterminated quote
    '<  sip:user@example.com  >', // badaspec: spaces inside <>
    'Bell, Alexander <sip:a.g.bell@example.com>;tag=43', // baddn: unquoted non-token display
    'sip:user@example.com?Route=%3Csip:sip.example.com%3E', // regbadct: addr-spec with headers
    '<sip:a@x',
    '<>',
    'sip:a@x junk',
    '<sip:a@x> junk',
    'nocolon',
    '',
  ]) {
    assert.equal(parseNameAddr(bad), null, bad);
  }
});

test('a quoted tag-lookalike inside another param is not the tag', () => {
  assert.equal(parseNameAddr('<sip:a@x>;p="x;tag=evil";tag=good')!.tag, 'good');
});

test('splitList ignores commas inside quotes and <>, reports empty elements', () => {
  const s = '"a, b" <sip:x@y;p=1,2>, <sip:z@w> ,, c';
  const parts = splitList(s).map(([a, b]) => s.slice(a, b));
  assert.deepEqual(parts, ['"a, b" <sip:x@y;p=1,2>', '<sip:z@w>', '', 'c']);
  const head = 'X: <sip:a>, <sip:b>\r\n';
  assert.deepEqual(
    splitList(head, 3, head.length - 2).map(([a, b]) => head.slice(a, b)),
    ['<sip:a>', '<sip:b>'],
  );
});
