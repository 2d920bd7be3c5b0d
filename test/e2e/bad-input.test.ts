// dsd-test: alone — garbage as fast as dsd takes it beside a sipp load (scripts/run-tests.js)
/**
 * Bad input against a running dsd, each case in its own test and on its own daemon:
 * what the case expects (400/483/416/420 or silence, never a forwarded copy), then proof
 * the daemon survived it — it still answers a valid OPTIONS, logged no internal error,
 * and exits 0 on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd, basicCfg, Dsd } from '../helpers/daemon';
import { waitUntil } from '../helpers/wait';
import { freePorts } from '../helpers/ports';
import {
  UdpPeer,
  TcpPeer,
  Received,
  answer200,
  statusOf,
  header,
  headerValues,
  bodyOf,
  sleep,
} from '../helpers/sip-peer';
import { startSipp, runUac, haveSipp, UAC_XML, UAS_XML, num } from '../helpers/sipp';
import { prng } from '../helpers/prng';
import { at } from '../helpers/at';

/** Quiet window used to conclude "nothing was sent". */

interface Rig {
  dsd: Dsd;
  /** dsd's UDP and TCP port on 127.0.0.1. */
  px: number;
  /** The client the test sends from (UDP, 127.0.0.1). */
  client: UdpPeer;
  /** Set 1: two recording backends that answer 200. */
  backends: UdpPeer[];
  /** Requests the backends received (dsd's forwarded copies). */
  forwarded(): Received[];
}

let seq = 0;

/** A request from `port` on 127.0.0.1; pass null to leave a header out. */
function request(
  port: number,
  o: {
    method?: string;
    ruri?: string;
    via?: string | null;
    callId?: string | null;
    cseq?: string | null;
    maxForwards?: string | null;
    extra?: string[];
    body?: string;
    contentLength?: number | null;
  } = {},
): { text: string; callId: string } {
  const id = `bad-${process.pid}-${++seq}`;
  const method = o.method ?? 'OPTIONS';
  const lines = [`${method} ${o.ruri ?? 'sip:bob@127.0.0.1'} SIP/2.0`];
  const via = o.via === undefined ? `SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${id};rport` : o.via;
  if (via !== null) lines.push(`Via: ${via}`);
  lines.push('From: <sip:alice@127.0.0.1>;tag=f' + seq, 'To: <sip:bob@127.0.0.1>');
  const callId = o.callId === undefined ? id : o.callId;
  if (callId !== null) lines.push(`Call-ID: ${callId}`);
  const cseq = o.cseq === undefined ? `1 ${method}` : o.cseq;
  if (cseq !== null) lines.push(`CSeq: ${cseq}`);
  const mf = o.maxForwards === undefined ? '70' : o.maxForwards;
  if (mf !== null) lines.push(`Max-Forwards: ${mf}`);
  lines.push(...(o.extra ?? []));
  const body = o.body ?? '';
  const cl = o.contentLength === undefined ? Buffer.byteLength(body, 'latin1') : o.contentLength;
  if (cl !== null) lines.push(`Content-Length: ${cl}`);
  return { text: lines.join('\r\n') + '\r\n\r\n' + body, callId: callId ?? id };
}

const byCallId =
  (id: string) =>
  (m: Received): boolean =>
    headerValues(m.text, 'call-id').includes(id);

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/**
 * Runs `body` against a fresh dsd (UDP+TCP on one port, set 1 = two recording
 * backends), then checks the daemon survived: a valid OPTIONS is forwarded and its
 * 200 comes back, nothing was logged at error level, SIGTERM exits 0.
 */
async function withDsd(body: (r: Rig) => Promise<void>, params: string[] = []): Promise<void> {
  const [px] = await freePorts(1);
  const backends = [
    await UdpPeer.open({ host: '127.0.0.1', port: 0, answer: answer200 }),
    await UdpPeer.open({ host: '127.0.0.1', port: 0, answer: answer200 }),
  ];
  const client = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
  const dsd = await startDsd({
    // fr_timer 15 s: a starved backend answering the barrier late is still a 200, not a 408
    cfg: basicCfg({
      listen: [`udp:127.0.0.1:${px}`, `tcp:127.0.0.1:${px}`],
      params: ['modparam("tm", "fr_timer", 15000)', ...params],
    }),
    list: backends.map((b) => `1 sip:127.0.0.1:${b.port} 0 0\n`).join(''),
  });
  const rig: Rig = {
    dsd,
    px,
    client,
    backends,
    forwarded: () => backends.flatMap((b) => b.received.filter((m) => statusOf(m.text) === 0)),
  };
  let stopped = false;
  try {
    await body(rig);
    assert.equal(dsd.proc.exitCode, null, 'dsd is still running');
    await assertAlive(rig);
    assert.doesNotMatch(dsd.output(), /"level":(?:50|60)/, 'dsd logged an internal error');
    stopped = true;
    assert.equal(await dsd.stop(), 0, 'exit code after SIGTERM');
  } finally {
    if (!stopped) await dsd.stop();
    for (const p of [...backends, client]) await p.close();
  }
}

