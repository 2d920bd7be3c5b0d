// dsd-test: alone — 3000 calls at 100 cps with workers (scripts/run-tests.js)
/**
 * Full speed from the first second (issue #19): dsd warms its hot path up before it binds
 * the SIP sockets, says "ready" before it reads the first message, tells systemd READY=1
 * on $NOTIFY_SOCKET, and a daemon started under a running sipp load completes every call.
 * A restarted worker warms up before the primary hands it traffic. `dsd -c` does not warm
 * up. Real sockets, real sipp; nothing here measures time (the benchmark does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { DgramSocket } from 'node-unix-socket';
import {
  startDsd,
  basicCfg,
  Dsd,
  DSD_BIN,
  tmpDir,
  DSCTL_BIN,
  logLines as lines,
  type LogLine as Line,
  destinationList,
} from '../helpers/daemon';
import { callRpc } from '../../src/cli/client';
import { freePorts } from '../helpers/ports';
import { startSipp, runUac, readStats, UAC_XML, UAS_XML, num, haveSipp, SippProc } from '../helpers/sipp';
import { waitUntil } from '../helpers/wait';
import { needs } from '../helpers/require';

const skip = haveSipp() ? false : 'sipp not installed';

function indexOf(ls: Line[], re: RegExp, pid?: number): number {
  return ls.findIndex((l) => re.test(l.msg) && (pid === undefined || l.pid === pid));
}

const FR = ['modparam("tm", "fr_timer", 15000)'];

/** What ended the warm-up while idle, from its log line. */
function idleEnd(ls: Line[]): unknown {
  return ls.find((l) => /while idle/.test(l.msg))?.ended_by;
}

