/**
 * The alg-4 sample configuration from Kamailio's dispatcher documentation
 * (test/fixtures/cfg/dispatcher-sample.cfg) run by the real dsd, driven with sipp and raw
 * SIP peers on loopback. The file is used as it is except for one line written into the
 * test's copy: `listen=udp:127.0.0.1:5060` becomes `listen=udp:127.0.0.1:<free port>`.
 * Its destinations are the fixture dispatcher.list with ports 5080/5081 replaced by the
 * test's backends; its list_file stays relative ("dispatcher.list" next to the cfg).
 * The control socket (the sample loads ctl.so without a binrpc modparam) goes to a temp
 * dir through $DSD_CTL instead of a cfg change.
 *
 * Expected replies were checked against Kamailio 5.6.3 running the same file on loopback,
 * and the last case runs that check live against Kamailio 5.6 in every run: 484 "Address Incomplete" for a request without user (OPTIONS to the
 * proxy itself included: the sample has no OPTIONS handling), 404 "No registrar" for
 * REGISTER, 404 "Not here" for presence and for in-dialog requests that are not
 * loose-routed, 483 "Too Many Hops"; the first INVITE goes to the list's last line; the
 * WITH_DEBUG xdbg lines read `--- SCRIPT: going to <R-URI> via <dst> (attrs: <null>)`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, tmpDir, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { startKamailio } from '../helpers/kamailio';
import { needs } from '../helpers/require';
import { observeEach, same, type ImplOptions } from '../helpers/oracle';
import { startSipp, runUac, readStats, UAC_XML, UAS_XML, FIXTURES, num } from '../helpers/sipp';
import { waitUntil } from '../helpers/wait';
import {
  UdpPeer,
  Received,
  Answerer,
  answerWith,
  makeResponse,
  methodOf,
  statusOf,
  callIdOf,
  header,
  headerValues,
  startLine,
} from '../helpers/sip-peer';
import { at } from '../helpers/at';

const SAMPLE_DIR = path.join(FIXTURES, 'cfg');
const UAS_500 = path.join(FIXTURES, 'sipp', 'uas-500.xml');

/** The sample with its listen line pointed at `port`; nothing else changes. */
function sampleCfg(port: number): string {
  const text = fs.readFileSync(path.join(SAMPLE_DIR, 'dispatcher-sample.cfg'), 'utf8');
  const lines = text.split('\n');
  const listenAt = lines.flatMap((l, i) => (l === 'listen=udp:127.0.0.1:5060' ? [i] : []));
  assert.equal(listenAt.length, 1, 'the sample has exactly one listen line');
  lines[at(listenAt, 0)] = `listen=udp:127.0.0.1:${port}`;
  return lines.join('\n');
}

/** The fixture dispatcher.list with its two destinations moved to the test's ports. */
function sampleList(b1: number, b2: number): string {
  const text = fs.readFileSync(path.join(SAMPLE_DIR, 'dispatcher.list'), 'utf8');
  assert.match(text, /sip:127\.0\.0\.1:5080\b/);
  assert.match(text, /sip:127\.0\.0\.1:5081\b/);
  return text
    .replace(/sip:127\.0\.0\.1:5080\b/, `sip:127.0.0.1:${b1}`)
    .replace(/sip:127\.0\.0\.1:5081\b/, `sip:127.0.0.1:${b2}`);
}

interface Sample {
  dsd: Dsd;
  stop(): Promise<number | null>;
}

async function startSample(px: number, b1: number, b2: number, debug = false): Promise<Sample> {
  const ctlDir = tmpDir('dsd-sample-ctl-');
  const saved = process.env.DSD_CTL;
  process.env.DSD_CTL = path.join(ctlDir, 'dsd_ctl');
  let dsd: Dsd;
  try {
    // -A WITH_DEBUG is the sample's own switch (debug=4): it makes its xdbg lines visible
    dsd = await startDsd({
      cfg: sampleCfg(px),
      list: sampleList(b1, b2),
      args: ['-Y', '{DIR}', ...(debug ? ['-A', 'WITH_DEBUG'] : [])],
    });
  } catch (e) {
    fs.rmSync(ctlDir, { recursive: true, force: true });
    throw e;
  } finally {
    if (saved === undefined) delete process.env.DSD_CTL;
    else process.env.DSD_CTL = saved;
  }
  return {
    dsd,
    async stop() {
      const code = await dsd.stop();
      fs.rmSync(ctlDir, { recursive: true, force: true });
      return code;
    },
  };
}