async function assertAlive(r: Rig): Promise<void> {
  const req = request(r.client.port);
  const from = r.client.received.length;
  await r.client.send(req.text, r.px);
  const reply = await r.client.waitFor((m) => statusOf(m.text) >= 200 && byCallId(req.callId)(m), 30_000, from);
  assert.equal(statusOf(reply.text), 200, 'a valid OPTIONS after the bad input is forwarded and answered');
}

/**
 * Sends one bad request over UDP, then a valid one from the same socket as a barrier
 * (forwarded and answered: dsd has dealt with everything sent before it). Returns the
 * final replies to the bad request; asserts none of it was forwarded. No quiet window
 * stands in for proof.
 */
async function sendBad(r: Rig, data: string | Buffer, _callId: string | null): Promise<number[]> {
  const from = r.client.received.length;
  await r.client.send(data, r.px);
  await barrier(r);
  assert.deepEqual(
    r
      .forwarded()
      .filter(notBarrier)
      .map((m) => m.text.slice(0, 80)),
    [],
    'nothing is forwarded',
  );
  return r.client.received
    .slice(from)
    .filter(notBarrier)
    .map((m) => statusOf(m.text))
    .filter((c) => c >= 200);
}

/** Call-IDs of the barrier requests, which every check leaves out. */
const barrierIds = new Set<string>();
const notBarrier = (m: Received): boolean => !barrierIds.has(headerValues(m.text, 'call-id')[0] ?? '');

/** A valid OPTIONS through dsd to a backend and back; returns its Call-ID. */
async function barrier(r: Rig): Promise<string> {
  const req = request(r.client.port);
  barrierIds.add(req.callId);
  const from = r.client.received.length;
  await r.client.send(req.text, r.px);
  const reply = await r.client.waitFor((m) => statusOf(m.text) >= 200 && byCallId(req.callId)(m), 30_000, from);
  assert.equal(statusOf(reply.text), 200, 'the barrier OPTIONS is forwarded and answered');
  return req.callId;
}

/** Exactly one final reply with `want`, or (`'drop'`) none at all. */
function expectOutcome(codes: number[], want: number | 'drop'): void {
  assert.deepEqual(codes, want === 'drop' ? [] : [want]);
}

test('random bytes over UDP and TCP (fixed seed): dropped, nothing forwarded or answered', { timeout: 60_000 }, () =>
  withDsd(async (r) => {
    const rand = prng(4475);
    const sizes = [1, 2, 7, 64, 512, 1400, 4096, 16_000, 65_000];
    for (const n of sizes) {
      for (let k = 0; k < 4; k++) await r.client.send(randomBytes(rand, n), r.px);
    }
    // random bytes that start like a request or a response, to get past the first check
    for (const prefix of ['INVITE sip:', 'SIP/2.0 200 ', 'OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n']) {
      for (let k = 0; k < 8; k++) {
        await r.client.send(
          Buffer.concat([Buffer.from(prefix), randomBytes(rand, 32 + Math.floor(rand() * 900))]),
          r.px,
        );
      }
    }
    // the same over TCP, a connection per chunk
    for (const n of [3, 300, 3000, 30_000]) {
      const c = await TcpPeer.connect({ host: '127.0.0.1', port: r.px });
      await c.send(Buffer.concat([randomBytes(rand, n), Buffer.from('\r\n\r\n')]));
      // dsd closes the connection on the garbage, having answered nothing on it
      await waitUntil(() => c.closedByPeer, { what: 'dsd to close the garbage connection' });
      assert.equal(c.received.length, 0);
      await c.close();
    }
    await barrier(r);
    assert.equal(r.forwarded().filter(notBarrier).length, 0, 'nothing forwarded');
    assert.equal(r.client.received.filter(notBarrier).length, 0, 'nothing answered');
  }),
);

