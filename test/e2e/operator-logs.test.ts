/**
 * Logs as an operator reads them, through the real dsd and dsctl: structured JSON lines
 * with real fields, "started" shown at Kamailio's default debug, an audit line for every
 * change over the control socket (ok and failed), corex.debug changing what is logged at
 * run time (the script's xlog included), and syslog (log_stderror=no) received by a Unix
 * datagram socket the test binds, with log_facility and log_name in the RFC 5424 header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, DSD_BIN, tmpDir, Dsd } from '../helpers/daemon';
import { dsctlOn, type CtlResult } from '../helpers/ctl';
import { freePorts } from '../helpers/ports';
import { UdpPeer } from '../helpers/sip-peer';
import { startSyslogReceiver } from '../helpers/syslog-receiver';

function cfg(port: number, head: string): string {
  return `#!KAMAILIO
${head}
listen=udp:127.0.0.1:${port}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "xlog.so"
loadmodule "pv.so"
loadmodule "ctl.so"
loadmodule "dispatcher.so"
modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")
modparam("dispatcher", "list_file", "{DIR}/dispatcher.list")
request_route {
  xlog("L_DBG", "dbg-line $rm\\n");
  xlog("L_INFO", "info-line $rm\\n");
  sl_send_reply("200", "OK");
  exit;
}
`;
}

const dsctl = (dir: string, ...args: string[]): CtlResult => dsctlOn({ dir }, ...args);

/** The daemon's JSON lines so far. */
function jsonLines(d: Dsd): Array<Record<string, unknown>> {
  return d
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function waitLine(
  d: Dsd,
  pred: (o: Record<string, unknown>) => boolean,
  ms = 15_000,
): Promise<Record<string, unknown>> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const hit = jsonLines(d).find(pred);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no such log line within ${ms} ms:\n${d.output()}`);
}

async function options(peer: UdpPeer, port: number, tag: string): Promise<void> {
  const msg = [
    `OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-${tag};rport`,
    'Max-Forwards: 70',
    `From: <sip:t@127.0.0.1>;tag=${tag}`,
    `To: <sip:ping@127.0.0.1:${port}>`,
    `Call-ID: ${tag}@test`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const from = peer.received.length;
  await peer.send(msg, port);
  await peer.waitFor((m) => m.text.startsWith('SIP/2.0 200') && m.text.includes(`${tag}@test`), 10_000, from);
}

test(
  'default debug: started and loaded lines are logged as JSON with real fields; audit lines for every change',
  { timeout: 120_000 },
  async () => {
    const [port, b1, b2] = await freePorts(3);
    let d: Dsd | undefined;
    try {
      d = await startDsd({ cfg: cfg(port!, ''), list: `1 sip:127.0.0.1:${b1} 0 0 duid=gw1\n1 sip:127.0.0.1:${b2}\n` });
      const dir = d.dir;
      const started = await waitLine(d, (o) => String(o.msg).includes(' started, listening on'));
      assert.equal(started.level, 'notice');
      assert.match(String(started.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(started.listen, [`udp:127.0.0.1:${port}`]);
      assert.equal(started.ctl, `${dir}/dsd_ctl`);
      const loaded = await waitLine(d, (o) => String(o.msg).startsWith('destinations loaded'));
      assert.equal(loaded.list_file, `${dir}/dispatcher.list`);
      assert.equal(loaded.destinations, 2);
      assert.equal(loaded.sets, 1);
      const cfgLine = await waitLine(d, (o) => o.msg === 'configuration loaded');
      assert.equal(cfgLine.cfg, d.cfgFile);
      // no line has its fields stringified into msg
      for (const o of jsonLines(d)) assert.ok(!/[{[]"/.test(String(o.msg)), `fields in msg: ${o.msg}`);
      // info is below Kamailio's default debug=0
      assert.ok(!jsonLines(d).some((o) => o.level === 'info'), d.output());

      const changes: Array<{ args: string[]; method: string; ok: boolean }> = [
        { args: ['dispatcher.set_state', 'ip', '1', `sip:127.0.0.1:${b2}`], method: 'dispatcher.set_state', ok: true },
        { args: ['dispatcher.set_state', 'ip', '1', 'sip:127.0.0.1:1'], method: 'dispatcher.set_state', ok: false },
        { args: ['dispatcher.set_duid_state', 'd', '1', 'gw1'], method: 'dispatcher.set_duid_state', ok: true },
        { args: ['dispatcher.ping_active', '0'], method: 'dispatcher.ping_active', ok: true },
        { args: ['dispatcher.add', '2', 'sip:127.0.0.1:9'], method: 'dispatcher.add', ok: true },
        { args: ['dispatcher.remove', '2', 'sip:127.0.0.1:7'], method: 'dispatcher.remove', ok: false },
        { args: ['dispatcher.reload'], method: 'dispatcher.reload', ok: true },
      ];
      for (const c of changes) {
        // reload_delta (5 s by default) guards add/remove/reload: wait it out rather than race it
        let r = dsctl(dir, ...c.args);
        for (let i = 0; i < 40 && /Ongoing reload/.test(r.err); i++) {
          await new Promise((res) => setTimeout(res, 500));
          r = dsctl(dir, ...c.args);
        }
        assert.equal(r.code === 0, c.ok, `${c.args.join(' ')}: ${r.err}`);
        const line = await waitLine(
          d,
          (o) =>
            o.audit === true &&
            o.method === c.method &&
            o.ok === c.ok &&
            JSON.stringify(o.params) ===
              JSON.stringify(c.args.slice(1).map((a) => (/^-?\d+$/.test(a) ? Number(a) : a))),
        );
        assert.equal(line.level, c.ok ? 'notice' : 'warn');
        assert.equal(line.transport, 'jsonrpc');
        assert.equal(line.endpoint, `${dir}/dsd_ctl`);
        assert.ok('peer_uid' in line);
        if (c.ok) assert.ok('result' in line);
        else assert.equal(typeof (line.error as { message?: unknown }).message, 'string');
      }
      // reads are not audited
      dsctl(dir, 'dispatcher.list');
      dsctl(dir, 'dispatcher.ping_active');
      // then a change: its audit line comes after any the reads would have written
      assert.equal(dsctl(dir, 'dispatcher.ping_active', '1').code, 0);
      await waitLine(
        d,
        (o) => o.audit === true && o.method === 'dispatcher.ping_active' && JSON.stringify(o.params) === '[1]',
      );
      assert.ok(
        !jsonLines(d).some(
          (o) =>
            o.audit === true &&
            (o.method === 'dispatcher.list' ||
              (o.method === 'dispatcher.ping_active' && JSON.stringify(o.params) === '[]')),
        ),
      );
    } finally {
      await d?.stop();
    }
  },
);

test(
  "corex.debug reads and sets the level at run time; the script's xlog follows it",
  { timeout: 60_000 },
  async () => {
    const [port, b1] = await freePorts(2);
    let d: Dsd | undefined;
    let peer: UdpPeer | undefined;
    try {
      d = await startDsd({ cfg: cfg(port!, 'debug=0'), list: `1 sip:127.0.0.1:${b1}\n` });
      peer = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
      const get = dsctl(d.dir, '--json', 'corex.debug');
      assert.deepEqual(JSON.parse(get.out), { debug: 0 });
      await options(peer, port!, 'a1');

      const set = dsctl(d.dir, '--json', 'corex.debug', '3');
      assert.deepEqual(JSON.parse(set.out), { old: 0, new: 3 });
      await waitLine(d, (o) => o.audit === true && o.method === 'corex.debug');
      await options(peer, port!, 'a2');
      const dbg = await waitLine(d, (o) => String(o.msg) === 'dbg-line OPTIONS');
      assert.equal(dbg.level, 'debug');
      assert.equal((await waitLine(d, (o) => String(o.msg) === 'info-line OPTIONS')).level, 'info');
      // a2's lines are the only ones: a1, at debug=0, logged neither (lines come in order)
      assert.equal(jsonLines(d).filter((x) => x.msg === 'info-line OPTIONS').length, 1, d.output());
      assert.equal(jsonLines(d).filter((x) => x.msg === 'dbg-line OPTIONS').length, 1, d.output());

      assert.deepEqual(JSON.parse(dsctl(d.dir, '--json', 'corex.debug', '2').out), { old: 3, new: 2 });
      const before = d.output().split('dbg-line').length;
      await options(peer, port!, 'a3');
      await waitLine(
        d,
        (o) =>
          String(o.msg) === 'info-line OPTIONS' &&
          jsonLines(d!).filter((x) => x.msg === 'info-line OPTIONS').length >= 2,
      );
      assert.equal(d.output().split('dbg-line').length, before, 'debug lines after corex.debug 2');

      const bad = dsctl(d.dir, 'corex.debug', '99');
      assert.equal(bad.code, 1);
      assert.match(bad.err, /Invalid Parameters/);
    } finally {
      peer?.sock.close();
      await d?.stop();
    }
  },
);

test('log_stderror=no: RFC 5424 syslog datagrams with log_facility and log_name', { timeout: 60_000 }, async () => {
  const dir = tmpDir('dsd-syslog-');
  const [port, b1] = await freePorts(2);
  const rx = await startSyslogReceiver(path.join(dir, 'log.sock'));
  const cfgFile = path.join(dir, 'dsd.cfg');
  fs.writeFileSync(
    cfgFile,
    cfg(port!, 'log_stderror=no\nlog_facility=LOG_LOCAL3\nlog_name="dsd-test"').replaceAll('{DIR}', dir),
  );
  fs.writeFileSync(path.join(dir, 'dispatcher.list'), `1 sip:127.0.0.1:${b1}\n`);
  const proc = spawn(process.execPath, [DSD_BIN, '-DD', '-f', cfgFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DSD_SYSLOG_SOCKET: rx.path },
  });
  let out = '';
  proc.stdout!.on('data', (c) => {
    out += c;
  });
  proc.stderr!.on('data', (c) => {
    out += c;
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    // local3 = 19: notice 19*8+5 = 157, warning 156
    const started = await rx.waitFor((m) => m.includes(' started, listening on'));
    const m = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/.exec(started);
    assert.ok(m, started);
    assert.equal(m[1], '157');
    assert.match(m[2]!, /^\d{4}-\d\d-\d\dT/);
    assert.equal(m[4], 'dsd-test');
    assert.equal(m[5], String(proc.pid));
    const body = JSON.parse(m[8]!) as Record<string, unknown>;
    assert.deepEqual(body.listen, [`udp:127.0.0.1:${port}`]);
    assert.ok(!('time' in body) && !('level' in body));
    const bad = dsctl(dir, 'dispatcher.set_state', 'ip', '1', 'sip:127.0.0.1:1');
    assert.equal(bad.code, 1);
    const audit = await rx.waitFor((x) => x.includes('"audit":true'));
    assert.match(audit, /^<156>1 /);
    assert.equal(out, '', 'nothing on stdout/stderr when logging to syslog');
  } finally {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
    await rx.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // the daemon's last lines reach syslog before it exits
  assert.ok(
    rx.messages().some((x) => x.includes('"msg":"stopped"')),
    rx.messages().join('\n'),
  );
});
