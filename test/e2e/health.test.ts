/**
 * Keepalive health checks against the real daemon over loopback UDP, with raw SIP peers
 * as backends whose answers the test controls:
 *  - a backend that goes silent turns AP → IP after threshold unanswered probes (counted,
 *    not timed), gets no calls while down, and is AP again when it answers;
 *  - `dispatcher.ping_active 0` stops the probes and `1` restarts them;
 *  - ds_ping_reply_codes decides whether a 404 keeps a backend alive;
 *  - AVG/STD/EST/MAX/TIMEOUT of dispatcher.list follow Kamailio 5.6's formulas applied to
 *    the reply delays the backends actually produced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { startDsd, basicCfg, DSCTL_BIN, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { UdpPeer, Received, makeResponse, methodOf, statusOf, callIdOf } from '../helpers/sip-peer';
import { callRpc } from '../../src/cli/client';
import { dispatcherRows, type DispatcherListResult, type DispatcherDest } from '../../src/rpc-api/results';
import { waitUntil } from '../helpers/wait';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** basicCfg with tm's fr_timer replaced (etc/dsd.cfg sets it after the extra modparams). */
function cfgWithFr(frMs: number, o: Parameters<typeof basicCfg>[0]): string {
  const base = basicCfg(o);
  const line = /^modparam\("tm", "fr_timer", \d+\)$/m;
  assert.match(base, line);
  return base.replace(line, `modparam("tm", "fr_timer", ${frMs})`);
}

function dsctl(dsd: Dsd, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [DSCTL_BIN, '-s', `unix:${dsd.dir}/dsd_ctl`, ...args], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function listDests(dsd: Dsd): Promise<DispatcherDest[]> {
  const r = (await callRpc(`${dsd.dir}/dsd_ctl`, 'dispatcher.list', undefined, 5000)) as DispatcherListResult;
  return dispatcherRows(r).map((x) => x.dest);
}

async function flagsOf(dsd: Dsd, uri: string): Promise<string | undefined> {
  return (await listDests(dsd)).find((d) => d.URI === uri)?.FLAGS;
}

/** Polls every 50 ms until `uri` shows `flags`; returns when (performance.now()) it did. */
async function waitFlags(dsd: Dsd, uri: string, flags: string, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let last: string | undefined;
  while (performance.now() < until) {
    last = await flagsOf(dsd, uri);
    if (last === flags) return performance.now();
    await sleep(50);
  }
  throw new Error(`${uri} never showed ${flags} within ${ms} ms (last ${last})`);
}

/**
 * A backend on its own UDP port. OPTIONS get `optionsCode` after `delay(n)` ms (n = the
 * probe's number, from 1), or nothing when `silent`/delay is null; other requests get 200.
 * Retransmissions of one probe are recognised by Call-ID and never answered twice.
 */
class Backend {
  silent = false;
  optionsCode = 200;
  delay: (n: number) => number | null = () => 0;
  probes = 0;
  /** Every answered probe: how long the reply was held, ms. */
  readonly held: number[] = [];
  readonly requests: Received[] = [];
  private readonly seen = new Set<string>();

  private constructor(readonly peer: UdpPeer) {
    peer.onMessage((m) => this.onMessage(m));
  }

  static async open(port: number): Promise<Backend> {
    return new Backend(await UdpPeer.open({ host: '127.0.0.1', port }));
  }

  get uri(): string {
    return `sip:127.0.0.1:${this.peer.port}`;
  }

  private onMessage(m: Received): void {
    if (statusOf(m.text) !== 0) return;
    const method = methodOf(m.text);
    if (method !== 'OPTIONS') {
      if (method === 'ACK') return;
      this.requests.push(m);
      void this.peer.send(makeResponse(m.text, 200, 'OK'), m.from.port, m.from.ip);
      return;
    }
    const id = callIdOf(m.text) ?? '';
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const n = ++this.probes;
    if (this.silent) return;
    const d = this.delay(n);
    if (d === null) return;
    const got = performance.now();
    const reply = makeResponse(m.text, this.optionsCode, this.optionsCode === 200 ? 'OK' : 'Not Found');
    const send = (): void => {
      this.held.push(performance.now() - got);
      try {
        this.peer.sock.send(reply, m.from.port, m.from.ip);
      } catch {
        /* a delayed reply after the test closed the socket */
      }
    };
    if (d <= 0) send();
    else setTimeout(send, d);
  }

  close(): Promise<void> {
    return this.peer.close();
  }
}

/** A UAC that sends MESSAGE requests through the proxy and waits for each final reply. */
async function sendCalls(uac: UdpPeer, proxyPort: number, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const callId = `${tag}-${i}-${Date.now()}@health`;
    const from = uac.received.length;
    const msg =
      `MESSAGE sip:svc@127.0.0.1:${proxyPort} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bK${tag}${i}x${Date.now()}\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:uac@127.0.0.1>;tag=u${i}\r\nTo: <sip:svc@127.0.0.1>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n`;
    await uac.send(msg, proxyPort);
    const r = await uac.waitFor((m) => callIdOf(m.text) === callId && statusOf(m.text) >= 200, 5000, from);
    assert.equal(statusOf(r.text), 200, `call ${callId}: ${r.text}`);
  }
}