test('the "ready" line comes after the warm-up and before the first SIP message is read', { skip }, async () => {
  const [px, b1, c1, uac, c2] = await freePorts(5);
  const uas = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
  const dsd = await startDsd({
    cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: FR }),
    list: `1 sip:127.0.0.1:${b1} 0 0\n`,
  });
  try {
    const r = await runUac({
      scenario: UAC_XML,
      port: uac,
      controlPort: c2,
      remote: `127.0.0.1:${px}`,
      calls: 5,
      rate: 5,
      timeoutMs: 60_000,
    });
    assert.equal(num(r.stats, 'SuccessfulCall(C)'), 5, r.output.slice(-1500));
    await dsd.waitFor('first SIP message read');
    const ls = lines(dsd);
    const warm = indexOf(
      ls,
      /^dsd: warm-up done in \d+ ms \(budget \d+ ms[^)]*\): \d+ synthetic calls \((\d+) completed\)/,
    );
    const ready = indexOf(ls, /^dsd ready for traffic \(warm-up \d+ ms of a \d+ ms budget/);
    const first = indexOf(ls, /^dsd: first SIP message read \(udp from 127\.0\.0\.1:/);
    const started = indexOf(ls, / started, listening on /);
    assert.ok(warm >= 0 && ready > warm, `warm-up, then ready:\n${dsd.output()}`);
    assert.ok(first > ready, `ready before the first message:\n${dsd.output()}`);
    assert.ok(started > ready, dsd.output());
    // the warm-up's calls went all the way through the shipped route (INVITE … BYE 200)
    const done = /\((\d+) completed\)/.exec(ls[warm]!.msg)!;
    assert.ok(Number(done[1]) > 0, ls[warm]!.msg);
    // and its garbage was collected before the first message (full-gc.ts): the heap shrank
    const heap = (ls[warm] as Line & { heap_mb?: { before: number; after: number } | null }).heap_mb;
    assert.ok(heap && heap.after < heap.before, `a full collection after the warm-up: ${ls[warm]!.msg}`);
    assert.match(ls[warm]!.msg, /; heap [\d.]+ MB, [\d.]+ MB after a full collection$/);
    // nothing of the warm-up shows: no destination was selected, no call counted
    const ds = spawnSync(process.execPath, [DSCTL_BIN, '-s', `unix:${dsd.dir}/dsd_ctl`, '--json', 'dispatcher.stats'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.equal(ds.status, 0, ds.stderr);
    const calls = (JSON.parse(ds.stdout) as Array<{ CALLS: number }>).reduce((n, r) => n + r.CALLS, 0);
    assert.equal(calls, 5, `only the 5 real calls count: ${ds.stdout}`);
  } finally {
    await uas.stop();
    assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
  }
});

test('dsd -c does not warm up', async () => {
  const dir = tmpDir('dsd-warm-c-');
  try {
    const [px] = await freePorts(1);
    fs.writeFileSync(path.join(dir, 'dsd.cfg'), basicCfg({ listen: [`udp:127.0.0.1:${px}`] }).replaceAll('{DIR}', dir));
    fs.writeFileSync(path.join(dir, 'dispatcher.list'), '1 sip:127.0.0.1:5080 0 0\n');
    const r = spawnSync(process.execPath, [DSD_BIN, '-c', '-d', '-d', '-f', path.join(dir, 'dsd.cfg')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /config file ok/);
    assert.doesNotMatch(r.stdout + r.stderr, /warm-up|ready for traffic/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('READY=1 reaches $NOTIFY_SOCKET after the ready line, STOPPING=1 at SIGTERM', async () => {
  const dir = tmpDir('dsd-notify-');
  const sock = path.join(dir, 'notify');
  const got: Array<{ text: string; at: number }> = [];
  const server = new DgramSocket();
  server.on('data', (buf: Buffer) => got.push({ text: buf.toString(), at: Date.now() }));
  server.bind(sock);
  const [px] = await freePorts(1);
  let dsd: Dsd | null = null;
  try {
    dsd = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`] }),
      list: '1 sip:127.0.0.1:5080 0 0\n',
      env: { NOTIFY_SOCKET: sock },
    });
    await waitUntil(() => got.some((g) => g.text.split('\n').includes('READY=1')), {
      timeoutMs: 20_000,
      what: 'READY=1',
    });
    const ready = got.find((g) => g.text.split('\n').includes('READY=1'))!;
    assert.match(ready.text, /^STATUS=serving on udp:127\.0\.0\.1:\d+$/m);
    const line = lines(dsd).find((l) => /^dsd ready for traffic/.test(l.msg));
    assert.ok(line, dsd.output());
    assert.ok(Date.parse(line.time) <= ready.at, `ready logged at ${line.time}, READY=1 at ${ready.at}`);
    const d = dsd;
    dsd = null;
    assert.equal(await d.stop(), 0, d.output().slice(-2000));
    assert.ok(
      got.some((g) => g.text.split('\n').includes('STOPPING=1')),
      got.map((g) => g.text).join(' | '),
    );
  } finally {
    await dsd?.stop();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Calls sipp placed and completed once it ended (bounded). */
async function finish(p: SippProc, ms: number): Promise<{ ok: number; created: number; out: string; errors: string }> {
  const t = setTimeout(() => p.proc.kill('SIGINT'), ms);
  await p.done;
  clearTimeout(t);
  const out = p.output();
  // -error_file errors.log (relative: sipp runs in its temp dir, which stop() removes)
  const errFile = path.join(path.dirname(p.statFile), 'errors.log');
  const errors = fs.existsSync(errFile) ? fs.readFileSync(errFile, 'latin1').slice(0, 3000) : '';
  const s = await p.stop();
  return { ok: num(s, 'SuccessfulCall(C)'), created: num(s, 'OutgoingCall(C)'), out, errors };
}

test('a daemon started under a running UDP sipp load completes every call', { skip, timeout: 180_000 }, async () => {
  const [px, b1, b2, c1, c2, uac, c3] = await freePorts(7);
  const uas1 = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
  const uas2 = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
  // sipp first, at a port nobody reads yet: its INVITEs are retransmitted until dsd is there
  const load = startSipp({
    scenario: UAC_XML,
    port: uac,
    controlPort: c3,
    remote: `127.0.0.1:${px}`,
    calls: 400,
    rate: 100,
    extra: ['-max_retrans', '20', '-recv_timeout', '60000'],
  });
  let dsd: Dsd | null = null;
  try {
    // sipp's -fd 1 statistics: INVITEs are going out (and nobody answers them yet)
    await waitUntil(() => fs.existsSync(load.statFile) && num(readStats(load.statFile), 'OutgoingCall(C)') > 0, {
      timeoutMs: 30_000,
      what: 'sipp sending',
    });
    dsd = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: FR }),
      list: destinationList([b1, b2]),
      startTimeoutMs: 30_000,
      // the default (the test helper turns it off)
      env: { DSD_WARMUP_IDLE_MS: '2000' },
    });
    const r = await finish(load, 150_000);
    assert.equal(r.created, 400, r.out.slice(-1500));
    assert.equal(r.ok, 400, `every call completes:\n${r.out.slice(-2000)}`);
    const ls = lines(dsd);
    assert.ok(indexOf(ls, /^dsd ready for traffic/) < indexOf(ls, /^dsd: first SIP message read/), dsd.output());
    // the calls waiting at the start end the warm-up while idle at once (warmup-idle.ts)
    assert.equal(idleEnd(ls), 'a SIP message', dsd.output());
  } finally {
    await load.stop();
    await uas1.stop();
    await uas2.stop();
    if (dsd) assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
  }
});

/** A CPU hog (stress-ng --cpu 1, as the suite's slow-machine check), for the length of `f`. */
async function underCpuHog<T>(f: () => Promise<T>): Promise<T> {
  const hog = spawn('stress-ng', ['--cpu', '1', '--timeout', '150s', '--quiet'], { stdio: 'ignore' });
  try {
    return await f();
  } finally {
    hog.kill('SIGKILL');
  }
}

test(
  'under a CPU hog and a running sipp load, the warm-up stops at its budget, says what it cut, and every call completes',
  { skip: skip || needs('stress-ng'), timeout: 180_000 },
  () =>
    underCpuHog(async () => {
      const [px, b1, c1, uac, c2] = await freePorts(5);
      const uas = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
      const load = startSipp({
        scenario: UAC_XML,
        port: uac,
        controlPort: c2,
        remote: `127.0.0.1:${px}`,
        calls: 200,
        rate: 50,
        // -trace_err: sipp's cwd is its temp dir; a failure quotes what the caller did not expect
        extra: ['-max_retrans', '20', '-recv_timeout', '60000', '-trace_err', '-error_file', 'errors.log'],
      });
      let dsd: Dsd | null = null;
      const BUDGET = 40;
      try {
        await waitUntil(() => fs.existsSync(load.statFile) && num(readStats(load.statFile), 'OutgoingCall(C)') > 0, {
          timeoutMs: 30_000,
          what: 'sipp sending',
        });
        // a budget far below what a cold start under a hog needs: the deadline must cut the warm-up
        dsd = await startDsd({
          cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`, `tcp:127.0.0.1:${px}`], params: FR }),
          list: `1 sip:127.0.0.1:${b1} 0 0\n`,
          env: { DSD_WARMUP_MS: String(BUDGET) },
          startTimeoutMs: 60_000,
        });
        const r = await finish(load, 150_000);
        assert.equal(r.ok, 200, `every call completes:\n${r.out.slice(-1500)}\nsipp's errors:\n${r.errors}`);
        const ls = lines(dsd);
        const wi = indexOf(ls, /^dsd: warm-up done in/);
        const ri = indexOf(ls, /^dsd ready for traffic/);
        const fi = indexOf(ls, /^dsd: first SIP message read/);
        assert.ok(wi >= 0 && ri > wi && fi > ri, `warm-up, ready, first message:\n${dsd.output()}`);
        const w = ls[wi]! as Line & {
          budget_ms: number;
          warmup_ms: number;
          overrun_ms: number;
          longest_slice_ms: number;
          skipped: string[];
          cut_short: boolean;
          steps: Record<string, number>;
        };
        assert.equal(w.budget_ms, BUDGET, w.msg);
        // the work stopped at the first deadline check past the budget: the overrun is at most
        // the longest stretch between two checks (one message through the core, or the setup)
        assert.ok(w.overrun_ms <= w.longest_slice_ms + 0.1, w.msg);
        const work = w.steps.setup! + (w.steps.calls ?? 0);
        assert.ok(work <= BUDGET + w.longest_slice_ms + 0.2, `setup + calls within budget + one slice: ${w.msg}`);
        // and it used the budget: it was not stopped early
        assert.ok(work >= BUDGET - 0.2, w.msg);
        if (w.steps.calls === undefined) assert.deepEqual(w.skipped, ['calls'], w.msg);
        else assert.deepEqual(w.skipped, [], w.msg);
        // what the warm-up took is what the ready line reports
        const ready = ls[ri]! as Line & { warmup_ms: number; warmup_budget_ms: number; warmup_skipped: string[] };
        assert.equal(ready.warmup_ms, w.warmup_ms);
        assert.equal(ready.warmup_budget_ms, BUDGET);
        assert.deepEqual(ready.warmup_skipped, w.skipped);
        assert.match(
          ready.msg,
          new RegExp(`^dsd ready for traffic \\(warm-up ${w.warmup_ms} ms of a ${BUDGET} ms budget`),
        );
      } finally {
        await load.stop();
        await uas.stop();
        if (dsd) assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
      }
    }),
);

