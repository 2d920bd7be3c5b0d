// dsd-test: alone — sipp at 100 cps through several SIP workers (scripts/run-tests.js)
/**
 * children=N with the reading worker placing calls (src/workers/placement.ts): it keeps a
 * new call itself while it has room (children_pack) and every later message of the call
 * follows; replies find their worker by our Via branch. Checked over real sockets with sipp:
 * with children_pack=100 one worker carries every call and nothing crosses; when the reader
 * is killed, the next one takes over, spreads by Call-ID hash (the calls still running on the
 * others keep reaching them) and the restarted worker gets its share.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd, basicCfg, Dsd, destinationList } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { startSipp, runUac, withUasPair, UAC_XML, num } from '../helpers/sipp';
import { callRpc } from '../../src/cli/client';
import { waitUntil } from '../helpers/wait';
import type { WorkerRow } from '../../src/daemon/control';

const workers = async (dsd: Dsd): Promise<WorkerRow[]> =>
  (await callRpc(`${dsd.dir}/dsd_ctl`, 'core.workers', undefined, 10_000)) as WorkerRow[];

interface Bench {
  px: number;
  uac: number;
  c3: number;
  /** Stops both destinations; the calls each received. */
  stopUas: () => Promise<[number, number]>;
  /** `n` sipp calls at 100 cps (UDP unless `t1`); every one must succeed. */
  calls: (n: number, transport?: 't1') => Promise<void>;
}

/**
 * `n` workers on etc/dsd.cfg (children_pack=100 unless `pack` says otherwise), UDP and TCP,
 * two sipp destinations over UDP; all stopped after `fn`.
 */
async function withWorkers(
  n: number,
  fn: (dsd: Dsd, t: Bench) => Promise<void>,
  pack: number | null = 100,
): Promise<void> {
  const [px, b1, b2, uac, c1, c2, c3] = await freePorts(7);
  const dsd = await startDsd({
    cfg: basicCfg({
      listen: [`udp:127.0.0.1:${px}`, `tcp:127.0.0.1:${px}`],
      params: ['modparam("tm", "fr_timer", 15000)', ...(pack === null ? [] : [`children_pack=${pack}`])],
    }),
    list: destinationList([b1, b2]),
    args: ['-n', String(n)],
    startTimeoutMs: 30_000,
  });
  try {
    const calls = async (n: number, transport?: 't1'): Promise<void> => {
      const r = await runUac({
        transport,
        scenario: UAC_XML,
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        calls: n,
        rate: 100,
        timeoutMs: 90_000,
      });
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), n, r.output.slice(-2000));
    };
    await withUasPair({ b1, b2, c1, c2 }, (uas1, uas2) =>
      fn(dsd, {
        px,
        uac,
        c3,
        calls,
        stopUas: async () => [num(await uas1.stop(), 'IncomingCall(C)'), num(await uas2.stop(), 'IncomingCall(C)')],
      }),
    );
  } finally {
    assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
  }
}

test('children_pack=100: the reading worker carries every call, nothing crosses, replies come back to it', async () => {
  await withWorkers(3, async (dsd, { calls, stopUas }) => {
    const before = await workers(dsd);
    await calls(300);
    const [n1, n2] = await stopUas();
    assert.equal(n1 + n2, 300);
    assert.ok(Math.abs(n1 - n2) <= 1, `round robin in one worker: ${n1}/${n2}`);
    const after = await workers(dsd);
    const delta = after.map((a) => {
      const b = before.find((x) => x.INDEX === a.INDEX)!;
      return {
        index: a.INDEX,
        requests: a.REQUESTS - b.REQUESTS,
        replies: a.REPLIES - b.REPLIES,
        inn: a.HANDED_IN - b.HANDED_IN,
        kept: a.CALLS_KEPT - b.CALLS_KEPT,
        byHash: a.CALLS_BY_HASH - b.CALLS_BY_HASH,
      };
    });
    const reader = delta.reduce((m, d) => (d.requests > m.requests ? d : m));
    // INVITE, ACK and BYE of 300 calls, and the replies to the INVITE and the BYE
    assert.ok(reader.requests >= 900, JSON.stringify(delta));
    assert.ok(reader.replies >= 600, JSON.stringify(delta));
    // core.workers says why: the reader kept every new call, none went by hash
    assert.equal(reader.kept, 300, JSON.stringify(delta));
    // the first reader is worker 0, the worker that warmed up in full (src/workers/pool.ts)
    assert.equal(reader.index, 0, JSON.stringify(delta));
    for (const d of delta) {
      assert.equal(d.byHash, 0, JSON.stringify(delta));
      if (d === reader) continue;
      assert.equal(d.kept, 0, JSON.stringify(delta));
      assert.equal(d.requests, 0, `no call went to worker ${d.index}: ${JSON.stringify(delta)}`);
      assert.equal(d.inn, 0, JSON.stringify(delta));
    }
  });
});

