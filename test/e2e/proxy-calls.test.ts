// dsd-test: alone — 1000 calls at 200 cps through dsd and Kamailio (scripts/run-tests.js)
/**
 * Calls through the proxy with sipp on both sides, over real loopback sockets: the load is
 * split over two backends, a backend that dies is failed over, a ringing call is
 * canceled end to end, and TCP and UDP mix on the two sides of the proxy.
 *
 * Every case runs the shipped etc/dsd.cfg on dsd and then on Kamailio 5.6 (the oracle,
 * required in CI), with the same sipp scenarios and the same assertions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { basicCfg, destinationList } from '../helpers/daemon';
import { observeEach } from '../helpers/oracle';
import { freePorts } from '../helpers/ports';
import {
  startSipp,
  runUac,
  readStats,
  UAC_XML,
  UAS_XML,
  FIXTURES,
  num,
  waitNoCurrentCall,
  withUasPair,
} from '../helpers/sipp';
import { waitUntil } from '../helpers/wait';

// a starved sipp UAS may answer late: the load tests give each branch 15 s before failover
const FR = 'modparam("tm", "fr_timer", 15000)';

test('1000 calls over two backends: none failed, split 500/500', { timeout: 240_000 }, async () => {
  const [px, b1, b2, uac, c1, c2, c3] = await freePorts(7);
  const cfg = basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: [FR] });
  const list = destinationList([b1, b2]);
  await observeEach({ cfg, list }, () =>
    withUasPair({ b1, b2, c1, c2 }, async (uas1, uas2) => {
      const r = await runUac({
        scenario: UAC_XML,
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        calls: 1000,
        rate: 200,
        timeoutMs: 60_000,
      });
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), 1000, r.output.slice(-2000));
      assert.equal(num(r.stats, 'FailedCall(C)'), 0);
      assert.equal(r.code, 0);
      assert.equal(num(await uas1.stop(), 'IncomingCall(C)'), 500);
      assert.equal(num(await uas2.stop(), 'IncomingCall(C)'), 500);
    }),
  );
});

test('a backend stopped mid-run: its INVITEs time out and fail over, no call lost', { timeout: 400_000 }, async () => {
  const [px, b1, b2, uac, c1, c2, c3] = await freePorts(7);
  // 5 s: long for a starved live backend, short enough to fail over from the dead one
  const cfg = basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: ['modparam("tm", "fr_timer", 5000)'] });
  const list = destinationList([b1, b2]);
  await observeEach({ cfg, list }, async () => {
    const uas1 = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
    const uas2 = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
    try {
      await uas1.ready();
      await uas2.ready();
      const load = startSipp({
        scenario: UAC_XML,
        port: uac,
        controlPort: c3,
        remote: `127.0.0.1:${px}`,
        calls: 300,
        rate: 50,
      });
      // both backends have taken calls (not a fixed time: a starved sipp starts slowly)
      await waitUntil(() => fs.existsSync(load.statFile) && num(readStats(load.statFile), 'SuccessfulCall(C)') >= 60, {
        timeoutMs: 60_000,
        what: '60 calls done',
      });
      // pause new calls and let every dialog end, so none is half-way on the backend we kill
      await load.control('p');
      await waitNoCurrentCall(load);
      const s2 = await uas2.stop();
      const before = num(s2, 'IncomingCall(C)');
      assert.ok(before > 20, `backend 2 took calls before it died (${before})`);
      await load.control('p');
      const timer = setTimeout(() => load.proc.kill('SIGINT'), 150_000);
      const code = await load.done;
      clearTimeout(timer);
      const stats = await load.stop();
      assert.equal(num(stats, 'SuccessfulCall(C)'), 300, load.output().slice(-2000));
      assert.equal(num(stats, 'FailedCall(C)'), 0);
      assert.equal(code, 0);
      const s1 = await uas1.stop();
      // every call after the kill ended on backend 1
      assert.equal(num(s1, 'IncomingCall(C)') + before, 300);
    } finally {
      await uas1.stop();
      await uas2.stop();
    }
  });
});

test('CANCEL of a ringing call: 487 upstream, the CANCEL reaches the backend', { timeout: 120_000 }, async () => {
  const [px, b1, uac, c1, c2] = await freePorts(5);
  const cfg = basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: [FR] });
  const list = `1 sip:127.0.0.1:${b1} 0 0\n`;
  await observeEach({ cfg, list }, async () => {
    const uas = startSipp({ scenario: path.join(FIXTURES, 'sipp', 'uas-ring.xml'), port: b1, controlPort: c1 });
    try {
      await uas.ready();
      const r = await runUac({
        scenario: path.join(FIXTURES, 'sipp', 'uac-cancel.xml'),
        port: uac,
        controlPort: c2,
        remote: `127.0.0.1:${px}`,
        calls: 20,
        rate: 10,
        timeoutMs: 30_000,
      });
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), 20, r.output.slice(-3000));
      assert.equal(r.code, 0);
      // the UAS ends a call when it has the ACK of its 487: wait for all 20, then stop it
      await waitUntil(() => fs.existsSync(uas.statFile) && num(readStats(uas.statFile), 'SuccessfulCall(C)') >= 20, {
        timeoutMs: 30_000,
        what: 'the UAS to complete 20 calls',
      });
      const s = await uas.stop();
      // the backend's scenario only completes a call when it got the CANCEL (and the ACK)
      assert.equal(num(s, 'SuccessfulCall(C)'), 20);
      assert.equal(num(s, 'FailedCall(C)'), 0);
    } finally {
      await uas.stop();
    }
  });
});

for (const [name, inT, outT] of [
  ['TCP in, UDP out', 't1', 'u1'],
  ['UDP in, TCP out', 'u1', 't1'],
] as const) {
  test(`${name}: calls complete, in-dialog requests follow the double Record-Route`, { timeout: 120_000 }, async () => {
    const [px, b1, uac, c1, c2] = await freePorts(5);
    const backendUri = outT === 't1' ? `sip:127.0.0.1:${b1};transport=tcp` : `sip:127.0.0.1:${b1}`;
    const cfg = basicCfg({ listen: [`udp:127.0.0.1:${px}`, `tcp:127.0.0.1:${px}`], params: [FR] });
    const list = `1 ${backendUri} 0 0\n`;
    await observeEach({ cfg, list }, async () => {
      const uas = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1, transport: outT });
      try {
        await uas.ready();
        const r = await runUac({
          scenario: UAC_XML,
          port: uac,
          controlPort: c2,
          remote: `127.0.0.1:${px}`,
          transport: inT,
          calls: 50,
          rate: 20,
          timeoutMs: 30_000,
        });
        assert.equal(num(r.stats, 'SuccessfulCall(C)'), 50, r.output.slice(-3000));
        assert.equal(num(r.stats, 'FailedCall(C)'), 0);
        const s = await uas.stop();
        assert.equal(num(s, 'SuccessfulCall(C)'), 50);
      } finally {
        await uas.stop();
      }
    });
  });
}

test('IPv6 in, IPv4 out: calls complete through [::1]', { timeout: 120_000 }, async () => {
  const [px, b1, uac, c1, c2] = await freePorts(5);
  const cfg = basicCfg({ listen: [`udp:[::1]:${px}`, `udp:127.0.0.1:${px}`], params: [FR] });
  const list = `1 sip:127.0.0.1:${b1} 0 0\n`;
  await observeEach({ cfg, list }, async () => {
    const uas = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
    try {
      await uas.ready();
      const r = await runUac({
        scenario: UAC_XML,
        port: uac,
        controlPort: c2,
        remote: `[::1]:${px}`,
        localIp: '::1',
        calls: 20,
        rate: 20,
        timeoutMs: 30_000,
      });
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), 20, r.output.slice(-3000));
      assert.equal(num(await uas.stop(), 'SuccessfulCall(C)'), 20);
    } finally {
      await uas.stop();
    }
  });
});
