/**
 * Keepalive health checks against the real daemon over loopback UDP, with raw SIP peers
 * as backends whose answers the test controls:
 *  - a backend that goes silent turns AP → IP within threshold × interval (+ one
 *    interval), gets no calls while down, and is AP again when it answers;
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** basicCfg with tm's fr_timer replaced (etc/dsd.cfg sets it after the extra modparams). */
function cfgWithFr(frMs: number, o: Parameters<typeof basicCfg>[0]): string {
  const base = basicCfg(o);
  const line = /^modparam\("tm", "fr_timer", \d+\)$/m;
  assert.match(base, line);
  return base.replace(line, `modparam("tm", "fr_timer", ${frMs})`);
}

function dsctl(dsd: Dsd, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [DSCTL_BIN, '-s', `unix:${dsd.dir}/dsd_ctl`, ...args], { encoding: 'utf8', timeout: 15_000 });
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
      this.peer.sock.send(reply, m.from.port, m.from.ip);
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

test('a silent backend goes AP → IP within threshold × interval + one interval, gets no calls, comes back; ping_active',
  { timeout: 60_000 }, async () => {
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
      f.silent = true;
      const t0 = performance.now();
      const down = await waitFlags(dsd, f.uri, 'IP', 6000) - t0;
      assert.ok(down <= (threshold + 1) * 1000 + 250, `AP → IP took ${down.toFixed(0)} ms`);
      assert.ok(down >= (threshold - 1) * 1000 + 500 - 150, `IP after ${down.toFixed(0)} ms: before ${threshold} failed probes`);
      assert.equal(await flagsOf(dsd, h.uri), 'AP');

      const callsAt = Date.now();
      await sendCalls(uac, px, 4, 'down');
      assert.equal(messagesAfter(h, callsAt), 4, 'every call went to the healthy backend');
      assert.equal(messagesAfter(f, callsAt), 0, 'the inactive backend got no call');

      // recovery: inactive_threshold answered probes bring it back
      f.silent = false;
      const t1 = performance.now();
      const up = await waitFlags(dsd, f.uri, 'AP', 6000) - t1;
      assert.ok(up <= (threshold + 1) * 1000 + 250, `IP → AP took ${up.toFixed(0)} ms`);
      assert.ok(up >= (threshold - 1) * 1000 - 150, `AP after ${up.toFixed(0)} ms: before ${threshold} answered probes`);
      const againAt = Date.now();
      await sendCalls(uac, px, 4, 'up');
      assert.equal(messagesAfter(f, againAt), 2, 'round robin uses the recovered backend again');
      assert.equal(messagesAfter(h, againAt), 2);

      // ping_active 0: no more probes; 1: probing resumes
      let r = dsctl(dsd, 'dispatcher.ping_active', '0');
      assert.equal(r.code, 0, r.err);
      await sleep(600);
      const before = h.probes + f.probes;
      await sleep(2500);
      assert.equal(h.probes + f.probes, before, 'no keepalive while ping_active is 0');
      assert.equal(JSON.parse(dsctl(dsd, '--json', 'dispatcher.ping_active').out).OldPingState, 0);
      r = dsctl(dsd, 'dispatcher.ping_active', '1');
      assert.equal(r.code, 0, r.err);
      const hp = h.probes, fp = f.probes;
      const until = Date.now() + 2500;
      while ((h.probes === hp || f.probes === fp) && Date.now() < until) await sleep(50);
      assert.ok(h.probes > hp && f.probes > fp, 'keepalives resumed after ping_active 1');
    } finally {
      await dsd.stop();
      await h.close();
      await f.close();
      await uac.close();
    }
  });

test('ds_ping_reply_codes: a 404 to OPTIONS is a failure by default and success with code=404', { timeout: 30_000 }, async () => {
  const [p1, p2, b1, b2] = await freePorts(4);
  const plain = await Backend.open(b1);
  const listed = await Backend.open(b2);
  plain.optionsCode = 404;
  listed.optionsCode = 404;
  const cfg = (px: number, extra: string[]) => basicCfg({
    listen: [`udp:127.0.0.1:${px}`],
    params: ['modparam("dispatcher", "ds_ping_interval", 1)', 'modparam("dispatcher", "ds_probing_mode", 1)', ...extra],
  });
  const [d1, d2] = await Promise.all([
    startDsd({ cfg: cfg(p1, []), list: `1 ${plain.uri} 0 0\n` }),
    startDsd({ cfg: cfg(p2, ['modparam("dispatcher", "ds_ping_reply_codes", "class=3;code=404")']), list: `1 ${listed.uri} 0 0\n` }),
  ]);
  try {
    const until = Date.now() + 8000;
    while ((plain.probes < 3 || listed.probes < 3) && Date.now() < until) await sleep(100);
    assert.ok(plain.probes >= 3 && listed.probes >= 3, `probes: ${plain.probes}, ${listed.probes}`);
    await sleep(100);
    assert.equal(await flagsOf(d1, plain.uri), 'IP', '404 without ds_ping_reply_codes: inactive');
    assert.equal(await flagsOf(d2, listed.uri), 'AP', '404 listed in ds_ping_reply_codes: active');
  } finally {
    await Promise.all([d1.stop(), d2.stop()]);
    await plain.close();
    await listed.close();
  }
});

