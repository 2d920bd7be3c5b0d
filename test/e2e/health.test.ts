/**
 * Keepalive health checks over loopback UDP, with raw SIP peers as backends whose
 * answers the test controls. Every case runs on dsd and on Kamailio 5.6 (the oracle,
 * required in CI) with the same cfg, and the same assertions hold on both:
 *  - a backend that goes silent turns AP → IP after threshold unanswered probes (counted,
 *    not timed), gets no calls while down, and is AP again when it answers;
 *  - `dispatcher.ping_active 0` stops the probes and `1` restarts them;
 *  - ds_ping_reply_codes decides whether a 404 keeps a backend alive;
 *  - AVG/STD/EST/MAX/TIMEOUT of dispatcher.list follow 5.6's formulas applied to the
 *    samples each side logged (dsd: "keepalive latency sample", Kamailio: its LM_DBG line
 *    in ds_update_latency), so Kamailio itself shows the model of the formulas is its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { freePorts } from '../helpers/ports';
import { UdpPeer, Received, makeResponse, methodOf, statusOf, callIdOf } from '../helpers/sip-peer';
import { pause, waitUntil } from '../helpers/wait';
import { destFlags, observeEach, oracleCfg, same, type Impl, type ProxyUnderTest } from '../helpers/oracle';
import { at } from '../helpers/at';
import { destinationList } from '../helpers/daemon';

/** Round robin over set 1; MESSAGE requests are relayed statefully. */
const ROUTE = `
request_route {
  if (!ds_select_dst("1", "4")) { sl_send_reply("503", "No destination"); exit; }
  t_relay();
  exit;
}`;

const PROBING = ['modparam("dispatcher", "ds_ping_interval", 1)', 'modparam("dispatcher", "ds_probing_mode", 1)'];

async function flagsOf(p: ProxyUnderTest, uri: string, set = 1): Promise<string | undefined> {
  return (await destFlags(p))[`${set} ${uri}`];
}

/** Waits (async ctl: the backends keep answering meanwhile) until `uri` shows `flags`. */
async function waitFlags(p: ProxyUnderTest, uri: string, flags: string): Promise<void> {
  await waitUntil(async () => (await flagsOf(p, uri)) === flags, { what: `${uri} ${flags}` });
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
    const r = await uac.waitFor((m) => callIdOf(m.text) === callId && statusOf(m.text) >= 200, 30_000, from);
    assert.equal(statusOf(r.text), 200, `call ${callId}: ${r.text}`);
  }
}

/** Distinct requests (by Call-ID: retransmissions count once) a backend got since `at`. */
const messagesAfter = (b: Backend, at: number): number =>
  new Set(b.requests.filter((m) => m.at >= at).map((m) => callIdOf(m.text))).size;

test(
  'a silent backend goes AP → IP after threshold unanswered probes, gets no calls, comes back after threshold answered ones; ping_active',
  { timeout: 240_000 },
  async () => {
    const [px, ph, pf, pu] = await freePorts(4);
    const threshold = 2;
    const cfg = oracleCfg(px, ROUTE, [
      'modparam("tm", "fr_timer", 1000)',
      ...PROBING,
      `modparam("dispatcher", "ds_probing_threshold", ${threshold})`,
      `modparam("dispatcher", "ds_inactive_threshold", ${threshold})`,
    ]);
    const list = destinationList([ph, pf]);
    const seen = await observeEach({ cfg, list }, async (p) => {
      const h = await Backend.open(ph);
      const f = await Backend.open(pf);
      const uac = await UdpPeer.open({ host: '127.0.0.1', port: pu });
      try {
        await waitFlags(p, h.uri, 'AP');
        await waitFlags(p, f.uri, 'AP');

        // outage: each unanswered probe fails after fr_timer; the threshold-th failure makes it
        // inactive (counted in probes, not milliseconds: a slow machine stretches the time, not the count)
        const p0 = f.probes;
        f.silent = true;
        await waitFlags(p, f.uri, 'IP');
        const failedBeforeIP = f.probes - p0;
        const hDuringOutage = await flagsOf(p, h.uri);

        const callsAt = Date.now();
        await sendCalls(uac, px, 4, 'down');
        const outage = { h: messagesAfter(h, callsAt), f: messagesAfter(f, callsAt) };

        // recovery: inactive_threshold answered probes bring it back
        const p1 = f.probes;
        f.silent = false;
        await waitFlags(p, f.uri, 'AP');
        const answeredBeforeAP = f.probes - p1;
        const againAt = Date.now();
        await sendCalls(uac, px, 4, 'up');
        const recovered = { h: messagesAfter(h, againAt), f: messagesAfter(f, againAt) };

        // ping_active 0: no more probes; 1: probing resumes
        let r = await p.ctlAsync('dispatcher.ping_active', '0');
        assert.equal(r.code, 0, r.err);
        // over three intervals at most the probe already due when the switch flipped arrives
        // (one per backend); probing on would bring at least two more each. A slower machine
        // only makes this window see fewer probes: it can pass wrongly, never fail wrongly.
        const before = h.probes + f.probes;
        await pause(3000);
        const whileOff = h.probes + f.probes - before;
        const state = (await p.ctlAsync('dispatcher.ping_active')).out.trim();
        r = await p.ctlAsync('dispatcher.ping_active', '1');
        assert.equal(r.code, 0, r.err);
        const hp = h.probes;
        const fp = f.probes;
        await waitUntil(() => h.probes > hp && f.probes > fp, { what: 'keepalives resumed after ping_active 1' });
        return {
          thresholdMet: failedBeforeIP >= threshold && answeredBeforeAP >= threshold,
          hDuringOutage,
          outage,
          recovered,
          quietWhileOff: whileOff <= 2,
          state,
        };
      } finally {
        await h.close();
        await f.close();
        await uac.close();
      }
    });
    const d = same(seen);
    assert.ok(d.thresholdMet, 'IP and AP again only after threshold probes');
    assert.equal(d.hDuringOutage, 'AP');
    assert.deepEqual(d.outage, { h: 4, f: 0 }, 'every call went to the healthy backend');
    assert.deepEqual(d.recovered, { h: 2, f: 2 }, 'round robin uses the recovered backend again');
    assert.ok(d.quietWhileOff, 'no keepalives while ping_active is 0');
    assert.match(d.state, /OldPingState: 0/);
  },
);

