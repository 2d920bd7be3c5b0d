/**
 * Lingering transactions as rows (transaction/linger.ts): what a lingering transaction did
 * as an object it does as a row — a non-INVITE's retransmission gets its own final again,
 * an Accepted INVITE answers retransmissions with its 2xx but lets its ACK through and
 * still answers a CANCEL, a
 * client branch absorbs retransmitted replies — and all of it ends at wt_timer, with the
 * counters tm.stats reports. Mocked clock.
 */
import { test, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipMessage } from '../../../src/sip/message';
import { TxnLayer } from '../../../src/transaction/layer';
import { packIpv4, ipv4Text } from '../../../src/core/ipv4';
import { ServerTxn } from '../../../src/transaction/server';
import { serverKey } from '../../../src/transaction/keys';
import { TM_DEFAULTS } from '../../../src/transaction/config';
import type { ClientOwner, ClientTxn } from '../../../src/transaction/client';
import type { Source } from '../../../src/transport/types';
import { FakeTransport, sipText, firstLine } from '../../helpers/fake-transport';
import { header } from '../../helpers/sip-peer';

afterEach(() => mock.timers.reset());

function setup(): { tr: FakeTransport; layer: TxnLayer; src: Source } {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const tr = new FakeTransport();
  const layer = new TxnLayer(tr, {
    tm: TM_DEFAULTS,
    serverHeader: 'test',
    clock: () => Date.now(),
    toTagOf: (m) => `tag-of-${m.callId}`,
  });
  const src: Source = { proto: 'udp', ip: '127.0.0.1', port: 5070, local: tr.sockets[0]! };
  return { tr, layer, src };
}

const msg = (lines: string[]): SipMessage => parseMessage(Buffer.from(sipText(lines), 'latin1'));

const request = (method: string, n: number, port = 5070): SipMessage =>
  msg([
    `${method} sip:bob@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${method === 'BYE' ? 'bye' : 'invite'}${n}`,
    'From: <sip:alice@a>;tag=fa',
    `To: <sip:bob@b>${method === 'BYE' ? ';tag=tb' : ''}`,
    `Call-ID: call-${n}`,
    `CSeq: ${method === 'BYE' ? 2 : 1} ${method}`,
    'Max-Forwards: 70',
    `X-Pad: ${'x'.repeat(n % 97)}`,
  ]);

const server = (layer: TxnLayer, req: SipMessage, src: Source): ServerTxn =>
  new ServerTxn(layer, serverKey(req)!, req, src, 'tt');

test('a non-INVITE answered over UDP leaves the object table; each retransmission gets its own final until wt_timer', () => {
  const { tr, layer, src } = setup();
  const srcs = [0, 1, 2].map((n): Source => ({ ...src, port: 5070 + n }));
  [0, 1, 2].forEach((n) => assert.ok(server(layer, request('BYE', n, 5070 + n), srcs[n]!).replyLocal(200, 'OK')));
  const first = tr.take();
  assert.equal(layer.servers.size, 0, 'no object lingers');
  assert.equal(layer.linger.size, 3);
  assert.equal(layer.stats.waiting, 3);
  for (let round = 0; round < 2; round++) {
    [2, 0, 1].forEach((n) => assert.equal(layer.absorbRequest(request('BYE', n, 5070 + n)), true));
    const again = tr.take();
    assert.deepEqual(
      again.map((s) => s.text),
      [2, 0, 1].map((n) => first[n]!.text),
    );
    assert.deepEqual(
      again.map((s) => `${s.target.proto}:${s.target.ip}:${s.target.port}:${s.target.local?.id}`),
      [2, 0, 1].map((n) => `udp:127.0.0.1:${5070 + n}:0`),
      'to where the first went, from the same socket',
    );
  }
  assert.equal(layer.absorbRequest(request('BYE', 7)), false, 'another BYE is new');
  mock.timers.tick(TM_DEFAULTS.wtTimer - 50);
  assert.equal(layer.absorbRequest(request('BYE', 1, 5071)), true, 'still lingering before wt_timer');
  tr.take();
  mock.timers.tick(100);
  assert.equal(layer.absorbRequest(request('BYE', 1, 5071)), false, 'gone after wt_timer');
  assert.equal(tr.take().length, 0);
  assert.equal(layer.linger.size, 0);
  assert.equal(layer.stats.waiting, 0);
  assert.equal(layer.stats.freed, 3);
});

