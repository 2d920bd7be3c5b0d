import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatcherListTable, fitColumns, renderTable, tableFor } from '../../../src/cli/render/table';
import { topTable } from '../../../src/cli/top';
import type { DispatcherListResult } from '../../../src/rpc-api/results';
import { goldenJson } from './golden';

const list = (): DispatcherListResult => goldenJson()['dispatcher.list']![0]!.response.result as DispatcherListResult;

test('dispatcher.list table: one row per destination, in output order', () => {
  const t = dispatcherListTable(list());
  assert.deepEqual(t.head, ['SET', 'URI', 'FLAGS', 'PRIO', 'WEIGHT', 'DUID', 'LATENCY']);
  assert.deepEqual(
    t.rows.map((r) => [r[0], r[1], r[2]]),
    [
      ['1', 'sip:127.0.0.1:5081', 'AP'],
      ['1', 'sip:127.0.0.1:5080', 'AP'],
      ['3', 'sip:127.0.0.1:5081', 'AP'],
      ['2', 'sip:127.0.0.1:5080;transport=udp', 'AP'],
      ['2', 'sip:127.0.0.1:5099', 'IP'],
    ],
  );
  assert.deepEqual(t.rows[0]!.slice(3), ['0', '50', '', '0 ms']);
  assert.equal(t.rows[3]![5], 'gw1');
});

test('the rendered table holds every URI and no colour codes', () => {
  const text = renderTable(dispatcherListTable(list()));
  for (const uri of ['sip:127.0.0.1:5081', 'sip:127.0.0.1:5080;transport=udp', 'sip:127.0.0.1:5099'])
    assert.ok(text.includes(uri), uri);
  assert.ok(!text.includes('\u001b['), 'no ANSI escapes');
  assert.equal(text.trimEnd().split('\n').length, 3 + 5 + 1, 'top border, head, separator, 5 rows, bottom');
});

test('width-aware: a narrow terminal wraps the URI column instead of overflowing', () => {
  const wide = renderTable(dispatcherListTable(list()));
  const widest = Math.max(
    ...wide
      .trimEnd()
      .split('\n')
      .map((l) => [...l].length),
  );
  assert.ok(widest > 70);
  const narrow = renderTable(dispatcherListTable(list()), { maxWidth: 70 });
  for (const l of narrow.trimEnd().split('\n')) assert.ok([...l].length <= 70, `too wide: ${l}`);
  assert.equal(fitColumns(dispatcherListTable(list()), 500), undefined, 'no fitting needed when it fits');
});

test('tables for other shapes: core.ps pairs, struct, list of objects, strings', () => {
  assert.deepEqual(tableFor('pairs', [10, 'main', 11, 'timer'])!.rows, [
    ['10', 'main'],
    ['11', 'timer'],
  ]);
  assert.deepEqual(tableFor('struct', { hashid: 3883463682, slot: 2 })!.rows, [
    ['hashid', '3883463682'],
    ['slot', '2'],
  ]);
  const oc = tableFor('oclist', [{ group: 1, uri: 'sip:a', ocrate: 0 }])!;
  assert.deepEqual(oc.head, ['GROUP', 'URI', 'OCRATE']);
  assert.equal(tableFor('string', 'Ok.'), undefined);
});

test('top table: state words, and rates from two counter samples', () => {
  const counters = (calls: number, at: number) => ({
    at,
    counters: new Map([
      [`2\u0000sip:127.0.0.1:5099`, { SET: 2, URI: 'sip:127.0.0.1:5099', CALLS: calls, FAILOVERS: 1 }],
    ]),
  });
  const t = topTable(list(), { prev: counters(10, 1000), cur: counters(30, 3000) });
  const row = t.rows.find((r) => r[1] === 'sip:127.0.0.1:5099')!;
  assert.equal(row[2], 'inactive, probing');
  assert.equal(row[8], '10.0');
  assert.equal(row[9], '0.0');
  assert.equal(t.rows.find((r) => r[1] === 'sip:127.0.0.1:5081')![8], '-');
  assert.equal(topTable(list()).head.length, 8, 'no rate columns without dispatcher.stats');
});
