/** The splice editor: untouched bytes go out as received; insert order; removal wins. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/sip/message';
import { applyEdits, EditList } from '../../../src/sip/editor';

const TEXT =
  'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nX-Del: gone\r\nContent-Length: 3\r\n\r\nabcTRAILING';
const msg = () => parseMessage(Buffer.from(TEXT, 'latin1'));

test('no edits: the wire bytes exactly (trailing datagram octets excluded)', () => {
  const m = msg();
  assert.equal(applyEdits(m).toString('latin1'), TEXT.slice(0, TEXT.indexOf('TRAILING')));
  assert.equal(applyEdits(m, new EditList(), []).toString('latin1'), TEXT.slice(0, TEXT.indexOf('TRAILING')));
});

test('inserts at one offset keep their order across lists; replace and remove splice', () => {
  const m = msg();
  const via = m.first('via')!;
  const a = new EditList();
  a.insert(via.lineStart, 'Via: first\r\n');
  a.replace(m.ruriStart, m.ruriEnd, 'sip:z@y');
  const out = applyEdits(m, a, [{ start: via.lineStart, end: via.lineStart, text: 'Via: second\r\n' }]).toString(
    'latin1',
  );
  assert.ok(out.startsWith('OPTIONS sip:z@y SIP/2.0\r\nVia: first\r\nVia: second\r\nVia: SIP/2.0/UDP h;'), out);
  assert.ok(out.endsWith('\r\n\r\nabc'));
});

test('a removed line wins over edits inside it, whichever list came first', () => {
  const m = msg();
  const h = m.first('x-del')!;
  const inner = { start: h.valueStart, end: h.valueEnd, text: 'changed' };
  const sameStart = { start: h.lineStart, end: h.valueStart, text: 'Y-Name: ' };
  const remove = { start: h.lineStart, end: h.lineEnd, text: '' };
  for (const order of [
    [inner, remove],
    [remove, inner],
    [sameStart, remove],
    [remove, sameStart],
  ]) {
    const out = applyEdits(m, order).toString('latin1');
    assert.ok(!out.includes('X-Del') && !out.includes('changed') && !out.includes('Y-Name'), out);
    assert.ok(out.includes('Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 3\r\n'));
  }
  // an insert at the start of a removed line survives (e.g. a header added before it)
  const out = applyEdits(m, [remove, { start: h.lineStart, end: h.lineStart, text: 'New: 1\r\n' }]).toString('latin1');
  assert.ok(out.includes('branch=z9hG4bK1\r\nNew: 1\r\nContent-Length'), out);
});

test('touches() and clone()', () => {
  const l = new EditList();
  l.remove(10, 20);
  l.insert(30, 'x');
  assert.equal(l.touches(15, 16), true);
  assert.equal(l.touches(20, 25), false);
  assert.equal(l.touches(29, 31), false, 'inserts do not consume bytes');
  const c = l.clone();
  c.insert(0, 'y');
  assert.equal(l.edits.length, 2);
  assert.equal(c.edits.length, 3);
});

test('binary bodies survive edits byte for byte', () => {
  const body = Buffer.from([0, 0xff, 13, 10, 0x80]);
  const m = parseMessage(
    Buffer.concat([
      Buffer.from(
        `MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: ${body.length}\r\n\r\n`,
      ),
      body,
    ]),
  );
  const out = applyEdits(m, [
    { start: m.startLineEnd, end: m.startLineEnd, text: 'Via: SIP/2.0/UDP p;branch=z9hG4bK2\r\n' },
  ]);
  assert.ok(out.subarray(out.length - body.length).equals(body));
});

/** The rule applyEdits implements, spelled out plainly over the whole text (a stable sort, then one pass). */
function reference(text: string, edits: Array<{ start: number; end: number; text: string }>): string {
  const sorted = edits
    .map((e, i) => ({ e, i }))
    .sort(
      (a, b) =>
        a.e.start - b.e.start ||
        Number(a.e.end > a.e.start) - Number(b.e.end > b.e.start) ||
        b.e.end - a.e.end ||
        a.i - b.i,
    );
  let out = '';
  let pos = 0;
  for (const { e } of sorted) {
    if (e.start < pos) continue;
    out += text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + text.slice(pos);
}

test('any mix of inserts, replaces and removals, in the headers, at their end or in the body, as the plain rule says', () => {
  const m = msg();
  const wire = TEXT.slice(0, TEXT.indexOf('TRAILING'));
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const at = [0, m.startLineEnd, m.first('via')!.lineStart, m.first('x-del')!.lineStart, m.headersEnd, m.bodyStart];
  for (let round = 0; round < 500; round++) {
    const edits: Array<{ start: number; end: number; text: string }> = [];
    const n = 1 + rnd(6);
    for (let k = 0; k < n; k++) {
      const start = rnd(3) === 0 ? at[rnd(at.length)]! : rnd(wire.length + 1);
      const end = rnd(2) === 0 ? start : Math.min(wire.length, start + 1 + rnd(12));
      edits.push({ start, end, text: rnd(3) === 0 ? '' : `<${round}.${k}>` });
    }
    const split = rnd(n + 1);
    const got = applyEdits(m, edits.slice(0, split), edits.slice(split)).toString('latin1');
    assert.equal(got, reference(wire, edits), JSON.stringify(edits));
  }
});
