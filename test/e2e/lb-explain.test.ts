/**
 * dispatcher.explain over the real daemon and dsctl: for every algorithm 0–13 the
 * explained pick is the destination the next real request with the same headers reaches
 * (three recording UDP backends behind test/fixtures/cfg/ds-select.cfg), explaining twice
 * gives the same answer (no round-robin cursor, weight index or random draw is consumed),
 * and skipped destinations say why; `--pv` feeds hash_pvar. Also dispatcher.reload --dry-run: the diff of a list
 * with one added, one removed, one changed and one broken line, the exit status, and a
 * running set that did not change.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startDsd, Dsd, DSD_BIN } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { FIXTURES } from '../helpers/sipp';
import { UdpPeer, callIdOf, statusOf } from '../helpers/sip-peer';
import { Backends, dsctl, dsctlJson, dsctlOk, until } from '../helpers/backends';
import { dsctlOnAsync } from '../helpers/ctl';

interface Explained {
  ok: boolean;
  selected: string | null;
  order: string[];
  branches: string[];
  hash: { input: string; value: number; slot: number } | null;
  cursor: { last: number; wlast: number; rwlast: number };
  destinations: Array<{ uri: string; skipped: string[] }>;
}

describe('dispatcher.explain and reload --dry-run', () => {
  let dsd: Dsd;
  let bk: Backends;
  let ua: UdpPeer;
  let px: number;
  let listText: string;

  before(async () => {
    const [p, b0, b1, b2, u] = await freePorts(5);
    px = p;
    bk = await Backends.open([b0, b1, b2]);
    ua = await UdpPeer.open({ host: '127.0.0.1', port: u });
    const cfg = fs
      .readFileSync(path.join(FIXTURES, 'cfg', 'ds-select.cfg'), 'utf8')
      .replaceAll('{PX}', String(px))
      .replace(/"unix:\{DIR\}\/[a-z_]+"/, '"unix:{DIR}/dsd_ctl"');
    listText = [
      `1 ${bk.uri(0)} 0 0 duid=a;weight=50;rweight=50;maxload=5`,
      `1 ${bk.uri(1)} 0 0 duid=b;weight=30;rweight=30;maxload=5`,
      `1 ${bk.uri(2)} 0 0 duid=c;weight=20;rweight=20;maxload=5`,
      '',
    ].join('\n');
    dsd = await startDsd({ cfg, list: listText });
  });

  after(async () => {
    await dsd?.stop();
    await bk?.close();
    await ua?.close();
  });

  let seq = 0;
  /** Sends one request through dsd; resolves with the backends that got it (first arrival first). */
  async function send(
    alg: number,
    method: string,
    h: { user: string; from: string; to: string; callId: string },
  ): Promise<string[]> {
    const n = ++seq;
    const mark = bk.log.length;
    const text =
      `${method} sip:${h.user}@127.0.0.1:${px} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${ua.port};branch=z9hG4bKx${n}x${Date.now()}\r\n` +
      `From: <${h.from}>;tag=t${n}\r\nTo: <${h.to}>\r\nCall-ID: ${h.callId}\r\nCSeq: 1 ${method}\r\nMax-Forwards: 70\r\n` +
      (method === 'INVITE' ? `Contact: <sip:ua@127.0.0.1:${ua.port}>\r\n` : '') +
      `X-Set: 1\r\nX-Alg: ${alg}\r\nContent-Length: 0\r\n\r\n`;
    const from = ua.received.length;
    await ua.send(text, px);
    await ua.waitFor((m) => callIdOf(m.text) === h.callId && statusOf(m.text) >= 200, 10_000, from);
    if (alg === 12)
      await until('parallel branches', () => bk.log.slice(mark).filter((x) => x.callId === h.callId).length >= 3, 5000);
    const hits: string[] = [];
    for (const x of bk.log.slice(mark))
      if (x.callId === h.callId && !hits.includes(bk.uri(x.b))) hits.push(bk.uri(x.b));
    return hits;
  }

  for (let alg = 0; alg <= 13; alg++) {
    it(`algorithm ${alg}: the explained pick is the real pick, and explaining moves nothing`, async () => {
      const method = alg === 10 ? 'INVITE' : 'MESSAGE';
      // three rounds: a moved cursor or a new hash input each time, without spending minutes on dsctl
      for (let round = 0; round < 3; round++) {
        const h = {
          user: `u${alg}r${round}`,
          from: `sip:alice${round}x${alg}@example.com`,
          to: `sip:bob${round}@example.net`,
          callId: `explain-${alg}-${round}-${Date.now()}@ua`,
        };
        const args = [
          'dispatcher.explain',
          '1',
          String(alg),
          '--ruri',
          `sip:${h.user}@127.0.0.1:${px}`,
          '--from',
          h.from,
          '--to',
          h.to,
          '--callid',
          h.callId,
          '--method',
          method,
        ];
        // both at once: the daemon answers one after the other, and neither may move a cursor
        const [first, second] = (
          await Promise.all([dsctlOnAsync(dsd, '--json', ...args), dsctlOnAsync(dsd, '--json', ...args)])
        ).map((r) => {
          assert.equal(r.code, 0, `dsctl ${args.join(' ')}: ${r.err}${r.out}`);
          return JSON.parse(r.out) as Explained;
        });
        assert.ok(first && second, 'two answers');
        assert.equal(first.ok, true, JSON.stringify(first));
        assert.deepEqual(second, first, 'explaining again gives the same answer (cursors unmoved)');
        if ([0, 1, 2, 3, 7].includes(alg)) {
          assert.ok(
            first.hash !== null && first.hash.value > 0,
            `alg ${alg} shows its hash: ${JSON.stringify(first.hash)}`,
          );
        }
        const hits = await send(alg, method, h);
        if (alg === 12) {
          assert.deepEqual(
            new Set(hits),
            new Set([first.selected!, ...first.branches]),
            `alg 12 branches: ${JSON.stringify(first)}`,
          );
        } else {
          assert.equal(
            hits[0],
            first.selected,
            `alg ${alg} round ${round}: explained ${first.selected}, got ${hits.join(',')}`,
          );
        }
      }
    });
  }

  it('a skipped destination says why; the text report names the pick', () => {
    dsctlOk(dsd.dir, 'dispatcher.set_state', 'ip', '1', bk.uri(0));
    dsctlOk(dsd.dir, 'dispatcher.drain', '1', bk.uri(1));
    try {
      const e = dsctlJson<Explained>(dsd.dir, 'dispatcher.explain', '1', '4');
      const why = Object.fromEntries(e.destinations.map((d) => [d.uri, d.skipped]));
      assert.deepEqual(why[bk.uri(0)], ['inactive', 'probing']);
      assert.deepEqual(why[bk.uri(1)], ['draining']);
      assert.deepEqual(why[bk.uri(2)], []);
      assert.equal(e.selected, bk.uri(2));
      const text = dsctlOk(dsd.dir, 'dispatcher.explain', '1', '0', '--callid', 'abc');
      assert.match(text, /^set 1, algorithm 0 \(hash over Call-ID\)$/m);
      assert.match(text, /^hash input: "abc" {2}value: \d+ {2}slot: \d$/m);
      assert.match(text, new RegExp(`^selected: ${bk.uri(2)}$`, 'm'));
      assert.match(text, /skipped: draining/);
    } finally {
      dsctlOk(dsd.dir, 'dispatcher.undrain', '1', bk.uri(1));
      dsctlOk(dsd.dir, 'dispatcher.set_state', 'a', '1', bk.uri(0));
    }
  });

  it('--pv NAME=VALUE feeds hash_pvar ($fU here): the same hash as that From, and the real pick', async () => {
    for (const user of ['carol', 'dave', 'erin', 'frank']) {
      const byPv = dsctlJson<Explained>(dsd.dir, 'dispatcher.explain', '1', '7', '--pv', `$fU=${user}`);
      const byFrom = dsctlJson<Explained>(dsd.dir, 'dispatcher.explain', '1', '7', '--from', `sip:${user}@example.com`);
      assert.equal(byPv.hash?.input, user, JSON.stringify(byPv.hash));
      assert.deepEqual(byPv.hash, byFrom.hash);
      assert.equal(byPv.selected, byFrom.selected);
      const hits = await send(7, 'MESSAGE', {
        user: 'pv',
        from: `sip:${user}@example.com`,
        to: 'sip:bob@example.net',
        callId: `explain-pv-${user}-${Date.now()}@ua`,
      });
      assert.equal(hits[0], byPv.selected, `${user}: explained ${byPv.selected}, got ${hits.join(',')}`);
    }
  });

  it('reload --dry-run prints the diff and the broken line, exits 1, and changes nothing', () => {
    const listFile = path.join(dsd.dir, 'dispatcher.list');
    const before = dsctlOk(dsd.dir, 'dispatcher.list');
    const extra = 'sip:127.0.0.1:9';
    fs.writeFileSync(
      listFile,
      [
        `1 ${bk.uri(0)} 0 7 duid=a;weight=50;rweight=50;maxload=5`, // changed: priority 0 -> 7
        `1 ${bk.uri(1)} 0 0 duid=b;weight=30;rweight=30;maxload=5`, // unchanged
        `1 ${extra} 0 0 duid=x`, // added
        '2', // broken: a set id without a URI
        '', // bk 2 removed
      ].join('\n'),
    );
    try {
      const r = dsctl(dsd.dir, 'dispatcher.reload', '--dry-run');
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.out, new RegExp(`^\\+ 1 ${extra} 0 0 duid=x  \\(${listFile}:3\\)$`, 'm'));
      assert.match(r.out, new RegExp(`^- 1 ${bk.uri(2)} 0 duid=c;weight=20;rweight=20;maxload=5$`, 'm'));
      assert.match(r.out, new RegExp(`^~ 1 ${bk.uri(0)}: priority 0 -> 7  \\(${listFile}:1\\)$`, 'm'));
      assert.match(r.out, /^1 added, 1 removed, 1 changed, 1 unchanged/m);
      assert.match(r.out, new RegExp(`^error: ${listFile}:4:2: set id without a destination URI$`, 'm'));
      assert.match(r.out, /REFUSED/);
      assert.equal(dsctlOk(dsd.dir, 'dispatcher.list'), before, 'the running set did not change');
      // the real reload agrees: refused, running set kept
      const real = dsctl(dsd.dir, 'dispatcher.reload');
      assert.equal(real.code, 1);
      assert.equal(dsctlOk(dsd.dir, 'dispatcher.list'), before);
      // without the broken line the dry run says yes (rc 0) and still changes nothing
      fs.writeFileSync(listFile, fs.readFileSync(listFile, 'utf8').replace('\n2\n', '\n'));
      const ok = dsctl(dsd.dir, 'dispatcher.reload', '--dry-run');
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, /would be accepted/);
      const j = dsctlJson<{ ok: boolean; added: unknown[] }>(dsd.dir, 'dispatcher.reload', '--dry-run');
      assert.equal(j.ok, true);
      assert.equal(j.added.length, 1);
      assert.equal(dsctlOk(dsd.dir, 'dispatcher.list'), before);
    } finally {
      fs.writeFileSync(listFile, listText);
    }
  });

  it('dsd -c prints the same diff against the running daemon, with the same verdict', () => {
    const listFile = path.join(dsd.dir, 'dispatcher.list');
    const before = dsctlOk(dsd.dir, 'dispatcher.list');
    const check = (): { code: number | null; out: string } => {
      const r = spawnSync(process.execPath, [DSD_BIN, '-c', '-f', dsd.cfgFile], { encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, out: r.stdout + r.stderr };
    };
    try {
      fs.writeFileSync(listFile, `1 ${bk.uri(0)} 0 7 duid=a;weight=50;rweight=50;maxload=5\n1 sip:127.0.0.1:9\n2\n`);
      const bad = check();
      assert.equal(bad.code, 1, bad.out);
      assert.match(bad.out, /compared with the daemon on /);
      assert.match(bad.out, new RegExp(`^\\+ 1 sip:127.0.0.1:9 0 0  \\(${listFile}:2\\)$`, 'm'));
      assert.match(bad.out, new RegExp(`^- 1 ${bk.uri(1)} 0 `, 'm'));
      assert.match(bad.out, new RegExp(`^~ 1 ${bk.uri(0)}: priority 0 -> 7`, 'm'));
      assert.match(bad.out, new RegExp(`^error: ${listFile}:3:2: set id without a destination URI$`, 'm'));
      fs.writeFileSync(listFile, listText);
      const good = check();
      assert.equal(good.code, 0, good.out);
      assert.match(good.out, /^0 added, 0 removed, 0 changed, 3 unchanged/m);
      assert.equal(dsctlOk(dsd.dir, 'dispatcher.list'), before, 'the running set did not change');
    } finally {
      fs.writeFileSync(listFile, listText);
    }
  });
});
