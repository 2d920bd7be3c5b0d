/**
 * Replies kept for retransmissions share slabs (transaction/reply-arena.ts): the bytes are
 * the reply's, kept replies of about the same time share one ArrayBuffer, a large one keeps
 * its own buffer, and what a transaction sends again is what it sent first (a negative
 * INVITE final; a non-INVITE's reply lingers in linger.ts: linger.test.ts).
 */
import { test, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyArena } from '../../../src/transaction/reply-arena';
import { TxnLayer } from '../../../src/transaction/layer';
import { ServerTxn } from '../../../src/transaction/server';
import { serverKey } from '../../../src/transaction/keys';
import { TM_DEFAULTS } from '../../../src/transaction/config';
import { parseMessage } from '../../../src/sip/message';
import type { Source } from '../../../src/transport/types';
import { FakeTransport, sipText } from '../../helpers/fake-transport';

afterEach(() => mock.timers.reset());

test('kept replies are copies in one shared slab; a new slab when one is full', () => {
  const arena = new ReplyArena();
  const replies = Array.from({ length: 200 }, (_, i) => Buffer.from(`SIP/2.0 200 OK\r\nX-N: ${i}\r\n\r\n`));
  const kept = replies.map((r) => arena.keep(r));
  kept.forEach((k, i) => {
    assert.ok(k.equals(replies[i]!), `reply ${i} intact`);
    assert.notEqual(k.buffer, replies[i]!.buffer, 'a copy, not the reply built for sending');
  });
  assert.equal(new Set(kept.map((k) => k.buffer)).size, 1, 'all in one slab');
  // overwriting what was sent does not touch what was kept
  replies[0]!.fill(0);
  assert.match(kept[0]!.toString('latin1'), /^SIP\/2\.0 200 OK/);
  // past a slab's size, a new one
  const big = Buffer.alloc(8 * 1024, 0x41);
  const slabs = new Set<ArrayBufferLike>();
  for (let i = 0; i < 20; i++) slabs.add(arena.keep(big).buffer);
  assert.ok(slabs.size >= 2, `${slabs.size} slabs for 160 KB`);
});

test('a reply larger than the share limit keeps its own buffer', () => {
  const arena = new ReplyArena();
  const huge = Buffer.alloc(20 * 1024, 0x42);
  assert.equal(arena.keep(huge), huge);
});

test('negative INVITE finals over UDP share a slab, and timer G sends the bytes of each again', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const tr = new FakeTransport();
  const layer = new TxnLayer(tr, { tm: TM_DEFAULTS, serverHeader: 'test', clock: () => Date.now() });
  const src: Source = { proto: 'udp', ip: '127.0.0.1', port: 5070, local: tr.sockets[0]! };
  const invite = (n: number) =>
    parseMessage(
      Buffer.from(
        sipText([
          'INVITE sip:bob@127.0.0.1 SIP/2.0',
          `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKinv${n}`,
          'From: <sip:alice@a>;tag=fa',
          'To: <sip:bob@b>',
          `Call-ID: call-${n}`,
          'CSeq: 1 INVITE',
          'Max-Forwards: 70',
        ]),
        'latin1',
      ),
    );
  const txns = [0, 1, 2].map((n) => new ServerTxn(layer, serverKey(invite(n))!, invite(n), src, `tt${n}`));
  txns.forEach((t) => assert.ok(t.replyLocal(486, 'Busy Here')));
  const first = tr.take().map((s) => s.text);
  assert.equal(new Set(txns.map((t) => t.lastReply!.buffer)).size, 1, 'the three kept replies share a slab');
  for (let round = 0; round < 2; round++) {
    [0, 1, 2].forEach((n) => assert.equal(layer.absorbRequest(invite(n)), true));
    assert.deepEqual(
      tr.take().map((s) => s.text),
      first,
    );
  }
  mock.timers.tick(TM_DEFAULTS.t1);
  assert.deepEqual(
    tr.take().map((s) => s.text),
    first,
    'timer G',
  );
  mock.timers.tick(64 * TM_DEFAULTS.t1 + 20);
  assert.equal(layer.servers.size, 0);
});
