/**
 * The proxy core and its transactions against a fake transport: one INVITE walked from
 * the transport through the route hooks to a backend and back, failover through the
 * failure hook, CANCEL, absorbed retransmissions, stateless forwarding and draining.
 */
import { test, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ProxyCore } from '../../../src/proxy/core';
import type { RouteHooks } from '../../../src/proxy/hooks';
import { TM_DEFAULTS } from '../../../src/transaction/config';
import { silentLogger } from '../../../src/core/log';
import { dnsResolver } from '../../../src/dns/resolver';
import { FakeTransport, sipText, firstLine, Sent } from '../../helpers/fake-transport';
import { header, headerValues } from '../../helpers/sip-peer';

afterEach(() => mock.timers.reset());

const B1 = 'sip:127.0.0.1:5080';
const B2 = 'sip:127.0.0.1:5081';

async function proxy(
  hooks: Partial<RouteHooks> = {},
): Promise<{ tr: FakeTransport; core: ProxyCore; failures: string[] }> {
  // the transaction timers read the (mocked) clock
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const tr = new FakeTransport();
  const failures: string[] = [];
  const core: ProxyCore = new ProxyCore(
    { transport: tr, tm: TM_DEFAULTS, log: silentLogger, serverHeader: null, clock: () => Date.now() },
    {
      request: (ctx) => {
        ctx.du = B1;
        ctx.recordRoute = true;
        ctx.failureRoute = 'f';
        core.relay(ctx);
      },
      failure: (name, ctx) => {
        failures.push(`${name}:${ctx.replyCode}`);
        ctx.du = B2;
        core.relay(ctx);
      },
      ...hooks,
    },
  );
  await core.start();
  return { tr, core, failures };
}

const INVITE = sipText([
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKup1;rport',
  'From: <sip:alice@a>;tag=fa',
  'To: <sip:bob@example.com>',
  'Call-ID: walk-1',
  'CSeq: 1 INVITE',
  'Max-Forwards: 70',
  'Contact: <sip:alice@127.0.0.1:5070>',
]);

/** A reply from a backend to the request we sent it (our Via and the upstream one copied). */
function replyFrom(req: Sent, status: string, toTag = 'b1'): string {
  const vias = headerValues(req.text, 'via').map((v) => `Via: ${v}`);
  const cseq = header(req.text, 'cseq')!;
  return sipText([
    `SIP/2.0 ${status}`,
    ...vias,
    `From: ${header(req.text, 'from')}`,
    `To: ${header(req.text, 'to')}${status.startsWith('100') ? '' : `;tag=${toTag}`}`,
    `Call-ID: ${header(req.text, 'call-id')}`,
    `CSeq: ${cseq}`,
  ]);
}

const toBackend = (s: Sent[], port: number): Sent[] => s.filter((x) => x.target.port === port);
const upstream = (s: Sent[]): string[] => s.filter((x) => x.target.port === 5070).map(firstLine);

