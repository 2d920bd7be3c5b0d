/**
 * The warm-up while idle (src/daemon/warmup-idle.ts): once ready, dsd goes on warming up
 * until something arrives or DSD_WARMUP_IDLE_MS pass. What arrives meanwhile waits and is
 * then handled by the real engine, in order: a control command acts on the real
 * dispatcher (not the warm-up's copy), a call completes. The engine's timers start after
 * it. Ended by its limit, its garbage is collected; ended by an arrival, it is not. Real sockets, real sipp, the real control socket; nothing here measures time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd, basicCfg, Dsd, logLines as lines, type LogLine as Line } from '../helpers/daemon';
import { callRpc } from '../../src/cli/client';
import { freePorts } from '../helpers/ports';
import { runUac, haveSipp, num, UAC_XML } from '../helpers/sipp';
import { withDsdBeforeUasPair } from '../helpers/dsd-uas-pair';

const skip = haveSipp() ? false : 'sipp not installed';

const IDLE = /warmed up while idle for \d+ ms more|no warm-up while idle/;

/** The one line saying how the warm-up while idle ended (waits for it). */
type IdleLine = Line & { ended_by: string; idle_warmup_ms: number; heap_before_mb?: number; heap_after_mb?: number };

async function idleLine(dsd: Dsd): Promise<IdleLine> {
  await dsd.waitFor(IDLE, 60_000);
  const found = lines(dsd).filter((l) => IDLE.test(l.msg));
  assert.equal(found.length, 1, dsd.output());
  return found[0] as IdleLine;
}

test('an idle dsd warms up until its limit, and starts its keepalives only then; 0 turns it off', async () => {
  const [px, b1] = await freePorts(2);
  const cfg = basicCfg({ listen: [`udp:127.0.0.1:${px}`] });
  const list = `1 sip:127.0.0.1:${b1} 0 0\n`;
  const dsd = await startDsd({ cfg, list, env: { DSD_WARMUP_IDLE_MS: '200' } });
  try {
    const l = await idleLine(dsd);
    // 200 ms is less than its most calls take on any machine: the limit ends it
    assert.match(l.ended_by, /^its limit of 200 ms$/, dsd.output());
    assert.ok(l.idle_warmup_ms >= 200, dsd.output());
    // nobody waiting: its garbage is collected before the engine's timers start
    assert.ok(l.heap_before_mb !== undefined && l.heap_after_mb !== undefined, dsd.output());
    assert.ok(l.heap_after_mb < l.heap_before_mb, dsd.output());
    // the start-up summary comes with the engine's timers, after the script has its services
    // back (waited for: it is written a moment after the line above)
    await dsd.waitFor(/destinations loaded from /);
    const ls = lines(dsd);
    const at = ls.findIndex((x) => IDLE.test(x.msg));
    const summary = ls.findIndex((x) => /^destinations loaded from /.test(x.msg));
    assert.ok(summary > at, dsd.output());
  } finally {
    assert.equal(await dsd.stop(), 0, dsd.output());
  }
  const off = await startDsd({ cfg, list, env: { DSD_WARMUP_IDLE_MS: '0' } });
  try {
    await off.waitFor(/destinations loaded from /);
    assert.doesNotMatch(off.output(), IDLE);
  } finally {
    assert.equal(await off.stop(), 0, off.output());
  }
});

for (const children of [1, 2]) {
  test(
    `${children === 1 ? 'one process' : 'two SIP workers'}: a control command waits for the warm-up while idle, ends it, and changes the real dispatcher; a call then completes`,
    { skip, timeout: 120_000 },
    async () => {
      const o = {
        args: ['-n', String(children)],
        // longer than any test waits: only what arrives can end it (or its most calls, which
        // take far longer than this test's first command needs to get there)
        env: { DSD_WARMUP_IDLE_MS: '60000' },
        startTimeoutMs: 30_000,
      };
      await withDsdBeforeUasPair(o, async ({ dsd, px, uac, cp, b1 }) => {
        const ctl = `${dsd.dir}/dsd_ctl`;
        await callRpc(ctl, 'dispatcher.set_state', ['ip', 1, `sip:127.0.0.1:${b1}`], 30_000);
        const l = await idleLine(dsd);
        assert.equal(l.ended_by, 'a control command (dispatcher.set_state)', dsd.output());
        // something waits: no collection in its way
        assert.equal(l.heap_before_mb, undefined, dsd.output());
        if (children === 2) assert.match(l.msg, /^worker 0: /);
        const text = JSON.stringify(await callRpc(ctl, 'dispatcher.list', undefined, 30_000));
        assert.match(text, new RegExp(`"URI":"sip:127\\.0\\.0\\.1:${b1}","FLAGS":"IP"`), text);
        // the real dispatcher: every call goes to the other destination
        const r = await runUac({
          scenario: UAC_XML,
          remote: `127.0.0.1:${px}`,
          port: uac,
          controlPort: cp,
          calls: 5,
          rate: 5,
          timeoutMs: 60_000,
        });
        assert.equal(num(r.stats, 'SuccessfulCall(C)'), 5, r.output.slice(-1500));
      });
    },
  );
}