test(
  'ds_ping_reply_codes: a 404 to OPTIONS is a failure by default and success with code=404',
  { timeout: 240_000 },
  async () => {
    const [px, pb] = await freePorts(2);
    const run = (extra: string[]): Promise<Map<Impl, string | undefined>> =>
      observeEach(
        { cfg: oracleCfg(px, ROUTE, [...PROBING, ...extra]), list: `1 sip:127.0.0.1:${pb} 0 0\n` },
        async (p) => {
          const b = await Backend.open(pb);
          b.optionsCode = 404;
          try {
            // three answered probes: by then the 404s have been counted either way
            await waitUntil(() => b.held.length >= 3, { what: `3 answered probes (${b.probes})` });
            const last = b.probes;
            await waitUntil(() => b.probes > last, { what: 'one more probe' });
            return await flagsOf(p, b.uri);
          } finally {
            await b.close();
          }
        },
      );
    assert.equal(same(await run([])), 'IP', '404 without ds_ping_reply_codes: inactive');
    assert.equal(
      same(await run(['modparam("dispatcher", "ds_ping_reply_codes", "class=3;code=404")'])),
      'AP',
      '404 listed in ds_ping_reply_codes: active',
    );
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
 * The latency samples a proxy took for `uri`, from its debug log, in order: dsd logs
 * "keepalive latency sample URI N ms", Kamailio 5.6 "[count]latency[N]avg[..][URI]code[C]"
 * (a 408 is a timeout, not a sample). Each side's clock also covers the loopback hops and
 * its own event loop, which on a slow or busy machine can add tens of ms to a sample: the
 * formulas are therefore checked exactly over the samples the proxy reports, and each
 * sample against the delay the backend injected (never below it, one-sided).
 */
function loggedSamples(output: string, uri: string): number[] {
  const out: number[] = [];
  const dsd = /keepalive latency sample (\S+) (\d+) ms/g;
  for (let m = dsd.exec(output); m; m = dsd.exec(output)) if (m[1] === uri) out.push(Number(m[2]));
  const kam = /\]latency\[(\d+)\]avg\[[^\]]*\]\[([^\]]+)\]code\[(\d+)\]/g;
  for (let m = kam.exec(output); m; m = kam.exec(output)) if (m[2] === uri && m[3] !== '408') out.push(Number(m[1]));
  return out;
}

interface Latency {
  AVG: number;
  STD: number;
  EST: number;
  MAX: number;
  TIMEOUT: number;
}

/** LATENCY of every destination in dispatcher.list text (kamcmd or dsctl), by URI. */
function latencies(text: string): Map<string, Latency> {
  const out = new Map<string, Latency>();
  let uri = '';
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(': ');
    if (k === 'URI') uri = v!;
    else if (k === 'AVG' || k === 'STD' || k === 'EST' || k === 'MAX' || k === 'TIMEOUT') {
      const l = out.get(uri) ?? { AVG: NaN, STD: NaN, EST: NaN, MAX: NaN, TIMEOUT: NaN };
      l[k] = Number(v);
      out.set(uri, l);
    }
  }
  return out;
}

