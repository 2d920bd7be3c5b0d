// dsd-test: alone — sipp at 150 cps through several SIP workers (scripts/run-tests.js)
/**
 * children=N (here `-n 2`): several SIP workers on the same sockets, over real loopback
 * sockets with sipp and raw peers. One worker reads (worker 0, or worker 1 while worker 0
 * is down) and hands each message to the Call-ID's owner (core.workers counts both
 * sides). Checked: calls over UDP and TCP, CANCEL, failover on 500 and on timeout,
 * algorithm 10's load shared by every worker, control-socket changes seen by every
 * worker, one prober and one dst-down, worker 0 killed mid-load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, Dsd, logLines, destinationList } from '../helpers/daemon';
import { dsctlOn, kamcmd } from '../helpers/ctl';
import { freePorts } from '../helpers/ports';
import { startSipp, runUac, readStats, UAC_XML, UAS_XML, FIXTURES, num } from '../helpers/sipp';
import { UdpPeer, Received, makeResponse, methodOf, statusOf, header } from '../helpers/sip-peer';
import { callRpc } from '../../src/cli/client';
import type { RpcParams } from '../../src/rpc-api/protocol';
import { dispatcherRows, type DispatcherListResult } from '../../src/rpc-api/results';
import { at } from '../helpers/at';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WORKERS = ['-n', '2'];

interface WorkerRow {
  INDEX: number;
  PID: number;
  READY: number;
  REQUESTS: number;
  HANDED_OFF: number;
  HANDED_IN: number;
}

const rpc = (dsd: Dsd, method: string, params?: RpcParams): Promise<unknown> =>
  callRpc(`${dsd.dir}/dsd_ctl`, method, params, 10_000);

const dsctl = dsctlOn;

const workers = async (dsd: Dsd): Promise<WorkerRow[]> => (await rpc(dsd, 'core.workers')) as WorkerRow[];

/** Polls `f` until it returns something other than null (errors count as null). */
async function until<T>(what: string, ms: number, f: () => Promise<T | null>): Promise<T> {
  const end = Date.now() + ms;
  let err = '';
  while (Date.now() < end) {
    const v = await f().catch((e: Error) => {
      err = e.message;
      return null;
    });
    if (v !== null) return v;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${ms} ms ${err}`);
}

/** Both workers handled requests; messages read by one worker were handed to the other. */
async function assertCrossed(dsd: Dsd): Promise<void> {
  const rows = await workers(dsd);
  assert.equal(rows.length, 2, JSON.stringify(rows));
  for (const r of rows) {
    assert.equal(r.READY, 1);
    assert.ok(r.REQUESTS > 0, `worker ${r.INDEX} handled requests: ${JSON.stringify(rows)}`);
  }
  const off = rows.reduce((a, r) => a + r.HANDED_OFF, 0);
  const into = rows.reduce((a, r) => a + r.HANDED_IN, 0);
  assert.ok(off > 0 && into > 0, `messages crossed between workers: ${JSON.stringify(rows)}`);
}

/**
 * Worker 0, the first reader, loads alone: the primary starts the others once worker 0 has
 * loaded its engine (pool.ts), so every other worker's first log line comes after both worker
 * 0's "configuration loaded" and the primary's line saying it starts them.
 */
function assertWorker0LoadedFirst(dsd: Dsd, n: number): void {
  const lines = logLines(dsd);
  const all = lines.map((l) => `${l.pid} ${l.msg}`).join('\n');
  const pids = new Map<number, number>();
  for (const l of lines) {
    const m = /^worker (\d+) \(pid (\d+)\) ready/.exec(l.msg);
    if (m) pids.set(Number(m[2]), Number(m[1]));
  }
  assert.equal(pids.size, n, all);
  const index = (l: { pid: number }) => pids.get(l.pid);
  const loaded0 = lines.findIndex((l) => index(l) === 0 && l.msg === 'configuration loaded');
  const forked = lines.findIndex((l) => l.msg === `worker 0 has loaded: starting workers 1 to ${n - 1}`);
  assert.ok(loaded0 >= 0 && forked > loaded0, all);
  for (let k = 1; k < n; k++) {
    const first = lines.findIndex((l) => index(l) === k);
    assert.ok(first > forked, `worker ${k} started after worker 0 had loaded:\n${all}`);
  }
}

/**
 * etc/dsd.cfg with the test's listen lines, no reload_delta, and an fr_timer: 15 s unless
 * the test needs timeouts, so a starved sipp answering late is no failover. children_pack=0:
 * every call by Call-ID hash, so calls land on both workers at any load (what these tests
 * check is that nothing breaks when a call's messages cross between workers; packing is
 * workers-pack.test.ts's).
 */
function cfgWith(o: Parameters<typeof basicCfg>[0], fr = 15000): string {
  const base = basicCfg({
    ...o,
    params: ['modparam("dispatcher", "reload_delta", 0)', 'children_pack=0', ...(o.params ?? [])],
  });
  return base.replace(/^modparam\("tm", "fr_timer", \d+\)$/m, `modparam("tm", "fr_timer", ${fr})`);
}

test(
  'UDP and TCP calls through 2 workers: none failed, split as with one, messages handed between workers',
  { timeout: 180_000 },
  async () => {
    const [px, b1, b2, uac, uact, c1, c2, c3, c4, pm] = await freePorts(10);
    const dsd = await startDsd({
      cfg: cfgWith({
        listen: [`udp:127.0.0.1:${px}`, `tcp:127.0.0.1:${px}`],
        params: [`modparam("dispatcher", "ds_metrics_listen", "127.0.0.1:${pm}")`],
      }),
      list: destinationList([b1, b2]),
      args: WORKERS,
      startTimeoutMs: 30_000, // three processes start; a loaded machine takes its time
    });
    const uas1 = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
    const uas2 = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
    try {
      await uas1.ready();
      await uas2.ready();
      const r = await runUac({
        scenario: UAC_XML,
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        calls: 600,
        rate: 150,
        timeoutMs: 90_000,
      });
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), 600, r.output.slice(-2000));
      assert.equal(num(r.stats, 'FailedCall(C)'), 0);
      const t = await runUac({
        scenario: UAC_XML,
        port: uact,
        controlPort: c4,
        remote: `127.0.0.1:${px}`,
        transport: 't1',
        calls: 200,
        rate: 100,
        timeoutMs: 90_000,
      });
      assert.equal(num(t.stats, 'SuccessfulCall(C)'), 200, t.output.slice(-2000));
      assert.equal(num(t.stats, 'FailedCall(C)'), 0);
      const n1 = num(await uas1.stop(), 'IncomingCall(C)');
      const n2 = num(await uas2.stop(), 'IncomingCall(C)');
      assert.equal(n1 + n2, 800);
      // round robin in each worker: the two halves differ by at most one call per worker and run
      assert.ok(Math.abs(n1 - n2) <= 4, `split ${n1}/${n2}`);
      await assertCrossed(dsd);
      const tm = (await rpc(dsd, 'tm.stats')) as { created: number };
      assert.ok(tm.created >= 1600, `tm.stats sums the workers: ${JSON.stringify(tm)}`);
      const st = (await rpc(dsd, 'dispatcher.stats')) as Array<{ SET: number; URI: string; CALLS: number }>;
      assert.deepEqual(
        st.map((x) => x.SET),
        [1, 1],
      );
      assert.equal(
        st.reduce((a, x) => a + x.CALLS, 0),
        800,
        JSON.stringify(st),
      );
      // Prometheus: counters add up over the workers, a destination's state is reported once
      const text = await (await fetch(`http://127.0.0.1:${pm}/metrics`)).text();
      const sample = (name: string, uri: string): number =>
        Number(new RegExp(`^${name}\\{set="1",uri="${uri}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
      const u1 = `sip:127.0.0.1:${b1}`;
      const u2 = `sip:127.0.0.1:${b2}`;
      assert.equal(sample('dsd_dispatcher_calls_total', u1) + sample('dsd_dispatcher_calls_total', u2), 800, text);
      assert.equal(sample('dsd_dispatcher_destination_up', u1), 1, text);
    } finally {
      await uas1.stop();
      await uas2.stop();
      assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
    }
  },
);

test('CANCEL, and failover on 500 and on timeout, with 2 workers', { timeout: 180_000 }, async () => {
  const [px, bring, b500, bok, dead, uac, c1, c2, c3, c4] = await freePorts(10);
  const dsd = await startDsd({
    // the dead backend's timeout is what fails over; 5 s (not 1 s) so the UAS that answers
    // is never taken for dead when this machine is starved (a CPU hog beside the suite)
    cfg: cfgWith({ listen: [`udp:127.0.0.1:${px}`] }, 5000),
    list: `1 sip:127.0.0.1:${bring} 0 0\n`,
    args: WORKERS,
    startTimeoutMs: 30_000, // three processes start; a loaded machine takes its time
  });
  const ring = startSipp({ scenario: path.join(FIXTURES, 'sipp', 'uas-ring.xml'), port: bring, controlPort: c1 });
  const fail = startSipp({ scenario: path.join(FIXTURES, 'sipp', 'uas-500.xml'), port: b500, controlPort: c2 });
  const ok = startSipp({ scenario: UAS_XML, port: bok, controlPort: c3 });
  try {
    for (const u of [ring, fail, ok]) await u.ready();
    const cancel = await runUac({
      scenario: path.join(FIXTURES, 'sipp', 'uac-cancel.xml'),
      port: uac,
      controlPort: c4,
      remote: `127.0.0.1:${px}`,
      calls: 40,
      rate: 20,
      timeoutMs: 60_000,
    });
    assert.equal(num(cancel.stats, 'SuccessfulCall(C)'), 40, cancel.output.slice(-3000));
    // the ringing UAS ends a call on the ACK of its 487: wait for its stat row to show all 40
    await until('the ringing UAS to end 40 calls', 30_000, async () =>
      fs.existsSync(ring.statFile) && num(readStats(ring.statFile), 'SuccessfulCall(C)') >= 40 ? true : null,
    );
    const rs = await ring.stop();
    assert.equal(num(rs, 'SuccessfulCall(C)'), 40, 'every CANCEL reached the backend');

    for (const kind of ['500', 'timeout']) {
      const list = kind === '500' ? destinationList([b500, bok]) : destinationList([dead, bok]);
      fs.writeFileSync(path.join(dsd.dir, 'dispatcher.list'), list);
      const rl = dsctl(dsd, 'dispatcher.reload');
      assert.equal(rl.code, 0, rl.err);
      const r = await runUac({
        scenario: UAC_XML,
        port: uac,
        controlPort: c4,
        remote: `127.0.0.1:${px}`,
        calls: 30,
        rate: 15,
        timeoutMs: 90_000,
      });
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), 30, `failover on ${kind}: ${r.output.slice(-2000)}`);
      assert.equal(num(r.stats, 'FailedCall(C)'), 0);
    }
    const f = await fail.stop();
    assert.ok(num(f, 'IncomingCall(C)') >= 10, 'the 500 backend was tried');
    // after the last reload: the dead one failed over every call it got
    const s = (await rpc(dsd, 'dispatcher.stats')) as Array<{ URI: string; CALLS: number; FAILOVERS: number }>;
    const d = s.find((x) => x.URI === `sip:127.0.0.1:${dead}`)!;
    assert.ok(d.CALLS > 0 && d.FAILOVERS === d.CALLS, JSON.stringify(s));
    await assertCrossed(dsd);
  } finally {
    await ring.stop();
    await fail.stop();
    await ok.stop();
    assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
  }
});

test(
  "algorithm 10: every worker counts every worker's calls, a BYE releases them; dispatcher.list shows it",
  { timeout: 120_000 },
  async () => {
    const [px, b1, b2, uac, c1, c2, c3] = await freePorts(7);
    const cfg = fs
      .readFileSync(path.join(FIXTURES, 'cfg', 'ds-select.cfg'), 'utf8')
      .replaceAll('{PX}', String(px))
      .replace(/unix:\{DIR\}\/\w+/, 'unix:{DIR}/dsd_ctl')
      // every call by Call-ID hash, so both workers hold some (see cfgWith)
      .replace(/^loadmodule /m, 'children_pack=0\nloadmodule ');
    const dsd = await startDsd({
      cfg,
      args: WORKERS,
      startTimeoutMs: 30_000, // three processes start; a loaded machine takes its time
      list: `1 sip:127.0.0.1:${b1} 0 0 duid=one\n1 sip:127.0.0.1:${b2} 0 0 duid=two\n`,
    });
    const uas1 = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
    const uas2 = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
    const load = async (): Promise<number[]> => {
      const r = (await rpc(dsd, 'dispatcher.list')) as DispatcherListResult;
      return dispatcherRows(r).map((x) =>
        Number((x.dest as { RUNTIME?: { DLGLOAD?: number } }).RUNTIME?.DLGLOAD ?? -1),
      );
    };
    let calls: ReturnType<typeof startSipp> | null = null;
    try {
      await uas1.ready();
      await uas2.ready();
      calls = startSipp({
        scenario: path.join(FIXTURES, 'sipp', 'uac-hold.xml'),
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        calls: 40,
        rate: 40,
        extra: ['-key', 'set', '1', '-key', 'alg', '10', '-d', '6000'],
      });
      // each worker owns about half of the calls; the total only shows when their counts are shared
      const held = await until('40 calls counted', 20_000, async () => {
        const l = await load();
        return l.reduce((a, b) => a + b, 0) === 40 ? l : null;
      });
      assert.ok(Math.abs(at(held, 0) - at(held, 1)) <= 1, `least loaded over both workers: ${held}`);
      const code = await calls.done;
      const stats = await calls.stop();
      calls = null;
      assert.equal(num(stats, 'SuccessfulCall(C)'), 40);
      assert.equal(code, 0);
      await until('load released', 10_000, async () => ((await load()).every((x) => x === 0) ? true : null));
      await assertCrossed(dsd);
    } finally {
      await calls?.stop();
      await uas1.stop();
      await uas2.stop();
      assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
    }
  },
);

test('set_state, add and reload through the control socket reach every worker', { timeout: 120_000 }, async () => {
  const [px, b1, b2, b3, uac, c1, c2, c3, c4] = await freePorts(9);
  const dsd = await startDsd({
    cfg: cfgWith({ listen: [`udp:127.0.0.1:${px}`] }),
    list: destinationList([b1, b2]),
    args: WORKERS,
    startTimeoutMs: 30_000, // three processes start; a loaded machine takes its time
  });
  const uas = [b1, b2, b3].map((p, i) => startSipp({ scenario: UAS_XML, port: p, controlPort: at([c1, c2, c3], i) }));
  const calls = async (n: number): Promise<void> => {
    const r = await runUac({
      scenario: UAC_XML,
      port: uac,
      controlPort: c4,
      remote: `127.0.0.1:${px}`,
      calls: n,
      rate: 40,
      timeoutMs: 60_000,
    });
    assert.equal(num(r.stats, 'SuccessfulCall(C)'), n, r.output.slice(-2000));
  };
  const counts = async (): Promise<number[]> => {
    const s = (await rpc(dsd, 'dispatcher.stats')) as Array<{ URI: string; CALLS: number }>;
    return [b1, b2, b3].map((p) => s.find((x) => x.URI === `sip:127.0.0.1:${p}`)?.CALLS ?? 0);
  };
  try {
    for (const u of uas) await u.ready();
    assert.equal(dsctl(dsd, 'dispatcher.set_state', 'ip', '1', `sip:127.0.0.1:${b1}`).code, 0);
    await calls(40);
    assert.deepEqual(await counts(), [0, 40, 0], 'no worker sends to the inactive one');
    const add = dsctl(dsd, 'dispatcher.add', '1', `sip:127.0.0.1:${b3}`);
    assert.equal(add.code, 0, add.err);
    assert.equal(dsctl(dsd, 'dispatcher.set_state', 'ip', '1', `sip:127.0.0.1:${b2}`).code, 0);
    await calls(40);
    assert.deepEqual(await counts(), [0, 40, 40], 'every worker has the added destination');
    const rows = dispatcherRows((await rpc(dsd, 'dispatcher.list')) as DispatcherListResult);
    assert.deepEqual(rows.map((x) => x.dest.FLAGS).sort(), ['AX', 'IP', 'IP']);
    // kamcmd (binrpc) reaches the primary's control socket too
    const k = kamcmd(`${dsd.dir}/dsd_ctl`, 'dispatcher.list');
    assert.equal(k.code, 0, k.err);
    assert.match(k.out, new RegExp(`URI: sip:127.0.0.1:${b3}`));
    fs.writeFileSync(path.join(dsd.dir, 'dispatcher.list'), `1 sip:127.0.0.1:${b1} 0 0\n`);
    const rl = dsctl(dsd, 'dispatcher.reload');
    assert.equal(rl.code, 0, rl.err);
    assert.equal(dsctl(dsd, 'dispatcher.set_state', 'a', '1', `sip:127.0.0.1:${b1}`).code, 0);
    await calls(40);
    assert.deepEqual(await counts(), [40, 0, 0], 'every worker reloaded');
    await assertCrossed(dsd);
  } finally {
    for (const u of uas) await u.stop();
    assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
  }
});

/** A backend answering OPTIONS with 200 unless silent. */
async function backend(port: number): Promise<{ peer: UdpPeer; uri: string; silent: boolean; probes: Received[] }> {
  const peer = await UdpPeer.open({ host: '127.0.0.1', port });
  const b = { peer, uri: `sip:127.0.0.1:${port}`, silent: false, probes: [] as Received[] };
  peer.onMessage((m) => {
    if (statusOf(m.text) !== 0 || methodOf(m.text) !== 'OPTIONS') return;
    b.probes.push(m);
    if (!b.silent) peer.sock.send(makeResponse(m.text, 200, 'OK'), m.from.port, m.from.ip);
  });
  return b;
}

test('one keepalive per destination per interval with 3 workers; dst-down runs once', { timeout: 90_000 }, async () => {
  const [px, p1, p2] = await freePorts(3);
  const a = await backend(p1);
  const b = await backend(p2);
  const dsd = await startDsd({
    cfg: cfgWith(
      {
        listen: [`udp:127.0.0.1:${px}`],
        params: ['modparam("dispatcher", "ds_ping_interval", 1)', 'modparam("dispatcher", "ds_probing_mode", 1)'],
        extra: 'event_route[dispatcher:dst-down] {\n\txlog("L_NOTICE", "DSEVT down $ru\\n");\n}\n',
      },
      500,
    ),
    list: `1 ${a.uri} 0 0\n1 ${b.uri} 0 0\n`,
    args: ['-n', '3'],
    startTimeoutMs: 30_000,
  });
  try {
    assertWorker0LoadedFirst(dsd, 3);
    await until('6 probes each', 30_000, async () => (a.probes.length >= 6 && b.probes.length >= 6 ? true : null));
    for (const be of [a, b]) {
      // one prober: one Call-ID prefix and strictly increasing sequence numbers
      const ids = be.probes.map((m) => header(m.text, 'call-id') ?? '');
      const prefixes = new Set(ids.map((id) => id.slice(0, id.lastIndexOf('-'))));
      assert.equal(prefixes.size, 1, ids.join('\n'));
      const seqs = ids.map((id) => Number(/-(\d+)@/.exec(id)?.[1]));
      assert.ok(
        seqs.every((s, i) => i === 0 || s > at(seqs, i - 1)),
        seqs.join(','),
      );
    }

    b.silent = true;
    await until('b inactive', 20_000, async () => {
      const rows = dispatcherRows((await rpc(dsd, 'dispatcher.list')) as DispatcherListResult);
      return rows.find((x) => x.dest.URI === b.uri)?.dest.FLAGS === 'IP' ? true : null;
    });
    const seen = b.probes.length;
    await until('two more probes of b', 20_000, async () => (b.probes.length >= seen + 2 ? true : null));
    const downs = [...dsd.output().matchAll(/DSEVT down (sip:[^\s"\\]+)/g)].map((m) => m[1]);
    assert.deepEqual(downs, [b.uri]);
  } finally {
    await a.peer.close();
    await b.peer.close();
    assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
  }
});

test(
  'worker 0 killed with SIGKILL mid-load: UDP calls go on through worker 1, worker 0 comes back, calls complete',
  { timeout: 240_000 },
  async () => {
    const [px, b1, b2, uac, c1, c2, c3] = await freePorts(7);
    const dsd = await startDsd({
      cfg: cfgWith({ listen: [`udp:127.0.0.1:${px}`] }),
      list: destinationList([b1, b2]),
      args: WORKERS,
      startTimeoutMs: 30_000, // three processes start; a loaded machine takes its time
    });
    const uas1 = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
    const uas2 = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
    let load: ReturnType<typeof startSipp> | null = null;
    try {
      await uas1.ready();
      await uas2.ready();
      const before = await workers(dsd);
      // worker 0 holds the TCP connections and the keepalives; UDP does not depend on it
      const victim = before.find((r) => r.INDEX === 0)!;
      load = startSipp({
        scenario: UAC_XML,
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        calls: 900,
        rate: 150,
      });
      await until('calls flowing', 20_000, async () =>
        (await workers(dsd)).every((r) => r.REQUESTS > 50) ? true : null,
      );
      process.kill(victim.PID, 'SIGKILL');
      await dsd.waitFor(`worker 0 (pid ${victim.PID}) died`, 20_000);
      // while worker 0 is down, worker 1 reads every datagram and owns every Call-ID
      const w1Before = (await workers(dsd)).find((r) => r.INDEX === 1)!;
      await until('worker 1 carries the load alone', 30_000, async () => {
        const w = (await workers(dsd)).find((r) => r.INDEX === 1);
        return w && w.REQUESTS > w1Before.REQUESTS ? true : null;
      });
      const back = await until('worker 0 back', 30_000, async () => {
        const w = (await workers(dsd)).find((r) => r.INDEX === 0);
        return w && w.READY === 1 && w.PID !== victim.PID ? w : null;
      });
      assert.notEqual(back.PID, victim.PID);
      const running = load;
      const timer = setTimeout(() => running.proc.kill('SIGINT'), 150_000);
      await load.done;
      clearTimeout(timer);
      const s = await load.stop();
      const okCalls = num(s, 'SuccessfulCall(C)');
      // only the calls the dead worker held in flight can be lost
      assert.ok(okCalls >= 900 * 0.8, `${okCalls} of 900 completed: ${load.output().slice(-1500)}`);
      assert.equal(dsd.proc.exitCode, null, 'dsd keeps running');
      const after = await runUac({
        scenario: UAC_XML,
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        calls: 200,
        rate: 100,
        timeoutMs: 60_000,
      });
      assert.equal(num(after.stats, 'SuccessfulCall(C)'), 200, after.output.slice(-2000));
      const w0 = (await workers(dsd)).find((r) => r.INDEX === 0)!;
      assert.ok(w0.REQUESTS > 0, 'the restarted worker takes traffic');
    } finally {
      await load?.stop();
      await uas1.stop();
      await uas2.stop();
      assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
    }
  },
);
