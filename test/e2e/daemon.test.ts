/**
 * The daemon's life cycle, driven through the real bin/dsd: command line, pid file,
 * graceful stop on SIGTERM with a call in flight, SIGHUP reload of the destination list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, DSD_BIN } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { startSipp, runUac, UAC_XML, UAS_XML, FIXTURES, num } from '../helpers/sipp';
import { waitUntil } from '../helpers/wait';
import { callRpc } from '../../src/cli/client';
import { at } from '../helpers/at';

test('dsd -V, -h and a bad option', () => {
  const v = spawnSync(process.execPath, [DSD_BIN, '-V'], { encoding: 'utf8' });
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^version: dsd \d+\.\d+\.\d+ \([^/]+\/[^)]+\)\n$/);
  const h = spawnSync(process.execPath, [DSD_BIN, '-h'], { encoding: 'utf8' });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /-f FILE/);
  const bad = spawnSync(process.execPath, [DSD_BIN, '--nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown option --nope/);
});

test('pid file written at start and removed at exit', { timeout: 30_000 }, async () => {
  const [px, b1] = await freePorts(2);
  const dsd = await startDsd({
    cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`] }),
    list: `1 sip:127.0.0.1:${b1}\n`,
    args: ['-P', '{DIR}/dsd.pid'],
  });
  const pidFile = path.join(dsd.dir, 'dsd.pid');
  assert.equal(fs.readFileSync(pidFile, 'utf8').trim(), String(dsd.proc.pid));
  const exited = new Promise((r) => dsd.proc.once('exit', r));
  dsd.proc.kill('SIGTERM');
  await exited;
  assert.equal(dsd.proc.exitCode, 0);
  assert.equal(fs.existsSync(pidFile), false);
  await dsd.stop();
});

function sendInvite(port: number, listenPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no reply to INVITE'));
    }, 30_000);
    s.on('message', (m) => {
      const line = at(m.toString('latin1').split('\r\n'), 0);
      if (line.startsWith('SIP/2.0 1')) return;
      clearTimeout(timer);
      s.close();
      resolve(line);
    });
    s.bind(listenPort, '127.0.0.1', () => {
      const msg = [
        `INVITE sip:late@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${listenPort};branch=z9hG4bK-late-${Date.now()}`,
        'From: <sip:late@127.0.0.1>;tag=1',
        `To: <sip:late@127.0.0.1:${port}>`,
        `Call-ID: late-${Date.now()}@test`,
        'CSeq: 1 INVITE',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      s.send(msg, port, '127.0.0.1');
    });
  });
}

test('SIGTERM: the call in flight completes, a new INVITE gets 503, exit 0', { timeout: 90_000 }, async () => {
  const [px, b1, uac, c1, c2, raw] = await freePorts(6);
  const dsd = await startDsd({
    cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`] }),
    list: `1 sip:127.0.0.1:${b1}\n`,
  });
  const uas = startSipp({ scenario: path.join(FIXTURES, 'sipp', 'uas-slow.xml'), port: b1, controlPort: c1 });
  try {
    await uas.ready();
    const call = runUac({
      scenario: path.join(FIXTURES, 'sipp', 'uac-nobye.xml'),
      port: uac,
      controlPort: c2,
      remote: `127.0.0.1:${px}`,
      calls: 1,
      rate: 10,
      timeoutMs: 45_000,
    });
    // the INVITE's transaction is open (its 200 comes 5 s after the backend got it)
    await waitUntil(
      async () =>
        ((await callRpc(`${dsd.dir}/dsd_ctl`, 'tm.stats', undefined, 10_000)) as { current: number }).current >= 1,
      { what: 'the INVITE transaction in tm.stats' },
    );
    const exited = new Promise<number | null>((r) => dsd.proc.once('exit', (c) => r(c)));
    dsd.proc.kill('SIGTERM');
    await dsd.waitFor(/SIGTERM: no new transactions/);
    assert.equal(await sendInvite(px, raw), 'SIP/2.0 503 Service Unavailable');
    const r = await call;
    assert.equal(num(r.stats, 'SuccessfulCall(C)'), 1, r.output.slice(-2000));
    assert.equal(await exited, 0);
    assert.match(dsd.output(), /SIGTERM: no new transactions/);
  } finally {
    await uas.stop();
    await dsd.stop();
  }
});

test('SIGHUP reloads the destination list', { timeout: 90_000 }, async () => {
  const [px, b1, b2, uac, c1, c2, c3] = await freePorts(7);
  const dsd = await startDsd({
    // a starved sipp may answer late: no failover before 15 s
    cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: ['modparam("tm", "fr_timer", 15000)'] }),
    list: `1 sip:127.0.0.1:${b1}\n`,
  });
  const uas1 = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
  const uas2 = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
  try {
    await uas1.ready();
    await uas2.ready();
    let r = await runUac({
      scenario: UAC_XML,
      port: uac,
      controlPort: c3,
      remote: `127.0.0.1:${px}`,
      calls: 4,
      rate: 20,
      timeoutMs: 20_000,
    });
    assert.equal(num(r.stats, 'SuccessfulCall(C)'), 4);
    fs.writeFileSync(path.join(dsd.dir, 'dispatcher.list'), `1 sip:127.0.0.1:${b2}\n`);
    dsd.proc.kill('SIGHUP');
    await dsd.waitFor(/reloaded/);
    r = await runUac({
      scenario: UAC_XML,
      port: uac,
      controlPort: c3,
      remote: `127.0.0.1:${px}`,
      calls: 6,
      rate: 20,
      timeoutMs: 20_000,
    });
    assert.equal(num(r.stats, 'SuccessfulCall(C)'), 6);
    assert.equal(num(await uas1.stop(), 'IncomingCall(C)'), 4);
    assert.equal(num(await uas2.stop(), 'IncomingCall(C)'), 6);
  } finally {
    await uas1.stop();
    await uas2.stop();
    await dsd.stop();
  }
});