test('an INVITE answered 2xx answers its retransmissions with the 2xx, lets its ACK through, and answers a CANCEL with its tag', () => {
  const { tr, layer, src } = setup();
  const st = server(layer, request('INVITE', 1), src);
  st.reply(200, Buffer.from(sipText(['SIP/2.0 200 OK', 'X-First: 1'])), false);
  const [first] = tr.take();
  assert.equal(layer.servers.size, 0);
  assert.equal(layer.absorbRequest(request('INVITE', 1)), true);
  assert.deepEqual(
    tr.take().map((m) => m.text),
    [first!.text],
    'the 2xx again, as from Kamailio',
  );
  assert.equal(layer.absorbRequest(request('ACK', 1)), false, 'the ACK of a 2xx goes on end to end');
  assert.equal(layer.hasServer(serverKey(request('CANCEL', 1), 'INVITE')!), true, 't_check_trans sees it');
  assert.equal(layer.receiveCancel(request('CANCEL', 1), src), null, 'matched, nothing to cancel');
  const [ok] = tr.take();
  assert.equal(firstLine(ok!), 'SIP/2.0 200 canceling');
  assert.equal(header(ok!.text, 'to'), '<sip:bob@b>;tag=tag-of-call-1');
  // a forked INVITE's later 2xx still goes upstream through the transaction
  st.reply(200, Buffer.from(sipText(['SIP/2.0 200 OK', 'X-Fork: 2'])), false);
  assert.match(tr.take()[0]!.text, /X-Fork: 2/);
  // over TCP nothing is kept to resend (a caller over TCP does not retransmit)
  const tcp = server(layer, request('INVITE', 2), { ...src, proto: 'tcp' });
  tcp.reply(200, Buffer.from(sipText(['SIP/2.0 200 OK'])), false);
  tr.take();
  assert.equal(layer.absorbRequest(request('INVITE', 2)), true);
  assert.equal(tr.take().length, 0);
  mock.timers.tick(TM_DEFAULTS.wtTimer + 20);
  assert.equal(layer.absorbRequest(request('INVITE', 1)), false);
  assert.equal(layer.receiveCancel(request('CANCEL', 1), src), undefined);
  assert.equal(layer.stats.waiting, 0, 'the CANCEL transaction ended too');
});

class Recorder implements ClientOwner {
  got: (number | null)[] = [];
  onBranchReply(_ct: ClientTxn, m: SipMessage | null): void {
    this.got.push(m ? m.status : null);
  }
}

test('a non-INVITE branch answered over UDP absorbs retransmitted replies as a row until wt_timer', () => {
  const { tr, layer } = setup();
  const rec = new Recorder();
  const buf = Buffer.from(sipText(['OPTIONS sip:bob@127.0.0.1:5080 SIP/2.0']));
  assert.ok(layer.request('z9hG4bKdsdopt1', 'OPTIONS', buf, { proto: 'udp', ip: '127.0.0.1', port: 5080 }, rec));
  tr.take();
  const ok = (): SipMessage =>
    msg([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKdsdopt1',
      'From: <sip:alice@a>;tag=fa',
      'To: <sip:bob@b>;tag=tb',
      'Call-ID: c3',
      'CSeq: 1 OPTIONS',
    ]);
  assert.ok(layer.matchReply(ok()));
  assert.equal(layer.clients.size, 0, 'no object lingers');
  const received = layer.stats.rplReceived;
  assert.ok(layer.matchReply(ok()), 'a retransmission is absorbed');
  assert.equal(layer.stats.rplReceived, received + 1);
  assert.deepEqual(rec.got, [200], 'the owner heard it once');
  mock.timers.tick(TM_DEFAULTS.t1 * 8);
  assert.equal(tr.take().length, 0, 'nothing retransmitted');
  mock.timers.tick(TM_DEFAULTS.wtTimer);
  assert.equal(layer.matchReply(ok()), false, 'gone after wt_timer');
  assert.equal(layer.linger.size, 0);
});