/** Distinct requests (by Call-ID: retransmissions count once) a backend got since `at`. */
const messagesAfter = (b: Backend, at: number): number =>
  new Set(b.requests.filter((m) => m.at >= at).map((m) => callIdOf(m.text))).size;

test(
  'a silent backend goes AP → IP after threshold unanswered probes, gets no calls, comes back after threshold answered ones; ping_active',
  { timeout: 60_000 },
  async () => {
    const [px, ph, pf] = await freePorts(3);
    const h = await Backend.open(ph);
    const f = await Backend.open(pf);
    const uac = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
    const threshold = 2;
    const dsd = await startDsd({
      cfg: cfgWithFr(500, {
        listen: [`udp:127.0.0.1:${px}`],
        params: [
          'modparam("dispatcher", "ds_ping_interval", 1)',
          'modparam("dispatcher", "ds_probing_mode", 1)',
          `modparam("dispatcher", "ds_probing_threshold", ${threshold})`,
          `modparam("dispatcher", "ds_inactive_threshold", ${threshold})`,
        ],
      }),
      list: `1 ${h.uri} 0 0\n1 ${f.uri} 0 0\n`,
    });
    try {
      await waitFlags(dsd, h.uri, 'AP', 5000);
      await waitFlags(dsd, f.uri, 'AP', 5000);

      // outage: the first unanswered probe comes at most one interval later, each one
      // fails after fr_timer; the threshold-th failure makes it inactive
      // (counted in probes, not milliseconds: a slow machine stretches the time, not the count)
      const p0 = f.probes;
      f.silent = true;
      await waitFlags(dsd, f.uri, 'IP', 30_000);
      assert.ok(f.probes - p0 >= threshold, `IP after ${f.probes - p0} unanswered probes: before ${threshold} failed`);
      assert.equal(await flagsOf(dsd, h.uri), 'AP');

      const callsAt = Date.now();
      await sendCalls(uac, px, 4, 'down');
      assert.equal(messagesAfter(h, callsAt), 4, 'every call went to the healthy backend');
      assert.equal(messagesAfter(f, callsAt), 0, 'the inactive backend got no call');

      // recovery: inactive_threshold answered probes bring it back
      const p1 = f.probes;
      f.silent = false;
      await waitFlags(dsd, f.uri, 'AP', 30_000);
      assert.ok(
        f.held.length > 0 && f.probes - p1 >= threshold,
        `AP after ${f.probes - p1} answered probes: before ${threshold}`,
      );
      const againAt = Date.now();
      await sendCalls(uac, px, 4, 'up');
      assert.equal(messagesAfter(f, againAt), 2, 'round robin uses the recovered backend again');
      assert.equal(messagesAfter(h, againAt), 2);

      // ping_active 0: no more probes; 1: probing resumes
      let r = dsctl(dsd, 'dispatcher.ping_active', '0');
      assert.equal(r.code, 0, r.err);
      // over three intervals at most the probe already due when the switch flipped arrives (one per backend);
      // probing on would bring at least two more each
      const before = h.probes + f.probes;
      await sleep(3000);
      assert.ok(h.probes + f.probes - before <= 2, `${h.probes + f.probes - before} keepalives while ping_active is 0`);
      assert.equal(JSON.parse(dsctl(dsd, '--json', 'dispatcher.ping_active').out).OldPingState, 0);
      r = dsctl(dsd, 'dispatcher.ping_active', '1');
      assert.equal(r.code, 0, r.err);
      const hp = h.probes,
        fp = f.probes;
      await waitUntil(() => h.probes > hp && f.probes > fp, { what: 'keepalives resumed after ping_active 1' });
    } finally {
      await dsd.stop();
      await h.close();
      await f.close();
      await uac.close();
    }
  },
);

