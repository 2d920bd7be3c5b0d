import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListFile } from '../../../src/modules/dispatcher/list-file';
import { ListFileError } from '../../../src/modules/dispatcher/errors';
import { golden } from './helpers';
import { at } from '../../helpers/at';

const pick = (text: string) =>
  parseListFile(text, 'd.list').records.map(({ setId, uri, flags, priority, attrs, line }) => ({
    setId,
    uri,
    flags,
    priority,
    attrs,
    line,
  }));

test('golden dispatcher.list: fields, attrs token ends at white space, description ignored', () => {
  const r = pick(golden('dispatcher.list'));
  assert.equal(r.length, 5);
  assert.deepEqual(r[2], {
    setId: 2,
    uri: 'sip:127.0.0.1:5080;transport=udp',
    flags: 0,
    priority: 10,
    attrs: 'duid=gw1;maxload=20;socket=udp:127.0.0.1:5060',
    line: 4,
  });
  assert.deepEqual(r[4], { setId: 3, uri: 'sip:127.0.0.1:5081', flags: 2, priority: 0, attrs: null, line: 6 });
});

test('comment and # rules', () => {
  const r = pick(
    [
      '# full comment',
      '   # indented comment',
      '',
      '\t ',
      '1 sip:a#x 8 9', // uri ends at #, rest is a comment
      '1 sip:b 8#c', // # right after flags
      '1 sip:c 8 9#c', // # right after priority
      '1 sip:d 8 9 duid=x#y;weight=5 trailing words', // # kept inside attrs, rest ignored
      '1 sip:e # 8 9',
    ].join('\n'),
  );
  assert.deepEqual(
    r.map((x) => [x.uri, x.flags, x.priority, x.attrs]),
    [
      ['sip:a', 0, 0, null],
      ['sip:b', 8, 0, null],
      ['sip:c', 8, 9, null],
      ['sip:d', 8, 9, 'duid=x#y;weight=5'],
      ['sip:e', 0, 0, null],
    ],
  );
  assert.deepEqual(
    r.map((x) => x.line),
    [5, 6, 7, 8, 9],
  );
});

test('missing and non-numeric fields', () => {
  const p = parseListFile(
    [
      'sip:noset', // no set id: set 0
      '7 sip:x weight=5', // non-numeric flags: token becomes attrs
      '7 sip:y 8 weight=5', // non-numeric priority: token becomes attrs
      '7 sip:z 0x8 4', // 5.6: flags 0, then "x8" is read as the attrs
      '7\tsip:t\t2\t3\ta=1;\r',
    ].join('\n'),
    'f.list',
  );
  assert.deepEqual(
    p.records.map((x) => [x.setId, x.uri, x.flags, x.priority, x.attrs]),
    [
      [0, 'sip:noset', 0, 0, null],
      [7, 'sip:x', 0, 0, 'weight=5'],
      [7, 'sip:y', 8, 0, 'weight=5'],
      [7, 'sip:z', 0, 0, 'x8'],
      [7, 'sip:t', 2, 3, 'a=1;'],
    ],
  );
  assert.ok(p.warnings.some((w) => w.line === 1 && /set 0/.test(w.message)));
  assert.ok(p.warnings.some((w) => w.line === 4 && /0x8/.test(w.message)));
  assert.equal(at(p.records, 0).origin, 'f.list:1');
});

test('a set id without a URI rejects the whole file with its location', () => {
  const text = '1 sip:a\n\n2   \n3 sip:c\n';
  assert.throws(
    () => parseListFile(text, 'x.list'),
    (e: unknown) => {
      assert.ok(e instanceof ListFileError);
      assert.equal(e.file, 'x.list');
      assert.equal(e.line, 3);
      assert.equal(e.col, 5);
      assert.match(e.message, /^x\.list:3:5: set id without a destination URI/);
      return true;
    },
  );
  assert.throws(() => parseListFile('1 sip:a\n12 # nothing\n', 'y'), { line: 2 } as object);
});

test('lines over 1023 characters are refused (Kamailio would split them)', () => {
  const ok = '1 sip:a 0 0 ' + 'x'.repeat(1023 - 12);
  assert.equal(ok.length, 1023);
  assert.equal(parseListFile(ok + '\n', 'l').records.length, 1);
  assert.throws(() => parseListFile('1 sip:a\n' + ok + 'y\n', 'l'), { line: 2, col: 1024 } as object);
});
