/**
 * The transaction layer against a fake transport: matching, retransmissions on the
 * RFC 3261 timers (mocked clock), hop-by-hop ACK and CANCEL, local requests.
 */
import { test, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/sip/message';
import { TxnLayer } from '../../../src/transaction/layer';
import { ServerTxn } from '../../../src/transaction/server';
import { serverKey } from '../../../src/transaction/keys';
import { TM_DEFAULTS } from '../../../src/transaction/config';
import type { ClientOwner, ClientTxn } from '../../../src/transaction/client';
import { buildLocalRequest } from '../../../src/transaction/local-request';
import type { SipMessage } from '../../../src/sip/message';
import type { Source } from '../../../src/transport/types';
import { FakeTransport, sipText, firstLine } from '../../helpers/fake-transport';
import { header } from '../../helpers/sip-peer';

afterEach(() => mock.timers.reset());

function setup(): { tr: FakeTransport; layer: TxnLayer; src: Source } {
  // the transaction timers read the (mocked) clock
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const tr = new FakeTransport();
  const layer = new TxnLayer(tr, { tm: TM_DEFAULTS, serverHeader: 'test', clock: () => Date.now() });
  const src: Source = { proto: 'udp', ip: '127.0.0.1', port: 5070, local: tr.sockets[0]! };
  return { tr, layer, src };
}

const msg = (lines: string[]): SipMessage => parseMessage(Buffer.from(sipText(lines), 'latin1'));

const invite = (branch = 'z9hG4bKc1', method = 'INVITE'): SipMessage =>
  msg([
    `${method} sip:bob@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}`,
    'From: <sip:alice@a>;tag=fa',
    'To: <sip:bob@b>',
    'Call-ID: call-1',
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
  ]);

function server(layer: TxnLayer, req: SipMessage, src: Source): ServerTxn {
  return new ServerTxn(layer, serverKey(req)!, req, src, 'tt');
}

test('a retransmitted INVITE gets the last reply again; a new one does not match', () => {
  const { tr, layer, src } = setup();
  const st = server(layer, invite(), src);
  st.trying();
  assert.equal(firstLine(tr.take()[0]!), 'SIP/2.0 100 Trying');
  assert.equal(layer.absorbRequest(invite()), true);
  assert.equal(firstLine(tr.take()[0]!), 'SIP/2.0 100 Trying');
  assert.equal(layer.absorbRequest(invite('z9hG4bKother')), false);
  assert.equal(tr.take().length, 0);
});

test('a negative final is retransmitted on timer G until the ACK, which the layer absorbs', () => {
  const { tr, layer, src } = setup();
  const st = server(layer, invite(), src);
  assert.ok(st.replyLocal(486, 'Busy Here'));
  const first = tr.take();
  assert.equal(first.length, 1);
  assert.match(header(first[0]!.text, 'to')!, /;tag=tt$/);
  mock.timers.tick(TM_DEFAULTS.t1);
  assert.equal(firstLine(tr.take()[0]!), 'SIP/2.0 486 Busy Here');
  mock.timers.tick(2 * TM_DEFAULTS.t1);
  assert.equal(tr.take().length, 1);
  assert.equal(layer.absorbRequest(invite('z9hG4bKc1', 'ACK')), true);
  assert.equal(st.lastReply, null, 'the reply is let go once confirmed');
  mock.timers.tick(10 * TM_DEFAULTS.t1);
  assert.equal(tr.take().length, 0, 'no retransmission after the ACK');
  assert.equal(layer.servers.size, 0, 'gone after T4');
});

test('a CANCEL for a known INVITE is answered 200 with the INVITE To tag; an unknown one is not', () => {
  const { tr, layer, src } = setup();
  const st = server(layer, invite(), src);
  const cancel = invite('z9hG4bKc1', 'CANCEL');
  assert.equal(layer.receiveCancel(cancel, src), st);
  const [ok] = tr.take();
  assert.equal(firstLine(ok!), 'SIP/2.0 200 canceling');
  assert.equal(header(ok!.text, 'to'), '<sip:bob@b>;tag=tt');
  assert.equal(header(ok!.text, 'cseq'), '1 CANCEL');
  assert.equal(layer.receiveCancel(invite('z9hG4bKnone', 'CANCEL'), src), undefined);
  assert.equal(tr.take().length, 0);
});

class Recorder implements ClientOwner {
  readonly got: Array<number | null> = [];
  onBranchReply(_ct: ClientTxn, m: SipMessage | null): void {
    this.got.push(m ? m.status : null);
  }
}

function branchRequest(layer: TxnLayer, tr: FakeTransport, owner: ClientOwner, method = 'INVITE'): ClientTxn {
  const buf = buildLocalRequest(
    {
      method,
      ruri: 'sip:bob@127.0.0.1:5080',
      to: 'sip:bob@b',
      from: 'sip:alice@a',
      fromTag: 'fa',
      callId: 'c2',
      cseq: 7,
    },
    tr.sockets[0]!,
    'z9hG4bKdsdbranch1',
  );
  const ct = layer.request('z9hG4bKdsdbranch1', method, buf, { proto: 'udp', ip: '127.0.0.1', port: 5080 }, owner);
  assert.ok(ct);
  return ct;
}

const replyTo = (status: string, method = 'INVITE', toTag = 'tb'): string =>
  sipText([
    `SIP/2.0 ${status}`,
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKdsdbranch1',
    'From: <sip:alice@a>;tag=fa',
    `To: <sip:bob@b>;tag=${toTag}`,
    'Call-ID: c2',
    `CSeq: 7 ${method}`,
  ]);

test('a client INVITE is retransmitted on timer A until a provisional, and times out on fr_inv_timer', () => {
  const { tr, layer } = setup();
  const rec = new Recorder();
  branchRequest(layer, tr, rec);
  assert.equal(tr.take().length, 1);
  mock.timers.tick(TM_DEFAULTS.t1);
  assert.equal(tr.take().length, 1, 'first retransmission after T1');
  mock.timers.tick(2 * TM_DEFAULTS.t1);
  assert.equal(tr.take().length, 1, 'second after 2·T1');
  assert.ok(layer.matchReply(parseMessage(Buffer.from(replyTo('180 Ringing'), 'latin1'))));
  mock.timers.tick(8 * TM_DEFAULTS.t1);
  assert.equal(tr.take().length, 0, 'no retransmission once it rang');
  mock.timers.tick(TM_DEFAULTS.frInvTimer);
  assert.deepEqual(rec.got, [180, null]);
});

test('a negative final gets an ACK built by the transaction (To tag of the reply), resent for its retransmissions', () => {
  const { tr, layer } = setup();
  const rec = new Recorder();
  branchRequest(layer, tr, rec);
  tr.take();
  const busy = (): SipMessage => parseMessage(Buffer.from(replyTo('486 Busy Here'), 'latin1'));
  assert.ok(layer.matchReply(busy()));
  const [ack] = tr.take();
  assert.equal(firstLine(ack!), 'ACK sip:bob@127.0.0.1:5080 SIP/2.0');
  assert.equal(header(ack!.text, 'to'), '<sip:bob@b>;tag=tb');
  assert.equal(header(ack!.text, 'cseq'), '7 ACK');
  assert.equal(header(ack!.text, 'via'), 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKdsdbranch1');
  assert.ok(layer.matchReply(busy()));
  assert.equal(tr.take()[0]!.text, ack!.text);
  assert.deepEqual(rec.got, [486], 'the owner hears the final once');
});

test('cancel() sends a CANCEL with the branch of the INVITE in a transaction of its own', () => {
  const { tr, layer } = setup();
  const rec = new Recorder();
  const ct = branchRequest(layer, tr, rec);
  tr.take();
  ct.cancel();
  const [c] = tr.take();
  assert.equal(firstLine(c!), 'CANCEL sip:bob@127.0.0.1:5080 SIP/2.0');
  assert.equal(header(c!.text, 'cseq'), '7 CANCEL');
  assert.equal(header(c!.text, 'to'), '<sip:bob@b>');
  assert.ok(
    layer.matchReply(parseMessage(Buffer.from(replyTo('200 OK', 'CANCEL'), 'latin1'))),
    'its 200 matches the CANCEL',
  );
  assert.deepEqual(rec.got, [], 'and not the INVITE');
});

test('request(): a local OPTIONS times out with a 408 for its owner; refused sends return null', () => {
  const { tr, layer } = setup();
  const rec = new Recorder();
  const ct = branchRequest(layer, tr, rec, 'OPTIONS');
  assert.equal(ct.method, 'OPTIONS');
  mock.timers.tick(TM_DEFAULTS.frTimer);
  assert.deepEqual(rec.got, [null]);
  tr.refuse = true;
  const buf = Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n');
  assert.equal(layer.request('z9hG4bKx', 'OPTIONS', buf, { proto: 'udp', ip: '127.0.0.1', port: 1 }, rec), null);
});