/** True once something listens on 127.0.0.1:port/tcp (/proc/net/tcp, state 0A). */
function tcpListening(port: number): boolean {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`;
  try {
    return fs.readFileSync('/proc/net/tcp', 'latin1').includes(want);
  } catch {
    return false;
  }
}

test(
  'TCP: a sipp load connecting the moment dsd listens completes every call',
  { skip, timeout: 180_000 },
  async () => {
    const [px, b1, b2, c1, c2, uac, c3] = await freePorts(7);
    const uas1 = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
    const uas2 = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
    const dsdP = startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`, `tcp:127.0.0.1:${px}`], params: FR }),
      list: destinationList([b1, b2]),
      startTimeoutMs: 30_000,
      // the default (the test helper turns it off)
      env: { DSD_WARMUP_IDLE_MS: '2000' },
    });
    // sipp's TCP mode cannot start before the port accepts: it connects as soon as it does,
    // while dsd is still finishing its start (probes, control socket, "started")
    let load: SippProc | null = null;
    let dsd: Dsd | null = null;
    try {
      await waitUntil(() => tcpListening(px), { timeoutMs: 30_000, everyMs: 5, what: 'dsd listening on TCP' });
      load = startSipp({
        scenario: UAC_XML,
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        transport: 't1',
        calls: 400,
        rate: 100,
        extra: ['-recv_timeout', '60000'],
      });
      dsd = await dsdP;
      const r = await finish(load, 150_000);
      assert.equal(r.ok, 400, `every call completes:\n${r.out.slice(-2000)}`);
      const ls = lines(dsd);
      const first = indexOf(ls, /^dsd: first SIP message read \(tcp/);
      assert.ok(first > indexOf(ls, /^dsd ready for traffic/), dsd.output());
      // a connection's messages, read while dsd warmed up idle, waited for it and ended it
      assert.equal(idleEnd(ls), 'a SIP message', dsd.output());
    } finally {
      await load?.stop();
      await uas1.stop();
      await uas2.stop();
      dsd ??= await dsdP.catch(() => null);
      if (dsd) assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
    }
  },
);