test('thousands of rows: the table and the reply log grow, every reply stays intact, all end together', () => {
  const { tr, layer, src } = setup();
  const N = 6000;
  const sent: string[] = [];
  for (let n = 0; n < N; n++) {
    assert.ok(server(layer, request('BYE', n), src).replyLocal(200, 'OK'));
    sent.push(tr.take()[0]!.text);
  }
  assert.equal(layer.linger.size, N);
  assert.equal(layer.servers.size, 0, 'none fell back to an object');
  for (let n = N - 1; n >= 0; n -= 7) {
    assert.equal(layer.absorbRequest(request('BYE', n)), true);
    assert.equal(tr.take()[0]!.text, sent[n], `reply ${n}`);
  }
  mock.timers.tick(TM_DEFAULTS.wtTimer + 20);
  assert.equal(layer.linger.size, 0);
  assert.equal(layer.absorbRequest(request('BYE', 5)), false);
  assert.equal(layer.stats.waiting, 0);
  // and the table takes rows again afterwards
  assert.ok(server(layer, request('BYE', 1), src).replyLocal(200, 'OK'));
  tr.take();
  assert.equal(layer.absorbRequest(request('BYE', 1)), true);
  assert.equal(tr.take()[0]!.text, sent[1]);
});

test('over TCP nothing lingers as a row: the transaction ends at once, as before', () => {
  const { tr, layer, src } = setup();
  const tcp: Source = { ...src, proto: 'tcp' };
  server(layer, request('BYE', 1), tcp).replyLocal(200, 'OK');
  tr.take();
  assert.equal(layer.linger.size, 0);
  mock.timers.tick(20);
  assert.equal(layer.servers.size, 0);
  assert.equal(layer.stats.waiting, 0);
});

test('endAll() ends rows and objects alike (the warm-up lets its layers go)', () => {
  const { tr, layer, src } = setup();
  server(layer, request('BYE', 1), src).replyLocal(200, 'OK');
  server(layer, request('INVITE', 2), src).trying();
  tr.take();
  layer.endAll();
  assert.equal(layer.linger.size, 0);
  assert.equal(layer.servers.size, 0);
  assert.equal(layer.timers.size, 0, 'no timer left armed');
  assert.equal(layer.stats.waiting, 0);
  assert.equal(layer.stats.current, 0);
});

/** A layer whose rows live 200 ms, and a 2xx of ~8 KB (the largest a row keeps in the log). */
function bigRepliesSetup(): { tr: FakeTransport; layer: TxnLayer; src: Source; ok: Buffer } {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const tr = new FakeTransport();
  const layer = new TxnLayer(tr, {
    tm: { ...TM_DEFAULTS, wtTimer: 200 },
    serverHeader: 'test',
    clock: () => Date.now(),
  });
  const src: Source = { proto: 'udp', ip: '127.0.0.1', port: 5070, local: tr.sockets[0]! };
  return { tr, layer, src, ok: Buffer.from(sipText(['SIP/2.0 200 OK', `X-Pad: ${'x'.repeat(8000)}`])) };
}