test(
  'latency: AVG/STD/EST/MAX follow the 5.6 formulas over the samples taken; each sample covers the injected delay; TIMEOUT counts unanswered probes',
  { timeout: 240_000 },
  async () => {
    const [px, ...ports] = await freePorts(4);
    const seq1 = [20, 40, 60, 20, 40, 60, 20, 40, 60, 20, 40, 90, 20];
    const seq2 = [10, 70, 30, 50, 10, 70, 30, 50, 10, 70, 30, 50, 80];
    const dropped = new Set([3, 6]);
    const want = 14;
    const list = `1 sip:127.0.0.1:${ports[0]} 0 0\n1 sip:127.0.0.1:${ports[1]} 0 0\n2 sip:127.0.0.1:${ports[2]} 0 0\n`;
    // debug=3: both log their latency samples. fr_timer well above the injected delays: a
    // loaded machine must not turn a slow answer into a timeout.
    const cfg = oracleCfg(px, ROUTE, [
      'modparam("tm", "fr_timer", 3000)',
      ...PROBING,
      'modparam("dispatcher", "ds_ping_latency_stats", 1)',
    ]).replace(/^debug=2$/m, 'debug=3');
    const seen = await observeEach({ cfg, list }, async (p) => {
      const [l1, l2, l3] = await Promise.all(ports.map((x) => Backend.open(x)));
      assert.ok(l1 && l2 && l3, 'three backends');
      try {
        l1.delay = (n) => at(seq1, (n - 1) % seq1.length);
        l2.delay = (n) => at(seq2, (n - 1) % seq2.length);
        l3.delay = (n) => (dropped.has(n) ? null : 25);
        await waitUntil(() => l1.held.length >= want && l2.held.length >= want && l3.probes >= want, {
          timeoutMs: 90_000,
          what: `${want} answered probes per backend`,
        });
        assert.equal((await p.ctlAsync('dispatcher.ping_active', '0')).code, 0);
        // once probing stopped, the statistics settle: every answered probe is a sample or was sent before P was set
        let lat = new Map<string, Latency>();
        // a probe still in flight may land after ping_active 0: read the list between two equal looks at the log
        await waitUntil(
          async () => {
            // (the log, not its length: Kamailio at debug=3 logs every ctl connection too)
            const taken = (): string => [l1, l2, l3].map((b) => loggedSamples(p.output(), b.uri).length).join();
            const before = taken();
            const ready = [l1, l2].every((b) => loggedSamples(p.output(), b.uri).length >= b.held.length - 1);
            if (!ready) return false;
            const r = await p.ctlAsync('dispatcher.list');
            if (r.code !== 0) return false;
            lat = latencies(r.out);
            return taken() === before;
          },
          { what: 'the samples and the statistics to settle' },
        );
        const of = (b: Backend): Latency => {
          const l = lat.get(b.uri);
          assert.ok(l, `no LATENCY for ${b.uri}`);
          return l;
        };
        for (const b of [l1, l2]) {
          const got = of(b);
          const samples = loggedSamples(p.output(), b.uri);
          // the first answered probe may precede P (mode 1 sets it with the first reply): no sample
          assert.ok(
            samples.length >= want - 1 && samples.length <= b.held.length,
            `${b.uri}: ${samples.length} samples for ${b.held.length} answers`,
          );
          const held = b.held.slice(b.held.length - samples.length);
          samples.forEach((x, i) =>
            assert.ok(
              x >= Math.floor(held[i]!) - 1,
              `${b.uri}: sample ${i} = ${x} ms, below the ${held[i]!.toFixed(1)} ms the backend held it`,
            ),
          );
          const e = expectedStats(samples, 0.9);
          const msg = `${b.uri}: got ${JSON.stringify(got)}, expected ${JSON.stringify(e)} from samples ${samples.join(',')}`;
          // float32 arithmetic (Kamailio, and dsd as it) against doubles here
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
        const t3 = of(l3);
        const s3 = loggedSamples(p.output(), l3.uri);
        const e3 = expectedStats(s3, 0.9);
        assert.ok(
          Math.abs(t3.AVG - e3.avg) <= 1 && Math.abs(t3.STD - e3.std) <= 1 && s3.every((x) => x >= 24),
          `steady 25 ms: ${JSON.stringify(t3)} from ${s3.join(',')}`,
        );
        return { timeouts: t3.TIMEOUT, dropped: [...dropped].filter((n) => n <= l3.probes).length };
      } finally {
        for (const b of [l1, l2, l3]) await b.close();
      }
    });
    const d = same(seen);
    assert.equal(d.timeouts, d.dropped, 'TIMEOUT counts the unanswered probes');
  },
);