// ---- latency: Kamailio 5.6 formulas, computed independently ---------------------------

interface Expected { avg: number; std: number; est: number; max: number; count: number }

/** latency_stats_update() of 5.6 over whole-ms samples (EST = α·EST + (1 − α)·latency). */
function expectedStats(samples: readonly number[], alpha: number): Expected {
  let count = 0, avg = 0, m2 = 0, std = 0, est = 0, max = 0;
  for (const lat of samples) {
    count++;
    if (count === 1) { avg = lat; est = lat; max = lat; std = 0; m2 = 0; }
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

test('latency: AVG/STD/EST/MAX follow the 5.6 formulas over the observed delays; TIMEOUT counts unanswered probes',
  { timeout: 60_000 }, async () => {
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
      cfg: cfgWithFr(400, {
        listen: [`udp:127.0.0.1:${px}`],
        params: [
          'modparam("dispatcher", "ds_ping_interval", 1)',
          'modparam("dispatcher", "ds_probing_mode", 1)',
          'modparam("dispatcher", "ds_ping_latency_stats", 1)',
        ],
      }),
      list: `1 ${l1.uri} 0 0\n1 ${l2.uri} 0 0\n2 ${l3.uri} 0 0\n`,
    });
    try {
      // Kamailio measures only replies that find P set: mode 1 adds P with the first reply,
      // so unless the list file set P, the first answered probe is not a sample
      const initialP = new Map<string, boolean>();
      for (const d of await listDests(dsd)) initialP.set(d.URI, d.FLAGS[1] === 'P');
      const until = Date.now() + 25_000;
      while ((l1.held.length < want || l2.held.length < want || l3.probes < want) && Date.now() < until) await sleep(100);
      assert.equal(dsctl(dsd, 'dispatcher.ping_active', '0').code, 0);
      await sleep(700); // the last delayed replies and timeouts land
      const j = dsctl(dsd, '--json', 'dispatcher.list');
      assert.equal(j.code, 0, j.err);
      const dests = dispatcherRows(JSON.parse(j.out) as DispatcherListResult).map((r) => r.dest);
      const lat = (b: Backend) => {
        const d = dests.find((x) => x.URI === b.uri);
        assert.ok(d?.LATENCY, `no LATENCY for ${b.uri}`);
        return d.LATENCY;
      };
      for (const b of [l1, l2]) {
        assert.ok(b.held.length >= want, `${b.uri}: only ${b.held.length} probes answered`);
        const got = lat(b);
        // dsd measures whole milliseconds between send and reply: the hold time plus loopback
        const samples = b.held.map((x) => Math.round(x)).slice(initialP.get(b.uri) ? 0 : 1);
        const e = expectedStats(samples, 0.9);
        const msg = `${b.uri}: got ${JSON.stringify(got)}, expected ${JSON.stringify(e)} from ${b.held.map((x) => x.toFixed(1)).join(',')}`;
        // the daemon's clock also covers the loopback hops and its own event loop (≈ 1 ms),
        // never less than the hold: a one-sided tolerance
        const near = (v: number, x: number): boolean => v >= x - 1.5 && v <= x + 4;
        assert.ok(near(got.AVG, e.avg), `AVG ${msg}`);
        assert.ok(Math.abs(got.STD - e.std) <= 3, `STD ${msg}`);
        assert.ok(near(got.EST, e.est), `EST ${msg}`);
        assert.ok(got.MAX >= e.max - 1 && got.MAX <= e.max + 6, `MAX ${msg}`);
        assert.equal(got.TIMEOUT, 0, msg);
        // the estimator convention matters: 5.6's α = 0.9 weights history, not the last sample
        const flipped = expectedStats(samples, 0.1);
        assert.ok(Math.abs(got.EST - flipped.est) > 3, `EST must not follow the flipped convention: ${msg}`);
      }
      const t3 = lat(l3);
      assert.equal(t3.TIMEOUT, [...dropped].filter((n) => n <= l3.probes).length, `TIMEOUT ${JSON.stringify(t3)}`);
      assert.ok(Math.abs(t3.AVG - 25) <= 3 && t3.STD <= 3, `steady 25 ms: ${JSON.stringify(t3)}`);
    } finally {
      await dsd.stop();
      for (const b of [l1, l2, l3]) await b.close();
    }
  });