test(
  'the reader killed mid-load: the next worker reads, spreads by hash, and the restarted one gets its share',
  { timeout: 240_000 },
  async () => {
    await withWorkers(2, async (dsd, { px, uac, c3, calls }) => {
      const load = startSipp({
        scenario: UAC_XML,
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        calls: 600,
        rate: 100,
      });
      try {
        let reader: WorkerRow | undefined;
        await waitUntil(
          async () => {
            reader = (await workers(dsd).catch(() => [])).find((w) => w.REQUESTS > 100);
            return reader !== undefined;
          },
          { timeoutMs: 30_000, what: 'calls flowing through the reader' },
        );
        const victim = reader!;
        process.kill(victim.PID, 'SIGKILL');
        await dsd.waitFor(`worker ${victim.INDEX} (pid ${victim.PID}) died`, 20_000);
        await waitUntil(
          async () => {
            const w = (await workers(dsd).catch(() => [])).find((r) => r.INDEX === victim.INDEX);
            return w !== undefined && w.READY === 1 && w.PID !== victim.PID;
          },
          { timeoutMs: 60_000, what: 'the killed worker back' },
        );
        const timer = setTimeout(() => load.proc.kill('SIGINT'), 150_000);
        await load.done;
        clearTimeout(timer);
        const s = await load.stop();
        // only the calls the dead reader held in flight can be lost
        assert.ok(num(s, 'SuccessfulCall(C)') >= 600 * 0.7, load.output().slice(-1500));
        assert.equal(dsd.proc.exitCode, null, 'dsd keeps running');
        const before = await workers(dsd);
        await calls(200);
        const after = await workers(dsd);
        // the new reader keeps nothing for itself yet: the restarted worker gets its hash share
        const back = after.find((w) => w.INDEX === victim.INDEX)!;
        const backBefore = before.find((w) => w.INDEX === victim.INDEX)!;
        assert.ok(back.REQUESTS - backBefore.REQUESTS > 0, `${JSON.stringify(before)} → ${JSON.stringify(after)}`);
        assert.ok(back.HANDED_IN > backBefore.HANDED_IN, JSON.stringify(after));
        const sum = (rows: WorkerRow[], k: 'CALLS_KEPT' | 'CALLS_BY_HASH'): number =>
          rows.reduce((a, r) => a + r[k], 0);
        // every one of the 200 new calls went by hash, except one whose Call-ID hash lands in the
        // placement slot of a call still recorded (the load's, for 180 s): it follows that
        // record uncounted (core.workers' doc). At most ~600 records in 2^20 slots: ~0.11 such
        // calls a run (CI met one); three or more in ~0.02 % of runs
        const byHash = sum(after, 'CALLS_BY_HASH') - sum(before, 'CALLS_BY_HASH');
        assert.ok(byHash >= 198 && byHash <= 200, `${byHash} of 200 by hash: ${JSON.stringify(after)}`);
        assert.equal(sum(after, 'CALLS_KEPT') - sum(before, 'CALLS_KEPT'), 0, JSON.stringify(after));
      } finally {
        await load.stop();
      }
    });
  },
);

test('the default children_pack: UDP and TCP calls through 2 workers, replies over UDP back to the worker that holds the TCP call', async () => {
  await withWorkers(
    2,
    async (dsd, { calls, stopUas }) => {
      await calls(200);
      // worker 0 reads TCP and keeps those calls; the UDP reader hands their replies to it by our Via branch
      await calls(200, 't1');
      const [n1, n2] = await stopUas();
      assert.equal(n1 + n2, 400);
      const rows = await workers(dsd);
      assert.ok(rows.reduce((a, r) => a + r.REQUESTS, 0) >= 1200, JSON.stringify(rows));
    },
    null,
  );
});