/**
 * A raw UAS for calls through the proxy: 200 to INVITE with the Record-Route set it got
 * and a Contact of its own, 200 to BYE and everything else, nothing to ACK.
 */
function dialogUas(peer: UdpPeer, name: string): Answerer {
  return (req) => {
    const m = methodOf(req.text);
    if (m === 'ACK') return null;
    if (m !== 'INVITE') return makeResponse(req.text, 200, 'OK');
    const rr = headerValues(req.text, 'record-route').map((v) => `Record-Route: ${v}`);
    return makeResponse(req.text, 200, 'OK', [...rr, `Contact: <sip:${name}@127.0.0.1:${peer.port}>`]);
  };
}

const isMethod = (method: string) => (m: Received) => methodOf(m.text) === method;
const distinctCalls = (ms: Received[]) => new Set(ms.map((m) => callIdOf(m.text))).size;
const scriptLines = (out: string, what: 'going to' | 'retrying to') =>
  out.split('\n').filter((l) => l.includes(`--- SCRIPT: ${what} <`));

test(
  'round robin (alg 4): calls alternate exactly between the two destinations, N/2 each',
  { timeout: 30_000 },
  async () => {
    const N = 10;
    const [px, b1, b2, uac, cu] = await freePorts(5);
    const s = await startSample(px, b1, b2, true);
    const p1 = await UdpPeer.open({ host: '127.0.0.1', port: b1 });
    const p2 = await UdpPeer.open({ host: '127.0.0.1', port: b2 });
    p1.answerer = dialogUas(p1, 'b1');
    p2.answerer = dialogUas(p2, 'b2');
    // one entry per call: a late 200 lets dsd retransmit an INVITE, which is no new pick
    const order: number[] = [];
    const seenCalls = new Set<string | undefined>();
    const note = (port: number) => (m: Received) => {
      if (methodOf(m.text) !== 'INVITE' || seenCalls.has(callIdOf(m.text))) return;
      seenCalls.add(callIdOf(m.text));
      order.push(port);
    };
    p1.onMessage(note(b1));
    p2.onMessage(note(b2));
    try {
      const r = await runUac({
        scenario: UAC_XML,
        port: uac,
        controlPort: cu,
        remote: `127.0.0.1:${px}`,
        calls: N,
        rate: 20,
        extra: ['-l', '1'],
        timeoutMs: 60_000,
      });
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), N, r.output.slice(-2000));
      assert.equal(num(r.stats, 'FailedCall(C)'), 0);
      assert.equal(order.length, N, `INVITEs seen by the backends: ${order.join(',')}`);
      // Kamailio orders a set's destinations last line first: the first call goes to b2
      assert.equal(order[0], b2);
      for (let i = 1; i < N; i++)
        assert.notEqual(order[i], order[i - 1], `alternation broken at call ${i + 1}: ${order.join(',')}`);
      assert.equal(distinctCalls(p1.matching(isMethod('INVITE'))), N / 2);
      assert.equal(distinctCalls(p2.matching(isMethod('INVITE'))), N / 2);
      // every dialog's ACK and BYE came back to the backend that took the call
      for (const p of [p1, p2]) {
        const calls = new Set(p.matching(isMethod('INVITE')).map((m) => callIdOf(m.text)));
        for (const method of ['ACK', 'BYE']) {
          assert.deepEqual(
            new Set(p.matching(isMethod(method)).map((m) => callIdOf(m.text))),
            calls,
            `${method}s at ${p.port}`,
          );
        }
      }
      // the sample's xdbg line, one per call, naming the chosen destination in turn
      const going = scriptLines(s.dsd.output(), 'going to');
      assert.equal(going.length, N, s.dsd.output().slice(-3000));
      going.forEach((l, i) => {
        assert.match(
          l,
          new RegExp(
            `going to <sip:service@127\\.0\\.0\\.1:${px}> via <sip:127\\.0\\.0\\.1:${order[i]}> \\(attrs: <null>\\)`,
          ),
        );
      });
    } finally {
      await p1.close();
      await p2.close();
      assert.equal(await s.stop(), 0);
    }
  },
);

