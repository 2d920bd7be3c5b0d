/**
 * dsd runs with V8's memory reducer off and gives its heap back itself
 * (src/daemon/heap-quiet.ts, src/daemon/full-gc.ts): the warm-up ends with a low-memory
 * collection, and a process that goes quiet after a load runs one. Real sipp load through
 * the real daemon; the test waits on log lines, nothing here measures time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logLines } from '../helpers/daemon';
import { withDsdBeforeUasPair } from '../helpers/dsd-uas-pair';
import { runUac, haveSipp, num, UAC_XML } from '../helpers/sipp';

const skip = haveSipp() ? false : 'sipp not installed';

const QUIET = /^heap: quiet after a load, collected: committed ([\d.]+) -> ([\d.]+) MB/;

test(
  'after a load, a quiet dsd collects its heap once and gives memory back; never while the calls flow',
  { skip, timeout: 180_000 },
  async () => {
    // a look every 300 ms: many looks fall inside the load, at any machine's speed; a
    // growth of 2 MB: transactions that only linger are kept outside the heap, so a load
    // of 4000 calls leaves less than the default 8 MB behind
    const env = { DSD_HEAP_QUIET_MS: '300', DSD_HEAP_QUIET_GROWTH_MB: '2' };
    await withDsdBeforeUasPair({ env }, async ({ dsd, px, uac, cp }) => {
      // quiet before the load too, but nothing grew since the warm-up's collection: the
      // looks of the next 1.5 s (a few, or on a slow machine fewer) collect nothing
      await dsd.waitFor(/destinations loaded from /);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(logLines(dsd).filter((l) => QUIET.test(l.msg)).length, 0, dsd.output());
      const calls = 4000;
      const r = await runUac({
        scenario: UAC_XML,
        remote: `127.0.0.1:${px}`,
        port: uac,
        controlPort: cp,
        calls,
        rate: 400,
        timeoutMs: 120_000,
      });
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), calls, r.output.slice(-1500));
      const duringLoad = logLines(dsd).filter((l) => QUIET.test(l.msg)).length;
      await dsd.waitFor(/heap: quiet after a load, collected/, 60_000);
      const found = logLines(dsd).filter((l) => QUIET.test(l.msg));
      // at most the look right after sipp's last BYE can come before runUac returned
      assert.ok(duringLoad <= 1, dsd.output().slice(-3000));
      const [, before, after] = QUIET.exec(found[0]!.msg)!;
      assert.ok(Number(after) < Number(before), found[0]!.msg);
    });
  },
);