test(
  'ds_ping_reply_codes: a 404 to OPTIONS is a failure by default and success with code=404',
  { timeout: 30_000 },
  async () => {
    const [p1, p2, b1, b2] = await freePorts(4);
    const plain = await Backend.open(b1);
    const listed = await Backend.open(b2);
    plain.optionsCode = 404;
    listed.optionsCode = 404;
    const cfg = (px: number, extra: string[]) =>
      basicCfg({
        listen: [`udp:127.0.0.1:${px}`],
        params: [
          'modparam("dispatcher", "ds_ping_interval", 1)',
          'modparam("dispatcher", "ds_probing_mode", 1)',
          ...extra,
        ],
      });
    const [d1, d2] = await Promise.all([
      startDsd({ cfg: cfg(p1, []), list: `1 ${plain.uri} 0 0\n` }),
      startDsd({
        cfg: cfg(p2, ['modparam("dispatcher", "ds_ping_reply_codes", "class=3;code=404")']),
        list: `1 ${listed.uri} 0 0\n`,
      }),
    ]);
    try {
      await waitUntil(() => plain.probes >= 3 && listed.probes >= 3, {
        what: `3 probes each (${plain.probes}, ${listed.probes})`,
      });
      // the plain one turns inactive once its 404s are counted; the listed one is active by then and stays so
      await waitUntil(async () => (await flagsOf(d1, plain.uri)) === 'IP', {
        what: '404 without ds_ping_reply_codes: inactive',
      });
      await waitUntil(async () => listed.held.length >= 3 && (await flagsOf(d2, listed.uri)) === 'AP', {
        what: '404 listed: active',
      });
      assert.equal(await flagsOf(d2, listed.uri), 'AP', '404 listed in ds_ping_reply_codes: active');
    } finally {
      await Promise.all([d1.stop(), d2.stop()]);
      await plain.close();
      await listed.close();
    }
  },
);

// ---- latency: Kamailio 5.6 formulas, computed independently ---------------------------

interface Expected {
  avg: number;
  std: number;
  est: number;
  max: number;
  count: number;
}

/** latency_stats_update() of 5.6 over whole-ms samples (EST = α·EST + (1 − α)·latency). */
function expectedStats(samples: readonly number[], alpha: number): Expected {
  let count = 0,
    avg = 0,
    m2 = 0,
    std = 0,
    est = 0,
    max = 0;
  for (const lat of samples) {
    count++;
    if (count === 1) {
      avg = lat;
      est = lat;
      max = lat;
      std = 0;
      m2 = 0;
    }
    if (count > 10 && count < 10000 && std < 0.5) count = 10000;
    if (lat > max) max = lat;
    if (count > 1) {
      const d = lat - avg;
      avg += d / count;
      m2 += d * (lat - avg);
      std = Math.sqrt(m2 / (count - 1));
    }
    est = count < 10 ? avg : alpha * est + (1 - alpha) * lat;
  }
  return { avg, std, est, max, count };
}

/**
 * The samples dsd took, from its debug log ("keepalive latency sample URI N ms"), in
 * order. dsd's clock also covers the loopback hops and its own event loop, which on a
 * slow or busy machine can add tens of ms to a sample: the formulas are therefore
 * checked exactly over the samples dsd reports, and each sample against the delay the
 * backend injected (never below it, one-sided), so the test holds on any machine.
 */
function loggedSamples(output: string, uri: string): number[] {
  const out: number[] = [];
  const re = /keepalive latency sample (\S+) (\d+) ms/g;
  for (let m = re.exec(output); m; m = re.exec(output)) if (m[1] === uri) out.push(Number(m[2]));
  return out;
}

