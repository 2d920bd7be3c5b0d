// dsd-test: alone — 2000 calls at 200 cps while the list reloads (scripts/run-tests.js)
/**
 * Reloading the destination list while calls flow: sipp (uac.xml) sends 5000 calls at
 * 500 cps through dsd (the shipped etc/dsd.cfg routing: round robin + failover) to sipp
 * UAS backends while the test rewrites the list file and runs `dsctl dispatcher.reload`
 * every second - not one call may fail. Then the refusals: a broken list file is
 * refused with its file:line and the running set stays; with Kamailio's default
 * reload_delta (5 s) a second reload gets "Ongoing reload" with the seconds to wait, and
 * waiting that long is enough.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, destinationList } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { startSipp, runUac, UAC_XML, UAS_XML, num, SippProc, haveSipp } from '../helpers/sipp';
import { dsctlOnAsync as dsctl, type CtlResult } from '../helpers/ctl';
import { pause } from '../helpers/wait';
import { at } from '../helpers/at';

const NO_SIPP = haveSipp() ? false : 'sipp is not installed';

test(
  '2000 calls at 200 cps while the list is rewritten and reloaded every second: none fails',
  { timeout: 180_000, skip: NO_SIPP },
  async () => {
    const [px, b1, b2, b3, uac, c1, c2, c3, c4] = await freePorts(9);
    // fr_timer well above what a CPU-starved backend may take to answer: a slow machine
    // must not turn a late 200 into a 408 (this test is about reloads, not timers)
    const dsd = await startDsd({
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${px}`],
        params: ['modparam("dispatcher", "reload_delta", 0)', 'modparam("tm", "fr_timer", 15000)'],
      }),
      list: destinationList([b1, b2]),
    });
    const listFile = path.join(dsd.dir, 'dispatcher.list');
    const uas: SippProc[] = [
      startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 }),
      startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 }),
      startSipp({ scenario: UAS_XML, port: b3, controlPort: c3 }),
    ];
    // the same two backends in both orders, and a third one coming and going
    const versions = [
      [b1, b2],
      [b2, b1],
      [b1, b2, b3],
      [b3, b2, b1],
      [b2, b1],
      [b1, b3, b2],
    ];
    try {
      for (const u of uas) await u.ready();
      // 200 cps for 10 s: a rate a starved 2-core machine (dsd, four sipps and a CPU hog)
      // keeps up with; at 500 cps the BYEs' 200s came later than sipp's retransmissions allow
      const load = startSipp({
        scenario: UAC_XML,
        port: uac,
        controlPort: c4,
        remote: `127.0.0.1:${px}`,
        calls: 2000,
        rate: 200,
      });
      let exited = false;
      void load.done.then(() => {
        exited = true;
      });
      const reloads: CtlResult[] = [];
      const t0 = Date.now();
      for (let k = 0; !exited && k < 30; k++) {
        // on whole-second ticks from the start, however long dsctl took
        await pause(Math.max(0, t0 + (k + 1) * 1000 - Date.now()));
        if (exited) break;
        fs.writeFileSync(listFile, destinationList(at(versions, k % versions.length)));
        reloads.push(await dsctl(dsd, 'dispatcher.reload'));
      }
      const timer = setTimeout(() => load.proc.kill('SIGINT'), 120_000);
      const code = await load.done;
      clearTimeout(timer);
      const output = load.output();
      const stats = await load.stop();
      assert.ok(reloads.length >= 8, `only ${reloads.length} reloads during the run`);
      for (const r of reloads) {
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, 'Ok. Dispatcher successfully reloaded.\n');
      }
      assert.equal(num(stats, 'SuccessfulCall(C)'), 2000, `${output.slice(-2000)}\n${load.errors().slice(-3000)}`);
      assert.equal(num(stats, 'FailedCall(C)'), 0);
      assert.equal(code, 0);
      const incoming: number[] = [];
      for (const u of uas) incoming.push(num(await u.stop(), 'IncomingCall(C)'));
      // every call reached exactly one backend; the reloaded lists were used (b3 got calls)
      assert.equal(
        incoming.reduce((a, x) => a + x, 0),
        2000,
        `backends got ${incoming}`,
      );
      assert.ok(at(incoming, 2) > 0, `the third backend got no calls (${incoming})`);
    } finally {
      for (const u of uas) await u.stop();
      assert.equal(await dsd.stop(), 0);
    }
  },
);

test(
  'a broken list file is refused with file:line; the running set stays and calls keep flowing',
  { timeout: 60_000, skip: NO_SIPP },
  async () => {
    const [px, b1, b2, uac, c1, c2, c3] = await freePorts(7);
    const dsd = await startDsd({
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${px}`],
        // no failover to the other backend when a starved sipp answers late
        params: ['modparam("dispatcher", "reload_delta", 0)', 'modparam("tm", "fr_timer", 15000)'],
      }),
      list: destinationList([b1, b2]),
    });
    const listFile = path.join(dsd.dir, 'dispatcher.list');
    const uas = [
      startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 }),
      startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 }),
    ];
    try {
      for (const u of uas) await u.ready();
      const before = await dsctl(dsd, 'dispatcher.list');
      assert.equal(before.code, 0, before.err);
      // line 3: a set id without a destination
      fs.writeFileSync(listFile, `# new list\n1 sip:127.0.0.1:${b1} 0 0\n2\n1 sip:127.0.0.1:${b2} 0 0\n`);
      const r = await dsctl(dsd, 'dispatcher.reload');
      assert.notEqual(r.code, 0);
      assert.equal(r.out, '');
      assert.match(r.err, /^error: 500 - Reload Failed/);
      assert.ok(r.err.includes(`${listFile}:3:`), `no file:line in: ${r.err}`);
      const after = await dsctl(dsd, 'dispatcher.list');
      assert.equal(after.out, before.out);
      const run = await runUac({
        scenario: UAC_XML,
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        calls: 100,
        rate: 100,
        timeoutMs: 60_000,
      });
      assert.equal(num(run.stats, 'SuccessfulCall(C)'), 100, run.output.slice(-2000));
      assert.equal(num(run.stats, 'FailedCall(C)'), 0);
      const incoming: number[] = [];
      for (const u of uas) incoming.push(num(await u.stop(), 'IncomingCall(C)'));
      assert.deepEqual(incoming, [50, 50]);
      // fixed file: accepted
      fs.writeFileSync(listFile, destinationList([b2]));
      const ok = await dsctl(dsd, 'dispatcher.reload');
      assert.equal(ok.code, 0, ok.err);
      assert.doesNotMatch((await dsctl(dsd, 'dispatcher.list')).out, new RegExp(`:${b1}\\b`));
    } finally {
      for (const u of uas) await u.stop();
      assert.equal(await dsd.stop(), 0);
    }
  },
);

test(
  'reload_delta 5 (the default): a reload within 5 s gets "Ongoing reload" saying when to retry, and that is right',
  { timeout: 30_000 },
  async () => {
    const [px, b1] = await freePorts(2);
    const dsd = await startDsd({ cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`] }), list: destinationList([b1]) });
    try {
      const first = await dsctl(dsd, 'dispatcher.reload');
      assert.equal(first.code, 0, first.err);
      const second = await dsctl(dsd, 'dispatcher.reload');
      assert.notEqual(second.code, 0);
      // Kamailio's fault text first, then when to come back
      assert.match(second.err, /^error: 500 - Ongoing reload\b/);
      const m = /retry in (\d+) ?s/.exec(second.err);
      assert.ok(m, `no retry time in: ${second.err}`);
      const wait = Number(m[1]);
      assert.ok(wait >= 1 && wait <= 5, second.err);
      // add/remove share the guard
      const add = await dsctl(dsd, 'dispatcher.add', '1', 'sip:127.0.0.1:5099');
      assert.match(add.err, /^error: 500 - Ongoing reload\b/);
      await pause(wait * 1000 + 100);
      const third = await dsctl(dsd, 'dispatcher.reload');
      assert.equal(third.code, 0, `retried after ${wait} s as told: ${third.err}`);
    } finally {
      assert.equal(await dsd.stop(), 0);
    }
  },
);
