/**
 * How a list file becomes the destination sets (src/modules/dispatcher/list-build.ts and
 * friends), dsd against Kamailio 5.6 on the same list: the whole `dispatcher.list` of
 * kamcmd and of dsctl must be the same text — set order, destination order within a
 * set (file order reversed, priorities sorted), flags, priorities, every attribute
 * (duid, maxload, weight, rweight, socket, ping_from, obproxy, the raw BODY) — and
 * so must `dispatcher.hash`, a reload's answer, and reload_delta's refusal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { freePorts } from '../helpers/ports';
import { observeEach, oracleCfg, same } from '../helpers/oracle';
import { type CtlResult } from '../helpers/ctl';
import { waitUntil } from '../helpers/wait';

const ROUTE = 'request_route {\n  sl_send_reply("404", "Not Here");\n}';

function lists(px: number): Record<string, string> {
  return {
    'priorities and attributes': [
      '# setid destination flags priority attrs',
      '1 sip:127.0.0.1:5080 0 0',
      '1 sip:127.0.0.1:5081 0 10 duid=a;weight=25',
      '',
      '1 sip:127.0.0.1:5082;transport=tcp 0 5 duid=b;maxload=30;rweight=50;weight=40',
      '2 sip:127.0.0.1:5083 0 0 socket=udp:127.0.0.1:' + px,
      '2 sip:127.0.0.1:5084 0 0 ping_from=sip:probe@127.0.0.1;obproxy=sip:127.0.0.1:5099',
      '2 sip:127.0.0.1:5085 0 3 duid=c;some=thing;weight=7 free text after the attrs',
      '7 sip:[::1]:5086 0 0',
      '4 sip:127.0.0.1:5087 0 1',
      '4 sip:127.0.0.1:5088 0 1',
      '4 sip:127.0.0.1:5089 0 2',
      '',
    ].join('\n'),
    flags: [
      '1 sip:127.0.0.1:5080 0 0',
      '1 sip:127.0.0.1:5081 1 0',
      '1 sip:127.0.0.1:5082 2 0',
      '1 sip:127.0.0.1:5083 4 0',
      '1 sip:127.0.0.1:5084 8 0',
      '1 sip:127.0.0.1:5085 9 0',
      '1 sip:127.0.0.1:5086 12 0',
      '',
    ].join('\n'),
    'many sets in no order':
      Array.from(
        { length: 12 },
        (_, i) => `${[5, 3, 9, 1, 12, 7, 2, 11, 4, 8, 6, 10][i]} sip:127.0.0.1:${5100 + i} 0 0`,
      ).join('\n') + '\n',
  };
}

for (const name of ['priorities and attributes', 'flags', 'many sets in no order']) {
  test(`dispatcher.list of a list (${name}) is Kamailio's, text for text`, { timeout: 120_000 }, async () => {
    const [px] = await freePorts(1);
    const list = lists(px!)[name]!;
    const obs = await observeEach({ cfg: oracleCfg(px!, ROUTE), list }, async (p) => {
      const r = p.ctl('dispatcher.list');
      assert.equal(r.code, 0, r.err);
      const h = p.ctl('dispatcher.hash', '4', 'bob', 'server.com');
      return { list: r.out, hash: h.out };
    });
    const d = obs.get('dsd')!;
    const k = obs.get('kamailio');
    if (k) {
      assert.equal(d.list, k.list);
      assert.equal(d.hash, k.hash);
    }
    assert.match(d.list, /NRSETS: \d+/);
  });
}

test('a reload of a changed list answers and lists as Kamailio does', { timeout: 120_000 }, async () => {
  const [px] = await freePorts(1);
  const before = '1 sip:127.0.0.1:5080 0 0\n1 sip:127.0.0.1:5081 0 0\n';
  const after = '1 sip:127.0.0.1:5081 0 0 duid=x\n2 sip:127.0.0.1:5082 0 4\n';
  const obs = await observeEach(
    { cfg: oracleCfg(px!, ROUTE, ['modparam("dispatcher", "reload_delta", 0)']), list: before },
    async (p) => {
      fs.writeFileSync(path.join(p.dir, 'dispatcher.list'), after);
      const r = p.ctl('dispatcher.reload');
      return { code: r.code, out: r.out, list: p.ctl('dispatcher.list').out };
    },
  );
  const d = obs.get('dsd')!;
  const k = obs.get('kamailio');
  if (k) assert.deepEqual(d, k);
  assert.match(d.list, /duid=x/);
});

test(
  'reload_delta 5 (the default): a reload or an add within 5 s is refused with "500 - Ongoing reload"; later accepted',
  { timeout: 120_000 },
  async () => {
    const [px] = await freePorts(1);
    const list = '1 sip:127.0.0.1:5080 0 0\n';
    // the fault's first line: dsd adds when to retry (a documented extension) after it
    const fault = (r: CtlResult): string => /error: \d+ - [A-Za-z ]+/.exec(`${r.out}${r.err}`)?.[0]?.trim() ?? '';
    const d = same(
      await observeEach({ cfg: oracleCfg(px!, ROUTE), list }, async (p) => {
        const first = p.ctl('dispatcher.reload');
        const second = p.ctl('dispatcher.reload');
        const add = p.ctl('dispatcher.add', '1', 'sip:127.0.0.1:5099');
        // the guard is in whole seconds of time(NULL): poll until it lets a reload through.
        // (kamcmd exits 0 on a fault, dsctl 1: the answer's text is compared, not the code)
        const later = await waitUntil(
          async () => {
            const r = await p.ctlAsync('dispatcher.reload');
            return fault(r) === '' ? r.out : null;
          },
          { timeoutMs: 30_000, everyMs: 500, what: 'a reload accepted after reload_delta' },
        );
        return { first: first.out, second: fault(second), add: fault(add), later };
      }),
    );
    assert.equal(d.first, 'Ok. Dispatcher successfully reloaded.\n');
    assert.equal(d.second, 'error: 500 - Ongoing reload');
    assert.equal(d.add, 'error: 500 - Ongoing reload');
    assert.equal(d.later, d.first);
  },
);