test(
  'latency: AVG/STD/EST/MAX follow the 5.6 formulas over the samples taken; each sample covers the injected delay; TIMEOUT counts unanswered probes',
  { timeout: 90_000 },
  async () => {
    const [px, ...ports] = await freePorts(4);
    const [l1, l2, l3] = await Promise.all(ports.map((p) => Backend.open(p)));
    const seq1 = [20, 40, 60, 20, 40, 60, 20, 40, 60, 20, 40, 90, 20];
    const seq2 = [10, 70, 30, 50, 10, 70, 30, 50, 10, 70, 30, 50, 80];
    l1.delay = (n) => seq1[(n - 1) % seq1.length];
    l2.delay = (n) => seq2[(n - 1) % seq2.length];
    const dropped = new Set([3, 6]);
    l3.delay = (n) => (dropped.has(n) ? null : 25);
    const want = 14;
    const dsd = await startDsd({
      // fr_timer well above the injected delays: a loaded machine must not turn a slow answer into a timeout
      cfg: cfgWithFr(3000, {
        listen: [`udp:127.0.0.1:${px}`],
        params: [
          'modparam("dispatcher", "ds_ping_interval", 1)',
          'modparam("dispatcher", "ds_probing_mode", 1)',
          'modparam("dispatcher", "ds_ping_latency_stats", 1)',
        ],
      }),
      list: `1 ${l1.uri} 0 0\n1 ${l2.uri} 0 0\n2 ${l3.uri} 0 0\n`,
      args: ['-d'], // debug=3: the latency samples are logged
    });
    try {
      await waitUntil(() => l1.held.length >= want && l2.held.length >= want && l3.probes >= want, {
        timeoutMs: 60_000,
        what: `${want} answered probes per backend`,
      });
      assert.equal(dsctl(dsd, 'dispatcher.ping_active', '0').code, 0);
      // once probing stopped, the statistics settle: every answered probe is a sample or was sent before P was set
      let dests: DispatcherDest[] = [];
      const lat = (b: Backend) => {
        const d = dests.find((x) => x.URI === b.uri);
        assert.ok(d?.LATENCY, `no LATENCY for ${b.uri}`);
        return d.LATENCY;
      };
      // a probe still in flight may land after ping_active 0: read the list between two equal looks at the log
      await waitUntil(
        async () => {
          const before = dsd.output().length;
          const ready = [l1, l2].every((b) => loggedSamples(dsd.output(), b.uri).length >= b.held.length - 1);
          if (!ready) return false;
          const r = dsctl(dsd, '--json', 'dispatcher.list');
          if (r.code !== 0) return false;
          dests = dispatcherRows(JSON.parse(r.out) as DispatcherListResult).map((x) => x.dest);
          return dsd.output().length === before;
        },
        { what: 'the samples and the statistics to settle' },
      );
      for (const b of [l1, l2]) {
        const got = lat(b);
        const samples = loggedSamples(dsd.output(), b.uri);
        // the first answered probe may precede P (mode 1 sets it with the first reply): no sample
        assert.ok(
          samples.length >= want - 1 && samples.length <= b.held.length,
          `${b.uri}: ${samples.length} samples for ${b.held.length} answers`,
        );
        const held = b.held.slice(b.held.length - samples.length);
        samples.forEach((s, i) =>
          assert.ok(
            s >= Math.floor(held[i]) - 1,
            `${b.uri}: sample ${i} = ${s} ms, below the ${held[i].toFixed(1)} ms the backend held it`,
          ),
        );
        const e = expectedStats(samples, 0.9);
        const msg = `${b.uri}: got ${JSON.stringify(got)}, expected ${JSON.stringify(e)} from samples ${samples.join(',')}`;
        // float32 arithmetic in dsd (as in Kamailio) against doubles here, and dispatcher.list prints integers
        const close = (v: number, x: number): boolean => Math.abs(v - x) <= 1;
        assert.ok(close(got.AVG, e.avg), `AVG ${msg}`);
        assert.ok(close(got.STD, e.std), `STD ${msg}`);
        assert.ok(close(got.EST, e.est), `EST ${msg}`);
        assert.equal(got.MAX, e.max, `MAX ${msg}`);
        // an answered probe is a sample, or arrived after fr_timer (a TIMEOUT), or preceded P
        assert.ok(
          got.TIMEOUT <= b.held.length - samples.length && got.TIMEOUT >= b.held.length - samples.length - 1,
          `TIMEOUT ${msg}`,
        );
        // the estimator convention matters: 5.6's α = 0.9 weights history, not the last sample
        const flipped = expectedStats(samples, 0.1);
        if (Math.abs(e.est - flipped.est) > 3)
          assert.ok(!close(got.EST, flipped.est), `EST must not follow the flipped convention: ${msg}`);
      }
      const t3 = lat(l3);
      assert.equal(t3.TIMEOUT, [...dropped].filter((n) => n <= l3.probes).length, `TIMEOUT ${JSON.stringify(t3)}`);
      const s3 = loggedSamples(dsd.output(), l3.uri);
      const e3 = expectedStats(s3, 0.9);
      assert.ok(
        Math.abs(t3.AVG - e3.avg) <= 1 && Math.abs(t3.STD - e3.std) <= 1 && s3.every((x) => x >= 24),
        `steady 25 ms: ${JSON.stringify(t3)} from ${s3.join(',')}`,
      );
    } finally {
      await dsd.stop();
      for (const b of [l1, l2, l3]) await b.close();
    }
  },
);