test(
  'a worker restarted after SIGKILL warms up in full before it takes traffic',
  { skip, timeout: 180_000 },
  async () => {
    const [px, b1, b2, c1, c2, uac, c3] = await freePorts(7);
    const uas1 = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
    const uas2 = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
    const dsd = await startDsd({
      // every call by Call-ID hash (children_pack=0): worker 1 gets its share whichever worker reads
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: [...FR, 'children_pack=0'] }),
      list: destinationList([b1, b2]),
      args: ['-n', '2'],
      startTimeoutMs: 30_000,
      // a warm-up of a second: the restarted worker is not ready for that long, which the test watches
      env: { DSD_WARMUP_MS: '1000' },
    });
    let load: SippProc | null = null;
    try {
      const pidOf = (ls: Line[], after = -1) => {
        const i = ls.findIndex((l, k) => k > after && /^worker 1 \(pid \d+\) ready/.test(l.msg));
        return i < 0 ? null : { i, pid: Number(/pid (\d+)/.exec(ls[i]!.msg)![1]) };
      };
      const first = pidOf(lines(dsd))!;
      assert.ok(first, dsd.output());
      // at the start worker 0, the first reader, warms up in full; the others for a fifth of
      // the budget, leaving it the cores (src/workers/ipc.ts, SHORT_WARMUP_ENV)
      const budgetOf = (ls: Line[], re: RegExp, pid?: number) => {
        const i = indexOf(ls, re, pid);
        assert.ok(i >= 0, `${re}:\n${dsd.output().slice(-4000)}`);
        return (ls[i] as Line & { budget_ms: number }).budget_ms;
      };
      assert.equal(budgetOf(lines(dsd), /^worker 0: warm-up done in/), 1000);
      assert.equal(budgetOf(lines(dsd), /^worker 1: warm-up done in/, first.pid), 200);
      // "started" is said once every worker is ready, and carries the primary's uptime then
      // (what the cold-start benchmark reports): past worker 0's whole warm-up of a second
      const started = lines(dsd).find((l) => / started, listening on .* 2 SIP workers/.test(l.msg)) as
        (Line & { uptime_ms?: number }) | undefined;
      assert.ok(started && typeof started.uptime_ms === 'number' && started.uptime_ms >= 1000, dsd.output());
      load = startSipp({
        scenario: UAC_XML,
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        calls: 3000,
        rate: 80,
      });
      await dsd.waitFor(new RegExp(`"pid":${first.pid}[^\\n]*first SIP message read`), 30_000);
      process.kill(first.pid, 'SIGKILL');
      await dsd.waitFor(`worker 1 (pid ${first.pid}) died`, 20_000);
      const died = indexOf(lines(dsd), new RegExp(`^worker 1 \\(pid ${first.pid}\\) died`));
      // while worker 1 restarts and warms up, worker 0 carries every call (core.workers: worker 1 READY 0)
      // in-process client: a dsctl process per sample would start slower than the worker restarts
      const rows = async () =>
        (await callRpc(`${dsd.dir}/dsd_ctl`, 'core.workers', undefined, 10_000).catch(() => null)) as Array<{
          INDEX: number;
          READY: number;
          REQUESTS: number;
        }> | null;
      const w0 = (rs: Awaited<ReturnType<typeof rows>>) => rs?.find((r) => r.INDEX === 0)?.REQUESTS ?? 0;
      const atDeath = w0(await rows());
      let whileDown = atDeath;
      let again: { i: number; pid: number } | null = null;
      await waitUntil(
        async () => {
          const rs = await rows();
          // worker 1 not ready: not yet forked again (no row), or starting and warming up (READY 0)
          if (rs && !rs.some((r) => r.INDEX === 1 && r.READY === 1)) whileDown = Math.max(whileDown, w0(rs));
          return (again = pidOf(lines(dsd), died)) !== null;
        },
        { timeoutMs: 60_000, everyMs: 20, what: 'worker 1 back' },
      );
      const back = again!;
      assert.ok(whileDown > atDeath, `worker 0 took requests while worker 1 was down (${atDeath} → ${whileDown})`);
      await dsd.waitFor(new RegExp(`"pid":${back.pid}[^\\n]*first SIP message read`), 30_000);
      const ls = lines(dsd);
      const warm = indexOf(ls, /^worker 1: warm-up done in \d+ ms/, back.pid);
      const read = indexOf(ls, /^worker 1: first SIP message read/, back.pid);
      assert.ok(warm > died, `the new worker warmed up:\n${dsd.output().slice(-4000)}`);
      assert.equal(budgetOf(ls, /^worker 1: warm-up done in/, back.pid), 1000, 'a restarted worker warms up in full');
      assert.ok(back.i > warm, 'the primary calls it ready after its warm-up');
      assert.match(ls[back.i]!.msg, /, warm-up \d+ ms, \d+ ms after the daemon's start$/);
      assert.ok(read > back.i, `traffic only after it is ready:\n${dsd.output().slice(-4000)}`);
    } finally {
      await load?.stop();
      await uas1.stop();
      await uas2.stop();
      assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
    }
  },
);