test('a truncated request: 400 while a reply can be built, dropped when the start line is cut; never forwarded', () =>
  withDsd(async (r) => {
    const full = request(r.client.port, {
      method: 'INVITE',
      body: 'v=0\r\n',
      extra: ['Content-Type: application/sdp'],
    });
    const cut = full.text.slice(0, full.text.indexOf('To: ') + 10); // ends inside the To header
    // cut inside To: the top Via is there to answer to, and dsd answers 400
    expectOutcome(await sendBad(r, cut, full.callId), 400);
    // cut inside the start line: nothing to answer
    expectOutcome(await sendBad(r, 'INVITE sip:bob@127.0.0.1 SI', null), 'drop');
  }));

test('a request without Via: dropped (a reply could carry no Via), never forwarded', () =>
  withDsd(async (r) => {
    const req = request(r.client.port, { via: null });
    assert.deepEqual(await sendBad(r, req.text, req.callId), []);
    assert.equal(r.client.received.filter(notBarrier).length, 0, 'not even a provisional reply');
  }));

test('a request without Call-ID: 400, never forwarded', () =>
  withDsd(async (r) => {
    const req = request(r.client.port, { callId: null });
    const from = r.client.received.length;
    await r.client.send(req.text, r.px);
    const reply = await r.client.waitFor((m) => statusOf(m.text) >= 200, 30_000, from);
    assert.equal(statusOf(reply.text), 400);
    await barrier(r);
    assert.equal(r.forwarded().filter(notBarrier).length, 0);
  }));

test('Content-Length larger than the body: 400 over UDP; over TCP the stream waits and others go on', () =>
  withDsd(async (r) => {
    const req = request(r.client.port, {
      method: 'MESSAGE',
      body: 'hello',
      contentLength: 50,
      extra: ['Content-Type: text/plain'],
    });
    expectOutcome(await sendBad(r, req.text, req.callId), 400);
    // TCP: dsd must wait for the missing bytes on that connection only
    const a = await TcpPeer.connect({ host: '127.0.0.1', port: r.px });
    const b = await TcpPeer.connect({ host: '127.0.0.1', port: r.px });
    try {
      const stuck = request(a.conn!.localPort!, {
        method: 'MESSAGE',
        body: 'hello',
        contentLength: 5000,
        extra: ['Content-Type: text/plain'],
        via: `SIP/2.0/TCP 127.0.0.1:${a.conn!.localPort};branch=z9hG4bKstuck${seq}`,
      });
      await a.send(stuck.text);
      const ok = request(b.conn!.localPort!, {
        via: `SIP/2.0/TCP 127.0.0.1:${b.conn!.localPort};branch=z9hG4bKok${seq}`,
      });
      await b.send(ok.text);
      const reply = await b.waitFor((m) => statusOf(m.text) >= 200, 30_000);
      assert.equal(statusOf(reply.text), 200, 'a request on another connection is served');
      assert.equal(r.forwarded().filter(byCallId(stuck.callId)).length, 0, 'the incomplete message is not forwarded');
      // the rest of the body completes it: its first reply is the 200 (nothing was answered early)
      await a.send('x'.repeat(5000 - 'hello'.length));
      const first = await a.waitFor((m) => statusOf(m.text) >= 200, 30_000);
      assert.equal(statusOf(first.text), 200, 'completed, it is forwarded and answered');
      assert.equal(a.received.filter((m) => statusOf(m.text) >= 200).length, 1);
    } finally {
      await a.close();
      await b.close();
    }
  }));

test('Content-Length smaller than the body: the extra bytes are ignored, not forwarded', () =>
  withDsd(async (r) => {
    const req = request(r.client.port, {
      method: 'MESSAGE',
      body: 'hello, world',
      contentLength: 5,
      extra: ['Content-Type: text/plain'],
    });
    await r.client.send(req.text, r.px);
    const reply = await r.client.waitFor((m) => statusOf(m.text) >= 200 && byCallId(req.callId)(m), 3000);
    assert.equal(statusOf(reply.text), 200);
    const fwd = r.forwarded().filter(byCallId(req.callId));
    assert.equal(fwd.length, 1);
    assert.equal(bodyOf(at(fwd, 0).data).toString('latin1'), 'hello', 'the body is cut at Content-Length');
    assert.equal(header(at(fwd, 0).text, 'content-length'), '5');
  }));