test('in-dialog ACK and BYE follow the Record-Route set through loose_route', { timeout: 30_000 }, async () => {
  const [px, b1, b2, uac, cu] = await freePorts(5);
  const s = await startSample(px, b1, b2);
  const p1 = await UdpPeer.open({ host: '127.0.0.1', port: b1 });
  const p2 = await UdpPeer.open({ host: '127.0.0.1', port: b2 });
  p1.answerer = dialogUas(p1, 'b1');
  p2.answerer = dialogUas(p2, 'b2');
  try {
    const r = await runUac({
      scenario: UAC_XML,
      port: uac,
      controlPort: cu,
      remote: `127.0.0.1:${px}`,
      calls: 1,
      timeoutMs: 30_000,
    });
    assert.equal(num(r.stats, 'SuccessfulCall(C)'), 1, r.output.slice(-2000));
    const p = p2.received.length > 0 ? p2 : p1;
    const name = p === p2 ? 'b2' : 'b1';
    const inv = await p.waitFor(isMethod('INVITE'), 10_000);
    // record_route(): one entry, the proxy's own socket (the ;lr=on form is checked below)
    const rr = headerValues(inv.text, 'record-route');
    assert.equal(rr.length, 1);
    assert.match(at(rr, 0), new RegExp(`^<sip:127\\.0\\.0\\.1:${px};lr(=on)?>$`));
    assert.equal(header(inv.text, 'max-forwards'), '69');
    const ack = await p.waitFor(isMethod('ACK'), 10_000);
    const bye = await p.waitFor(isMethod('BYE'), 10_000);
    for (const m of [ack, bye]) {
      // the UA sent it to the proxy with Route: <proxy>; loose_route consumed that entry
      // and the request went on to the remote target (the backend's Contact)
      assert.equal(startLine(m.text), `${methodOf(m.text)} sip:${name}@127.0.0.1:${p.port} SIP/2.0`);
      assert.deepEqual(headerValues(m.text, 'route'), []);
      assert.equal(callIdOf(m.text), callIdOf(inv.text));
      assert.match(
        at(headerValues(m.text, 'via'), 0),
        new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${px};branch=z9hG4bK`),
      );
      assert.equal(headerValues(m.text, 'via').length, 2);
    }
    // nothing reached the other backend
    assert.equal((p === p1 ? p2 : p1).received.filter((m) => statusOf(m.text) === 0).length, 0);
  } finally {
    await p1.close();
    await p2.close();
    assert.equal(await s.stop(), 0);
  }
});

test(
  'failover on timeout: a silent destination is tried, fr_timer fires, the call completes on the other',
  { timeout: 40_000 },
  async () => {
    const N = 4;
    const [px, b1, b2, uac, c2, cu] = await freePorts(6);
    const s = await startSample(px, b1, b2, true);
    const silent = await UdpPeer.open({ host: '127.0.0.1', port: b1 });
    const uas = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
    try {
      await uas.ready();
      const t0 = Date.now();
      const r = await runUac({
        scenario: UAC_XML,
        port: uac,
        controlPort: cu,
        remote: `127.0.0.1:${px}`,
        calls: N,
        rate: 10,
        timeoutMs: 60_000,
      });
      const took = Date.now() - t0;
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), N, r.output.slice(-2000));
      assert.equal(num(r.stats, 'FailedCall(C)'), 0);
      // the sample's fr_timer is 2000 ms: the calls that first went to b1 waited for it
      assert.ok(took >= 2000, `calls finished in ${took} ms, before fr_timer could fire`);
      const st = await uas.stop();
      assert.equal(num(st, 'IncomingCall(C)'), N, 'every call ended on the live destination');
      assert.equal(
        distinctCalls(silent.matching(isMethod('INVITE'))),
        N / 2,
        'round robin sent half the calls to b1 first',
      );
      const going = scriptLines(s.dsd.output(), 'going to');
      const retrying = scriptLines(s.dsd.output(), 'retrying to');
      assert.equal(going.length, N);
      assert.equal(going.filter((l) => l.includes(`via <sip:127.0.0.1:${b1}>`)).length, N / 2);
      assert.equal(retrying.length, N / 2, s.dsd.output().slice(-3000));
      for (const l of retrying)
        assert.match(l, new RegExp(`retrying to <sip:service@127\\.0\\.0\\.1:${px}> via <sip:127\\.0\\.0\\.1:${b2}>`));
    } finally {
      await uas.stop();
      await silent.close();
      assert.equal(await s.stop(), 0);
    }
  },
);

test(
  'failover on 500: the failing destination got the INVITE (and the ACK), the call completes on the other',
  { timeout: 30_000 },
  async () => {
    const N = 4;
    const [px, b1, b2, uac, c1, c2, cu] = await freePorts(7);
    const s = await startSample(px, b1, b2);
    const bad = startSipp({ scenario: UAS_500, port: b1, controlPort: c1 });
    const good = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
    try {
      await bad.ready();
      await good.ready();
      const r = await runUac({
        scenario: UAC_XML,
        port: uac,
        controlPort: cu,
        remote: `127.0.0.1:${px}`,
        calls: N,
        rate: 10,
        timeoutMs: 60_000,
      });
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), N, r.output.slice(-2000));
      assert.equal(num(r.stats, 'FailedCall(C)'), 0);
      // the 500 destination ends a call when the proxy's ACK reaches it: wait for its stat row
      await waitUntil(() => fs.existsSync(bad.statFile) && num(readStats(bad.statFile), 'SuccessfulCall(C)') >= N / 2, {
        what: 'the 500 destination to see its ACKs',
      });
      const sb = await bad.stop();
      const sg = await good.stop();
      assert.equal(num(sb, 'IncomingCall(C)'), N / 2, 'half of the calls were tried on the 500 destination');
      // uas-500 completes a call only when the proxy's hop-by-hop ACK for the 500 arrives
      assert.equal(num(sb, 'SuccessfulCall(C)'), N / 2);
      assert.equal(num(sg, 'IncomingCall(C)'), N);
      assert.equal(num(sg, 'SuccessfulCall(C)'), N);
    } finally {
      await bad.stop();
      await good.stop();
      assert.equal(await s.stop(), 0);
    }
  },
);

interface ReplyCase {
  what: string;
  method: string;
  /** R-URI; {PX} is the proxy port. */
  ruri: string;
  toTag?: boolean;
  maxForwards?: number;
  status: number;
  reason: string;
}

const REPLIES: ReplyCase[] = [
  {
    what: 'INVITE without user in the R-URI',
    method: 'INVITE',
    ruri: 'sip:127.0.0.1:{PX}',
    status: 484,
    reason: 'Address Incomplete',
  },
  {
    what: 'REGISTER (route REGISTRAR)',
    method: 'REGISTER',
    ruri: 'sip:127.0.0.1:{PX}',
    status: 404,
    reason: 'No registrar',
  },
  {
    what: 'OPTIONS to the proxy itself (no OPTIONS handling: no user)',
    method: 'OPTIONS',
    ruri: 'sip:127.0.0.1:{PX}',
    status: 484,
    reason: 'Address Incomplete',
  },
  {
    what: 'PUBLISH (route PRESENCE)',
    method: 'PUBLISH',
    ruri: 'sip:alice@127.0.0.1:{PX}',
    status: 404,
    reason: 'Not here',
  },
  {
    what: 'SUBSCRIBE (route PRESENCE)',
    method: 'SUBSCRIBE',
    ruri: 'sip:alice@127.0.0.1:{PX}',
    status: 404,
    reason: 'Not here',
  },
  {
    what: 'Max-Forwards: 0 (route REQINIT)',
    method: 'INVITE',
    ruri: 'sip:alice@127.0.0.1:{PX}',
    maxForwards: 0,
    status: 483,
    reason: 'Too Many Hops',
  },
  {
    what: 'in-dialog BYE without Route (WITHINDLG)',
    method: 'BYE',
    ruri: 'sip:alice@127.0.0.1:{PX}',
    toTag: true,
    status: 404,
    reason: 'Not here',
  },
];

let seq = 0;
function request(c: { method: string; ruri: string; toTag?: boolean; maxForwards?: number }, port: number): string {
  const n = ++seq;
  return (
    `${c.method} ${c.ruri} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKsample${n}x${Date.now()}\r\n` +
    `From: <sip:tester@127.0.0.1>;tag=from${n}\r\n` +
    `To: <${c.ruri}>${c.toTag ? ';tag=to' + n : ''}\r\n` +
    `Call-ID: sample-${n}-${Date.now()}@127.0.0.1\r\n` +
    `CSeq: 1 ${c.method}\r\n` +
    `Contact: <sip:tester@127.0.0.1:${port}>\r\n` +
    `Max-Forwards: ${c.maxForwards ?? 70}\r\n` +
    'Content-Length: 0\r\n\r\n'
  );
}

test(
  'stateless answers of the sample: 484, 404 No registrar, 404 Not here, 483; no-op modules warn once and dsd runs',
  { timeout: 30_000 },
  async () => {
    const [px, b1, b2] = await freePorts(3);
    const s = await startSample(px, b1, b2);
    const back1 = await UdpPeer.open({ host: '127.0.0.1', port: b1 });
    const back2 = await UdpPeer.open({ host: '127.0.0.1', port: b2 });
    const ua = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
    try {
      for (const c of REPLIES) {
        const ruri = c.ruri.replace('{PX}', String(px));
        const text = request({ ...c, ruri }, ua.port);
        const from = ua.received.length;
        await ua.send(text, px);
        const cid = header(text, 'call-id');
        const rsp = await ua.waitFor((m) => callIdOf(m.text) === cid && statusOf(m.text) >= 200, 10_000, from);
        assert.equal(startLine(rsp.text), `SIP/2.0 ${c.status} ${c.reason}`, c.what);
        assert.equal(header(rsp.text, 'cseq'), `1 ${c.method}`, c.what);
        // a stateless answer: no provisional before it
        assert.equal(ua.matching((m) => callIdOf(m.text) === cid && statusOf(m.text) < 200, from).length, 0, c.what);
      }
      // an ACK inside a dialog that matches nothing is discarded: no answer, nothing relayed
      const from = ua.received.length;
      await ua.send(request({ method: 'ACK', ruri: `sip:alice@127.0.0.1:${px}`, toTag: true }, ua.port), px);
      // then a request that is answered: dsd handles one socket's datagrams in order, so once
      // this answer is in, an answer to the ACK would be in too (no quiet window to guess)
      const marker = request({ ...REPLIES[0]!, ruri: REPLIES[0]!.ruri.replace('{PX}', String(px)) }, ua.port);
      await ua.send(marker, px);
      const mcid = header(marker, 'call-id');
      await ua.waitFor((m) => callIdOf(m.text) === mcid && statusOf(m.text) >= 200, 10_000, from);
      assert.equal(ua.received.length, from + 1, 'the ACK got no answer');
      assert.equal(back1.received.length + back2.received.length, 0, 'no request reached a destination');

      // loadmodule of modules dsd does not implement: one warning each, and dsd runs
      const out = s.dsd.output();
      for (const mod of ['kex', 'corex']) {
        const w = out.split('\n').filter((l) => l.includes(`module '${mod}'`));
        assert.equal(w.length, 1, `one warning for ${mod}:\n${out}`);
        assert.match(at(w, 0), /warning: .*has no effect/);
      }
      assert.match(out, /started, listening on udp:127\.0\.0\.1:\d+/);
      // jsonrpcs is real: its FIFO and socket, Kamailio's default names, in the -Y runtime dir
      assert.ok(fs.statSync(path.join(s.dsd.dir, 'kamailio_rpc.fifo')).isFIFO());
      assert.ok(fs.statSync(path.join(s.dsd.dir, 'kamailio_rpc.sock')).isSocket());
      assert.equal(s.dsd.proc.exitCode, null);
    } finally {
      await ua.close();
      await back1.close();
      await back2.close();
      assert.equal(await s.stop(), 0);
    }
  },
);

/**
 * The sample as both sides run it: the same text plus a ctl socket in the temp dir (the
 * sample keeps the packaged default under /run, which parallel runs would share).
 */
function sampleOn(px: number, b1: number, b2: number): ImplOptions {
  const cfg = sampleCfg(px).replace(
    'loadmodule "dispatcher.so"',
    'loadmodule "dispatcher.so"\nmodparam("ctl", "binrpc", "unix:{DIR}/ctl")',
  );
  return { cfg, list: sampleList(b1, b2) };
}

test(
  'record_route() honours modparam("rr", "enable_full_lr", 1): Record-Route ends in ;lr=on, on dsd and Kamailio 5.6',
  { timeout: 60_000 },
  async () => {
    const [px, b1, b2, u] = await freePorts(4);
    const seen = same(
      await observeEach(sampleOn(px, b1, b2), async () => {
        const back1 = await UdpPeer.open({ host: '127.0.0.1', port: b1, answer: answerWith(486, 'Busy Here') });
        const back2 = await UdpPeer.open({ host: '127.0.0.1', port: b2, answer: answerWith(486, 'Busy Here') });
        const ua = await UdpPeer.open({ host: '127.0.0.1', port: u });
        try {
          const sent = request({ method: 'INVITE', ruri: `sip:bob@127.0.0.1:${px}` }, ua.port);
          await ua.send(sent, px);
          const inv = await back2.waitFor(isMethod('INVITE'), 30_000);
          // the 486 reaches the UA (no failover: t_check_status("500") is false); ACK it
          const fin = await ua.waitFor((m) => statusOf(m.text) >= 200, 30_000);
          await ua.send(makeAck(sent, fin.text), px);
          return { final: statusOf(fin.text), rr: headerValues(inv.text, 'record-route') };
        } finally {
          await ua.close();
          await back1.close();
          await back2.close();
        }
      }),
    );
    assert.deepEqual(seen, { final: 486, rr: [`<sip:127.0.0.1:${px};lr=on>`] });
  },
);

test(
  'sanity_check("1511", "7"): a CSeq method that differs from the request method gets the same 400 as from Kamailio 5.6',
  { timeout: 60_000 },
  async () => {
    // The sample's xlog("Malformed SIP message ...") after sanity_check is not reached
    // either: sanity_check sends the 400 itself and ends the script.
    const [px, b1, b2, u] = await freePorts(4);
    const line = same(
      await observeEach(sampleOn(px, b1, b2), async () => {
        const ua = await UdpPeer.open({ host: '127.0.0.1', port: u });
        try {
          const text = request({ method: 'INVITE', ruri: `sip:alice@127.0.0.1:${px}` }, ua.port).replace(
            'CSeq: 1 INVITE',
            'CSeq: 1 BYE',
          );
          await ua.send(text, px);
          const rsp = await ua.waitFor(
            (m) => callIdOf(m.text) === header(text, 'call-id') && statusOf(m.text) >= 200,
            30_000,
          );
          return startLine(rsp.text);
        } finally {
          await ua.close();
        }
      }),
    );
    assert.equal(line, 'SIP/2.0 400 CSeq method does not match request method');
  },
);

/** The ACK a UA sends for a negative final response to the INVITE it sent (same Via). */
function makeAck(invite: string, final: string): string {
  const vias = headerValues(invite, 'via');
  const ruri = startLine(invite).split(' ')[1];
  return (
    `ACK ${ruri} SIP/2.0\r\nVia: ${vias[vias.length - 1]}\r\nFrom: ${header(invite, 'from')}\r\n` +
    `To: ${header(final, 'to')}\r\nCall-ID: ${callIdOf(invite)}\r\nCSeq: ${(header(invite, 'cseq') ?? '1').split(' ')[0]} ACK\r\n` +
    'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n'
  );
}

// The same sample run by Kamailio 5.6 (the oracle; required in CI): its stateless answers
// and the destination of the first INVITE are what the cases above expect of dsd. The
// Kamailio copy of the cfg only gets a ctl socket in the temp dir (the sample keeps the
// packaged default under /run).
test(
  'the sample under Kamailio 5.6 answers the same requests the same way, and picks the same first destination',
  {
    skip: needs('kamailio'),
    timeout: 60_000,
  },
  async () => {
    const [px, b1, b2] = await freePorts(3);
    const cfg = sampleCfg(px!).replace(
      'loadmodule "dispatcher.so"',
      'loadmodule "dispatcher.so"\nmodparam("ctl", "binrpc", "unix:{DIR}/ctl")',
    );
    const k = await startKamailio({ cfg, list: sampleList(b1!, b2!) });
    const back1 = await UdpPeer.open({ host: '127.0.0.1', port: b1!, answer: answerWith(200, 'OK') });
    const back2 = await UdpPeer.open({ host: '127.0.0.1', port: b2!, answer: answerWith(200, 'OK') });
    const ua = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
    try {
      for (const c of REPLIES) {
        const ruri = c.ruri.replace('{PX}', String(px));
        const text = request({ ...c, ruri }, ua.port);
        const from = ua.received.length;
        await ua.send(text, px!);
        const cid = header(text, 'call-id');
        const rsp = await ua.waitFor((m) => callIdOf(m.text) === cid && statusOf(m.text) >= 200, 30_000, from);
        assert.equal(startLine(rsp.text), `SIP/2.0 ${c.status} ${c.reason}`, c.what);
      }
      // the first INVITE goes to the list's last line (b2), as dsd's round-robin case expects
      const inv = request({ method: 'INVITE', ruri: `sip:bob@127.0.0.1:${px}` }, ua.port);
      await ua.send(inv, px!);
      const cid = header(inv, 'call-id');
      await ua.waitFor((m) => callIdOf(m.text) === cid && statusOf(m.text) >= 200, 30_000);
      assert.equal(
        back2.matching((m) => callIdOf(m.text) === cid).length > 0,
        true,
        'the INVITE reached the last line',
      );
      assert.equal(back1.matching((m) => callIdOf(m.text) === cid).length, 0);
    } finally {
      await ua.close();
      await back1.close();
      await back2.close();
      await k.stop();
    }
  },
);
