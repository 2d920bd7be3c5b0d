/**
 * Slow start over real sockets: two recording backends behind the shipped dsd.cfg (round
 * robin), ds_slow_start 10. One backend goes down and comes back (set_state i, then a);
 * sipp then sends MESSAGEs for longer than the window and the backends count what they
 * get. The returning backend's share starts near 10 % of its due, is larger in the second
 * half of the window than in the first, and is back to an even split after the window.
 * Shares are compared with generous margins, never timings.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDsd, basicCfg, tmpDir, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { haveSipp, runUac, num } from '../helpers/sipp';
import { Backends, dsctlOk } from '../helpers/backends';
import { messageUac } from '../helpers/lb-sipp';

const WINDOW_S = 10;

describe('slow start', { skip: !haveSipp() && 'sipp not installed' }, () => {
  let ports: number[];
  let bk: Backends;
  let work: string;
  let dsd: Dsd;

  before(async () => {
    ports = await freePorts(5);
    work = tmpDir('dsd-slow-');
    bk = await Backends.open([ports[1], ports[2]]);
    dsd = await startDsd({
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${ports[0]}`],
        params: [`modparam("dispatcher", "ds_slow_start", ${WINDOW_S})`],
      }),
      list: `1 ${bk.uri(0)}\n1 ${bk.uri(1)}\n`,
    });
  });

  after(async () => {
    await dsd?.stop();
    await bk?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('the returning backend ramps up over the window', async () => {
    dsctlOk(dsd.dir, 'dispatcher.set_state', 'i', '1', bk.uri(1));
    dsctlOk(dsd.dir, 'dispatcher.set_state', 'a', '1', bk.uri(1));
    const t0 = Date.now();
    const mark = bk.log.length;
    assert.match(dsctlOk(dsd.dir, 'dispatcher.list'), /SLOWSTART: 1\d/);
    const r = await runUac({
      scenario: messageUac(work),
      port: ports[3],
      controlPort: ports[4],
      remote: `127.0.0.1:${ports[0]}`,
      calls: 1500,
      rate: 100,
      extra: ['-recv_timeout', '10000'],
      timeoutMs: 120_000,
    });
    assert.equal(num(r.stats, 'SuccessfulCall(C)'), 1500, r.output.slice(-1500));
    const w = WINDOW_S * 1000;
    const buckets = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ]; // [first 10 %, first half, second half, after] × [b0, b1]
    for (const x of bk.log.slice(mark)) {
      if (x.method !== 'MESSAGE') continue;
      const t = x.m.at - t0;
      if (t < w * 0.1) buckets[0][x.b]++;
      if (t < w / 2) buckets[1][x.b]++;
      else if (t < w) buckets[2][x.b]++;
      else buckets[3][x.b]++;
    }
    const share = ([a, b]: number[]): number => b / (a + b);
    const msg = JSON.stringify(buckets);
    for (const b of buckets.slice(1)) assert.ok(b[0] + b[1] >= 50, `enough requests in every period: ${msg}`);
    // round robin holding a backend back with probability 1 − f gives it f / (1 + f): 9 % at f = 0.1
    if (buckets[0][0] + buckets[0][1] >= 30) assert.ok(share(buckets[0]) < 0.25, `starts low: ${msg}`);
    assert.ok(share(buckets[1]) < 0.4, `first half well below an even split: ${msg}`);
    assert.ok(share(buckets[2]) > share(buckets[1]) + 0.05, `second half higher than the first: ${msg}`);
    assert.ok(share(buckets[3]) > 0.4 && share(buckets[3]) < 0.6, `even split after the window: ${msg}`);
  });
});