/** A request far over the 64 KB stream cap: 70 KB of body, or 70 KB of headers. */
async function oversizeOverTcp(r: Rig, kind: 'body' | 'headers'): Promise<void> {
  const big = await TcpPeer.connect({ host: '127.0.0.1', port: r.px });
  const other = await TcpPeer.connect({ host: '127.0.0.1', port: r.px });
  try {
    const lp = big.conn!.localPort!;
    const via = `SIP/2.0/TCP 127.0.0.1:${lp};branch=z9hG4bKbig${seq}`;
    const req =
      kind === 'body'
        ? request(lp, { method: 'MESSAGE', via, body: 'x'.repeat(70 * 1024), extra: ['Content-Type: text/plain'] })
        : request(lp, { via, extra: Array.from({ length: 1000 }, (_, i) => `X-Pad-${i}: ${'y'.repeat(60)}`) });
    assert.ok(req.text.length > 70 * 1024);
    const sending = big.send(req.text).catch(() => undefined); // dsd may close mid-write
    // another connection is served while the big one is being read and refused
    const ok = request(other.conn!.localPort!, {
      via: `SIP/2.0/TCP 127.0.0.1:${other.conn!.localPort};branch=z9hG4bKok${seq}`,
    });
    await other.send(ok.text);
    const reply = await other.waitFor((m) => statusOf(m.text) >= 200, 30_000);
    assert.equal(statusOf(reply.text), 200, 'the other connection is not stalled');
    await sending;
    // the big one: the connection closed, with exactly the answer below first
    await waitUntil(() => big.closedByPeer, { what: 'dsd to close the connection that sent an oversized message' });
    const codes = big.received.map((m) => statusOf(m.text));
    // dsd answers 400 on the connection before closing it (Kamailio closes without a word)
    assert.deepEqual(codes, [400]);
    assert.equal(r.forwarded().filter(byCallId(req.callId)).length, 0, 'never forwarded');
  } finally {
    await big.close();
    await other.close();
  }
}

test('a 70 KB message (body) over TCP: 400, connection closed, other calls not stalled', () =>
  withDsd((r) => oversizeOverTcp(r, 'body')));

test('a 70 KB message (headers) over TCP: 400, connection closed, other calls not stalled', () =>
  withDsd((r) => oversizeOverTcp(r, 'headers')));

test('10 000 headers: 400, never forwarded', () =>
  withDsd(async (r) => {
    const extra = Array.from({ length: 10_000 }, () => 'X:a');
    const req = request(r.client.port, { extra });
    assert.ok(req.text.length < 65_000, 'fits one datagram');
    expectOutcome(await sendBad(r, req.text, req.callId), 400);
  }));

test('Max-Forwards 0: 483, never forwarded', () =>
  withDsd(async (r) => {
    const req = request(r.client.port, { maxForwards: '0' });
    expectOutcome(await sendBad(r, req.text, req.callId), 483);
  }));

test('a response for no transaction: dropped, nothing sent anywhere', () =>
  withDsd(async (r) => {
    // a listener where a wrongly forwarded response would go (the second Via)
    const victim = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
    try {
      const responses = [
        // top Via not ours
        `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:${victim.port};branch=z9hG4bKnotx1\r\n` +
          `Via: SIP/2.0/UDP 127.0.0.1:${victim.port};branch=z9hG4bKnotx2\r\n`,
        // top Via names dsd's address but a branch dsd never made
        `SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:${r.px};branch=z9hG4bKforeign\r\n` +
          `Via: SIP/2.0/UDP 127.0.0.1:${victim.port};branch=z9hG4bKnotx3\r\n`,
        // a dsd-looking branch but only one Via: there is nowhere to send it
        `SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:${r.px};branch=z9hG4bKdsd00000000.x.0\r\n`,
      ];
      for (const [i, top] of responses.entries()) {
        const text =
          top +
          `From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\n` +
          `Call-ID: notx-${i}-${process.pid}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`;
        await r.client.send(text, r.px);
      }
      await barrier(r);
      assert.equal(victim.received.length, 0, 'no response forwarded by its Vias');
      assert.equal(r.client.received.filter(notBarrier).length, 0, 'nothing answered');
      assert.equal(
        r.backends.reduce((n, b) => n + b.received.filter(notBarrier).length, 0),
        0,
        'nothing to the backends',
      );
    } finally {
      await victim.close();
    }
  }));

test('a bad CSeq: 400, never forwarded', () =>
  withDsd(async (r) => {
    for (const cseq of ['abc OPTIONS', '1', '99999999999 OPTIONS', '-1 OPTIONS', '1 OPT IONS']) {
      const req = request(r.client.port, { cseq });
      expectOutcome(await sendBad(r, req.text, req.callId), 400);
    }
  }));