test('2xx bytes of INVITE rows are freed as the rows end: a steady stream never fills the reply log', () => {
  const { tr, layer, src, ok } = bigRepliesSetup();
  // 100 INVITEs answered 2xx every 100 ms, rows living 200 ms: ~2.4 MB live at a time, 80 MB
  // in all, past the log's 64 MB bound; the queue never empties, so only the rows ending
  // free the log
  for (let step = 0; step < 100; step++) {
    for (let k = 0; k < 100; k++) {
      const n = step * 100 + k;
      server(layer, request('INVITE', n), src).reply(200, ok, false);
    }
    tr.take();
    assert.equal(layer.servers.size, 0, `step ${step}: every 2xx still fits the log`);
    mock.timers.tick(100);
  }
  const last = 99 * 100 + 5;
  assert.equal(layer.absorbRequest(request('INVITE', last)), true);
  assert.equal(tr.take()[0]!.text, ok.toString('latin1'));
});

test("past the reply log's 64 MB bound replies linger as objects, and rows come back once it drains", () => {
  const { tr, layer, src, ok } = bigRepliesSetup();
  // ~8.1 KB each, all live at once: 9000 of them are ~73 MB
  for (let n = 0; n < 9000; n++) server(layer, request('INVITE', n), src).reply(200, ok, false);
  tr.take();
  const objects = layer.servers.size;
  assert.ok(objects > 0 && objects < 2000, `${objects} past the bound stayed objects`);
  assert.equal(layer.linger.size + objects, 9000);
  // every one still answers its retransmission with its own 2xx, row or object
  for (const n of [0, 4000, 8999]) {
    assert.equal(layer.absorbRequest(request('INVITE', n)), true, `INVITE ${n}`);
    assert.equal(tr.take()[0]!.text, ok.toString('latin1'));
  }
  mock.timers.tick(400);
  assert.equal(layer.linger.size, 0);
  assert.equal(layer.servers.size, 0);
  assert.equal(layer.stats.waiting, 0);
  // drained: the next 2xx is a row again
  server(layer, request('INVITE', 9001), src).reply(200, ok, false);
  tr.take();
  assert.equal(layer.servers.size, 0);
  assert.equal(layer.linger.size, 1);
});

test('IPv4 reply addresses are the rows own: past 65,536 distinct peers every one is still a row, answered at its address', () => {
  const { tr, layer, src } = setup();
  const N = 70_000;
  const ipOf = (n: number): string => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  for (let n = 0; n < N; n++) {
    assert.ok(
      server(layer, request('BYE', n), { ...src, ip: ipOf(n), port: 1024 + (n % 60_000) }).replyLocal(200, 'OK'),
    );
  }
  tr.take();
  assert.equal(layer.servers.size, 0, 'none fell back to an object');
  assert.equal(layer.linger.size, N);
  for (const n of [0, 65_535, 65_536, N - 1]) {
    assert.equal(layer.absorbRequest(request('BYE', n)), true);
    const [s] = tr.take();
    assert.equal(s!.target.ip, ipOf(n), `peer ${n}`);
    assert.equal(s!.target.port, 5070, 'the Via port (no rport)');
  }
  // an IPv6 peer is kept by index, and answered at its own text
  assert.ok(server(layer, request('BYE', N), { ...src, ip: '::1', port: 5099 }).replyLocal(200, 'OK'));
  tr.take();
  assert.equal(layer.absorbRequest(request('BYE', N)), true);
  assert.deepEqual([tr.take()[0]!.target.ip, layer.servers.size], ['::1', 0]);
});

test('packIpv4 takes exactly the dotted quads ipv4Text gives back', () => {
  for (const ip of ['0.0.0.0', '127.0.0.1', '10.0.255.9', '255.255.255.255', '192.168.100.200']) {
    const v = packIpv4(ip);
    assert.notEqual(v, 0x100000000, ip);
    assert.equal(ipv4Text(v), ip);
  }
  for (const ip of [
    '',
    '::1',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.',
    '.1.2.3',
    '01.2.3.4',
    '1.2.3.256',
    '1..2.3',
    'a.b.c.d',
    '1.2.3.4 ',
    '::ffff:1.2.3.4',
  ])
    assert.equal(packIpv4(ip), 0x100000000, JSON.stringify(ip));
});
