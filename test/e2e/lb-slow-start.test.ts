// dsd-test: alone — sipp at 150 cps measuring the ramp (scripts/run-tests.js)
/**
 * Slow start over real sockets: two recording backends behind test/fixtures/cfg/ds-select.cfg
 * (the algorithm comes from the X-Alg header), ds_slow_start 8.
 *
 * - Algorithms 4, 8, 9 and 11: one backend goes down and comes back (set_state i, then a);
 *   sipp then sends 1500 MESSAGEs at 150/s, for longer than the window, and the backends count what
 *   they get. The returning backend's share starts low, is larger in the second half of the
 *   window than in the first, and is its full share after the window (half for round
 *   robin, weight and relative weight; all of it for serial, where it is the first choice).
 * - Algorithm 10: its maxload ramps instead. A burst of held calls right after the return:
 *   the returning backend never holds more calls than its ramped maxload allows at that
 *   moment (computed from a start taken before the RPC, so an upper bound); once the
 *   window is over the next burst fills it up to the other's load.
 *
 * Shares are compared with generous margins and the ramp bound only ever errs on the
 * generous side: nothing depends on how fast the machine is.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, tmpDir, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { FIXTURES, haveSipp, runUac, startSipp, SippProc, num } from '../helpers/sipp';
import { Backends, dsctlJson, dsctlOk, until } from '../helpers/backends';
import { holdingUac, messageUac } from '../helpers/lb-sipp';
import { at } from '../helpers/at';

// 8 s at 150 requests/s puts hundreds of requests in every period the shares are read over,
// and leaves the ramp visible however long dsctl takes to start on a starved machine
const WINDOW_S = 8;
const REQUESTS = 1500;
const MAXLOAD = 25;

describe('slow start', { skip: !haveSipp() && 'sipp not installed' }, () => {
  let ports: number[];
  let bk: Backends;
  let work: string;
  let dsd: Dsd;

  before(async () => {
    ports = await freePorts(7);
    work = tmpDir('dsd-slow-');
    bk = await Backends.open([at(ports, 1), at(ports, 2)]);
    const cfg = fs
      .readFileSync(path.join(FIXTURES, 'cfg', 'ds-select.cfg'), 'utf8')
      .replaceAll('{PX}', String(ports[0]))
      .replace(/"unix:\{DIR\}\/[a-z_]+"/, '"unix:{DIR}/dsd_ctl"')
      // a backend starved of CPU must not look dead to a load test
      .replace('modparam("tm", "fr_timer", 600)', 'modparam("tm", "fr_timer", 15000)')
      .replace(
        'modparam("dispatcher", "list_file"',
        `modparam("dispatcher", "ds_slow_start", ${WINDOW_S})\nmodparam("dispatcher", "list_file"`,
      );
    const attrs = (duid: string) => `duid=${duid};weight=50;rweight=50;maxload=${MAXLOAD}`;
    dsd = await startDsd({ cfg, list: `1 ${bk.uri(0)} 0 0 ${attrs('a')}\n1 ${bk.uri(1)} 0 0 ${attrs('b')}\n` });
  });

  after(async () => {
    await dsd?.stop();
    await bk?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const ctl = (...a: string[]): string => dsctlOk(dsd.dir, ...a);

  /** set_state i then a on `uri`; returns a time taken before the ramp began. */
  function bounce(uri: string): number {
    ctl('dispatcher.set_state', 'i', '1', uri);
    const t0 = Date.now();
    ctl('dispatcher.set_state', 'a', '1', uri);
    // the ramp is under way: 10 % at the start, never more than the time since t0 allows
    // (bounded from the clock, not assumed small: dsctl can take seconds on a starved machine)
    const pct = Number(/SLOWSTART: (\d+)/.exec(ctl('dispatcher.list'))?.[1] ?? NaN);
    const most = 10 + (90 * (Date.now() - t0)) / (WINDOW_S * 1000);
    assert.ok(pct >= 10 && pct <= Math.ceil(most) + 1, `SLOWSTART ${pct} %, at most ${most.toFixed(1)} % so far`);
    return t0;
  }

  // full share of the returning backend once the ramp is over
  const cases: Array<[number, string, number]> = [
    [4, 'round robin', 0.5],
    [8, 'serial', 1],
    [9, 'weight', 0.5],
    [11, 'relative weight', 0.5],
  ];
  for (const [alg, name, full] of cases) {
    it(`algorithm ${alg} (${name}): the returning backend ramps up over the window, ${REQUESTS} requests`, async () => {
      // serial: the backend it picks first is the one that comes back
      const back =
        alg === 8 ? dsctlJson<{ selected: string }>(dsd.dir, 'dispatcher.explain', '1', '8').selected : bk.uri(1);
      const b = bk.uri(0) === back ? 0 : 1;
      const t0 = bounce(back);
      const mark = bk.log.length;
      const r = await runUac({
        scenario: messageUac(work, ['X-Set: 1', `X-Alg: ${alg}`]),
        port: at(ports, 3),
        controlPort: at(ports, 4),
        remote: `127.0.0.1:${ports[0]}`,
        calls: REQUESTS,
        rate: 150,
        extra: ['-recv_timeout', '15000'],
        timeoutMs: 180_000,
      });
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), REQUESTS, r.output.slice(-1500));
      const w = WINDOW_S * 1000;
      // [first 10 %, first half, second half, after] × [returning, other]
      const buckets: Array<[number, number]> = [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ];
      for (const x of bk.log.slice(mark)) {
        if (x.method !== 'MESSAGE') continue;
        const t = x.m.at - t0;
        const i = x.b === b ? 0 : 1;
        if (t < w * 0.1) at(buckets, 0)[i]++;
        if (t < w / 2) at(buckets, 1)[i]++;
        else if (t < w) at(buckets, 2)[i]++;
        else at(buckets, 3)[i]++;
      }
      const share = ([mine, other]: [number, number]): number => mine / (mine + other);
      const msg = `alg ${alg}: ${JSON.stringify(buckets)}`;
      for (const x of buckets.slice(1)) assert.ok(x[0] + x[1] >= 50, `enough requests in every period: ${msg}`);
      const early = at(buckets, 0);
      if (early[0] + early[1] >= 30) assert.ok(share(early) < full * 0.5, `starts low: ${msg}`);
      assert.ok(share(at(buckets, 1)) < full * 0.8, `first half well below its share: ${msg}`);
      assert.ok(
        share(at(buckets, 2)) > share(at(buckets, 1)) + full * 0.1,
        `second half higher than the first: ${msg}`,
      );
      assert.ok(Math.abs(share(at(buckets, 3)) - full) < 0.1, `its full share after the window: ${msg}`);
    });
  }

  it('algorithm 10 (call load): maxload ramps; held calls never exceed it, and fill up after the window', async () => {
    const t0 = bounce(bk.uri(1));
    const cap = (atMs: number): number => {
      const f = Math.min(1, 0.1 + (0.9 * Math.max(0, atMs - t0)) / (WINDOW_S * 1000));
      return f >= 1 ? MAXLOAD : Math.max(1, Math.floor(MAXLOAD * f));
    };
    // the calls stay up until the test stops sipp, so every call counts as load throughout
    const scenario = holdingUac(work, 600_000, ['X-Set: 1', 'X-Alg: 10']);
    const bursts: SippProc[] = [];
    const burst = (k: number, n: number): void => {
      bursts.push(
        startSipp({
          scenario,
          port: at(ports, 3 + 2 * k),
          controlPort: at(ports, 4 + 2 * k),
          remote: `127.0.0.1:${ports[0]}`,
          calls: n,
          rate: 50,
        }),
      );
    };
    const invitesAt = (from: number) => bk.log.slice(from).filter((x) => x.method === 'INVITE');
    const m1 = bk.log.length;
    try {
      burst(0, 20);
      await until('20 held calls answered', () => invitesAt(m1).length >= 20, 60_000);
      const got1 = invitesAt(m1);
      let onB1 = 0;
      for (const x of got1) {
        if (x.b !== 1) continue;
        onB1++;
        assert.ok(
          onB1 <= cap(x.m.at),
          `call ${onB1} on the returning backend at +${x.m.at - t0} ms: cap ${cap(x.m.at)}`,
        );
      }
      const onB0 = got1.length - onB1;
      assert.ok(onB1 < onB0, `the returning backend took fewer calls: ${onB1} vs ${onB0}`);
      // the window is over when dispatcher.list stops showing the ramp
      await until('ramp over', () => !/SLOWSTART/.test(ctl('dispatcher.list')), 60_000, 250);
      const m2 = bk.log.length;
      burst(1, 20);
      await until('20 more held calls answered', () => invitesAt(m2).length >= 20, 60_000);
      const got2 = invitesAt(m2);
      const b1Now = got2.filter((x) => x.b === 1).length;
      assert.ok(b1Now > got2.length - b1Now, `after the window it catches up: ${b1Now} of ${got2.length}`);
      assert.ok(onB1 + b1Now >= 15, `and ends near the other's load: ${onB1 + b1Now} of 40`);
    } finally {
      await Promise.all(bursts.map((p) => p.stop()));
    }
  });
});