test('two Call-IDs: 400, never forwarded', () =>
  withDsd(async (r) => {
    const req = request(r.client.port, { extra: ['Call-ID: a-second-one@127.0.0.1'] });
    expectOutcome(await sendBad(r, req.text, req.callId), 400);
  }));

test('an unknown Request-URI scheme: 416, never forwarded', () =>
  withDsd(async (r) => {
    const req = request(r.client.port, { ruri: 'xyz:bob@127.0.0.1' });
    expectOutcome(await sendBad(r, req.text, req.callId), 416);
  }));

test('Proxy-Require: 420 with Unsupported listing the option tags, never forwarded', () =>
  withDsd(async (r) => {
    const req = request(r.client.port, { extra: ['Proxy-Require: foo, bar', 'Proxy-Require: baz'] });
    const from = r.client.received.length;
    expectOutcome(await sendBad(r, req.text, req.callId), 420);
    const reply = r.client.received.slice(from).find((m) => statusOf(m.text) === 420)!;
    const tags = headerValues(reply.text, 'unsupported').flatMap((v) => v.split(',').map((t) => t.trim()));
    assert.deepEqual(tags.sort(), ['bar', 'baz', 'foo']);
  }));

test(
  'garbage in a loop never stalls calls: a sipp load through dsd completes with zero failures',
  { skip: haveSipp() ? false : 'sipp not installed', timeout: 120_000 },
  async () => {
    const [px, uasPort, uacPort, c1, c2] = await freePorts(5);
    const dsd = await startDsd({
      // a starved sipp answering late is no failure: no 408 before 15 s
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${px}`, `tcp:127.0.0.1:${px}`],
        params: ['modparam("tm", "fr_timer", 15000)'],
      }),
      list: `1 sip:127.0.0.1:${uasPort} 0 0\n`,
    });
    const uas = startSipp({ scenario: UAS_XML, port: uasPort, controlPort: c1 });
    const noise = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
    let stop = false;
    let sent = 0;
    const rand = prng(20260101);
    // closed loop: each burst of 20 ends with a Max-Forwards: 0 request, and the next burst
    // waits for its 483. The garbage comes as fast as dsd takes it, never faster: a fixed rate
    // would overflow a starved daemon's socket buffer and drop the calls' own datagrams
    const garbage = async (): Promise<void> => {
      // bounded: at most 20 000 datagrams while sipp runs
      while (!stop && sent < 20_000) {
        let marker = '';
        for (let k = 0; k < 20; k++, sent++) {
          const pick = k === 19 ? 2 : sent % 4 === 2 ? 3 : sent % 4;
          const req = request(noise.port, pick === 2 ? { maxForwards: '0' } : {});
          if (pick === 2) marker = req.callId;
          const buf =
            pick === 0
              ? randomBytes(rand, 1 + Math.floor(rand() * 1400))
              : pick === 1
                ? Buffer.from(request(noise.port, { callId: null }).text)
                : pick === 2
                  ? Buffer.from(req.text)
                  : Buffer.from(req.text.slice(0, 120));
          await noise.send(buf, px);
        }
        await noise.waitFor(byCallId(marker), 30_000).catch(() => undefined);
      }
    };
    try {
      await uas.ready();
      const g = garbage();
      // the garbage is flowing before the first call, however slow this machine is
      while (sent < 200) await sleep(5);
      const sentBefore = sent;
      const r = await runUac({
        scenario: UAC_XML,
        port: uacPort,
        controlPort: c2,
        remote: `127.0.0.1:${px}`,
        calls: 300,
        rate: 100,
        timeoutMs: 60_000,
      });
      stop = true;
      await g;
      assert.ok(sent >= sentBefore + 100, `garbage was sent during the load (${sent - sentBefore})`);
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), 300, r.output.slice(-2000));
      assert.equal(num(r.stats, 'FailedCall(C)'), 0);
      assert.equal(r.code, 0);
      // dsd answered the answerable garbage too (400/483), so it kept parsing throughout
      assert.ok(noise.received.some((m) => statusOf(m.text) === 483));
      assert.equal(dsd.proc.exitCode, null);
      assert.doesNotMatch(dsd.output(), /"level":(?:50|60)/);
    } finally {
      stop = true;
      await uas.stop();
      await noise.close();
      assert.equal(await dsd.stop(), 0);
    }
  },
);