test('an INVITE goes to the backend with our Via and Record-Route; its replies come back without our Via', async () => {
  const { tr } = await proxy();
  tr.inject(INVITE);
  let out = tr.take();
  assert.deepEqual(upstream(out), ['SIP/2.0 100 Trying']);
  const [fwd] = toBackend(out, 5080);
  assert.ok(fwd);
  assert.equal(firstLine(fwd), 'INVITE sip:bob@example.com SIP/2.0');
  const vias = headerValues(fwd.text, 'via');
  assert.match(vias[0]!, /^SIP\/2\.0\/UDP 127\.0\.0\.1:5060;branch=z9hG4bKdsd/);
  assert.equal(vias[1], 'SIP/2.0/UDP 127.0.0.1:5070;received=127.0.0.1;branch=z9hG4bKup1;rport=5070');
  assert.equal(header(fwd.text, 'record-route'), '<sip:127.0.0.1:5060;lr;ftag=fa>');
  tr.inject(replyFrom(fwd, '180 Ringing'), '127.0.0.1', 5080);
  tr.inject(replyFrom(fwd, '200 OK'), '127.0.0.1', 5080);
  out = tr.take();
  assert.deepEqual(upstream(out), ['SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
  for (const s of out)
    assert.deepEqual(headerValues(s.text, 'via'), [
      'SIP/2.0/UDP 127.0.0.1:5070;received=127.0.0.1;branch=z9hG4bKup1;rport=5070',
    ]);
});

test('a retransmitted INVITE is absorbed (100 again, no second branch)', async () => {
  const { tr } = await proxy();
  tr.inject(INVITE);
  tr.take();
  tr.inject(INVITE);
  const out = tr.take();
  assert.deepEqual(upstream(out), ['SIP/2.0 100 Trying']);
  assert.equal(toBackend(out, 5080).length, 0);
});

test('a failed branch is ACKed, the failure hook adds the next one, and its 200 goes upstream', async () => {
  const { tr, failures } = await proxy();
  tr.inject(INVITE);
  const [fwd] = toBackend(tr.take(), 5080);
  tr.inject(replyFrom(fwd!, '503 Service Unavailable'), '127.0.0.1', 5080);
  let out = tr.take();
  assert.deepEqual(toBackend(out, 5080).map(firstLine), ['ACK sip:bob@example.com SIP/2.0']);
  assert.deepEqual(failures, ['f:503']);
  const [fwd2] = toBackend(out, 5081);
  assert.ok(fwd2, 'second branch sent');
  assert.notEqual(headerValues(fwd2.text, 'via')[0], headerValues(fwd!.text, 'via')[0], 'a branch id of its own');
  assert.deepEqual(upstream(out), [], 'nothing upstream while the failover runs');
  tr.inject(replyFrom(fwd2, '200 OK', 'b2'), '127.0.0.1', 5081);
  out = tr.take();
  assert.deepEqual(upstream(out), ['SIP/2.0 200 OK']);
});

test('every branch failed and no failure route: the best reply goes upstream', async () => {
  const { tr } = await proxy({ failure: () => undefined });
  tr.inject(INVITE);
  const [fwd] = toBackend(tr.take(), 5080);
  tr.inject(replyFrom(fwd!, '486 Busy Here'), '127.0.0.1', 5080);
  const out = tr.take();
  assert.deepEqual(upstream(out), ['SIP/2.0 486 Busy Here']);
});

test('a CANCEL is answered 200, CANCELs the ringing branch downstream, and the 487 goes upstream', async () => {
  const { tr } = await proxy({ failure: () => undefined });
  tr.inject(INVITE);
  const [fwd] = toBackend(tr.take(), 5080);
  tr.inject(replyFrom(fwd!, '180 Ringing'), '127.0.0.1', 5080);
  tr.take();
  tr.inject(
    sipText([
      'CANCEL sip:bob@example.com SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKup1;rport',
      'From: <sip:alice@a>;tag=fa',
      'To: <sip:bob@example.com>',
      'Call-ID: walk-1',
      'CSeq: 1 CANCEL',
      'Max-Forwards: 70',
    ]),
  );
  let out = tr.take();
  assert.deepEqual(upstream(out), ['SIP/2.0 200 canceling']);
  const [cancel] = toBackend(out, 5080);
  assert.equal(firstLine(cancel!), 'CANCEL sip:bob@example.com SIP/2.0');
  assert.equal(headerValues(cancel!.text, 'via')[0], headerValues(fwd!.text, 'via')[0]);
  tr.inject(replyFrom(fwd!, '487 Request Terminated'), '127.0.0.1', 5080);
  out = tr.take();
  assert.deepEqual(upstream(out), ['SIP/2.0 487 Request Terminated']);
  assert.deepEqual(toBackend(out, 5080).map(firstLine), ['ACK sip:bob@example.com SIP/2.0']);
});

test('a 2xx retransmission with no transaction left is forwarded statelessly when the top Via is ours', async () => {
  const { tr, core } = await proxy();
  tr.inject(INVITE);
  const [fwd] = toBackend(tr.take(), 5080);
  tr.inject(replyFrom(fwd!, '200 OK'), '127.0.0.1', 5080);
  tr.take();
  tr.inject(replyFrom(fwd!, '200 OK'), '127.0.0.1', 5080);
  assert.deepEqual(upstream(tr.take()), ['SIP/2.0 200 OK']);
  assert.equal(core.stats.statelessForwards, 1);
  const foreign = replyFrom(fwd!, '200 OK').replace(/127\.0\.0\.1:5060;branch=/, '10.9.9.9:5060;branch=');
  tr.inject(foreign, '127.0.0.1', 5080);
  assert.equal(tr.take().length, 0, 'a reply whose top Via is not ours is dropped');
});

test('drain() resolves once the last transaction answered, and new requests get 503', async () => {
  const { tr, core } = await proxy();
  tr.inject(INVITE);
  const [fwd] = toBackend(tr.take(), 5080);
  assert.equal(core.inFlight, 1);
  let drained = false;
  const d = core.drain(60_000).then(() => {
    drained = true;
  });
  tr.inject(INVITE.replace('walk-1', 'walk-2').replace('z9hG4bKup1', 'z9hG4bKup2'));
  assert.deepEqual(upstream(tr.take()), ['SIP/2.0 503 Service Unavailable']);
  await Promise.resolve();
  assert.equal(drained, false);
  assert.equal(core.inFlight, 1, 'the refused request never counted');
  tr.inject(replyFrom(fwd!, '200 OK'), '127.0.0.1', 5080);
  await d;
  assert.equal(drained, true);
  assert.equal(core.inFlight, 0);
  // the 200 retransmitted: relayed statelessly, and the count stays at zero
  tr.inject(replyFrom(fwd!, '200 OK'), '127.0.0.1', 5080);
  assert.equal(core.inFlight, 0);
});

// Kamailio's core has no automatic loop detection (no 482): a request that comes back is
// routed again, and the script's Max-Forwards check ends a real loop (483), as
// test/e2e/oracle-transactions.test.ts shows against Kamailio itself.
test('a request that comes back to us unchanged is routed again, not refused with 482', async () => {
  const { tr } = await proxy();
  tr.inject(INVITE);
  const [fwd] = toBackend(tr.take(), 5080);
  tr.inject(fwd!.text, '127.0.0.1', 5080);
  const out = tr.take();
  assert.ok(!out.map(firstLine).some((l) => l.startsWith('SIP/2.0 482')), out.map(firstLine).join(' | '));
  const again = out.filter((x) => firstLine(x).startsWith('INVITE '));
  assert.equal(again.length, 1, 'forwarded once more');
  assert.equal(
    (again[0]!.text.match(/^Via: .*branch=z9hG4bKdsd/gim) ?? []).length,
    2,
    'with a second Via of ours on top',
  );
});

// The start-up warm-up runs calls through a core of its own and stops it: a call cut at its
// deadline while its relay waited (DNS, an async branch_route) must not start a transaction
// afterwards, whose timer would run the failure route seconds later (issue #19).
test('a relay waiting on DNS when the core stops gives up at once and starts no transaction', async () => {
  const never = mock.method(dnsResolver(), 'locate', () => new Promise(() => undefined));
  try {
    const codes: Array<number | Promise<number>> = [];
    const { tr, core } = await proxy({
      request: (ctx) => {
        ctx.du = 'sip:backend.invalid';
        ctx.failureRoute = 'f';
        codes.push(core.relay(ctx));
      },
    });
    tr.inject(INVITE);
    assert.equal(never.mock.callCount(), 1);
    const pending = codes[0];
    assert.ok(pending instanceof Promise);
    await core.stop();
    assert.ok((await pending) < 0);
    assert.equal(core.txns.clients.size, 0);
    assert.equal(toBackend(tr.take(), 5060).length, 0);
  } finally {
    never.mock.restore();
  }
});

test('an async branch_route that ends after the core stopped sends no branch', async () => {
  let release: (keep: boolean) => void = () => undefined;
  const codes: Array<number | Promise<number>> = [];
  const { tr, core } = await proxy({
    request: (ctx) => {
      ctx.du = B1;
      ctx.branchRoute = 'b';
      codes.push(core.relay(ctx));
    },
    branch: () =>
      new Promise<boolean>((r) => {
        release = r;
      }),
  });
  tr.inject(INVITE);
  await core.stop();
  release(true);
  assert.ok((await codes[0]!) < 0);
  assert.equal(core.txns.clients.size, 0);
  assert.equal(toBackend(tr.take(), 5080).length, 0);
});
