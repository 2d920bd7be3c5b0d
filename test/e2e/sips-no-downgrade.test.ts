/**
 * A destination marked secure (sips: URI, or ;transport=tls) never leaves over plain
 * TCP or UDP: with no TLS listen socket, t_relay fails and the request is refused
 * (503; 416 for sips+transport=udp, which Kamailio also rejects), the refusal is logged,
 * and the backend's TCP port sees no connection at all. Kamailio 5.6 fails the same
 * t_relay ("no corresponding socket found ... tls:"), answering 500 via sl_reply_error.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDsd, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { UdpPeer, statusOf, callIdOf } from '../helpers/sip-peer';

function cfg(px: number, bk: number): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
listen=udp:127.0.0.1:${px}
listen=tcp:127.0.0.1:${px}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")
request_route {
  if (is_method("ACK")) exit;
  if ($rU == "sips") $du = "sips:127.0.0.1:${bk}";
  else if ($rU == "sipstcp") $du = "sips:127.0.0.1:${bk};transport=tcp";
  else if ($rU == "tls") $du = "sip:127.0.0.1:${bk};transport=tls";
  else if ($rU == "sipsudp") $du = "sips:127.0.0.1:${bk};transport=udp";
  else if ($rU == "ruri") $ru = "sips:bob@127.0.0.1:${bk}";
  else if ($rU == "fwd") { $du = "sips:127.0.0.1:${bk}"; forward(); exit; }
  else $du = "sip:127.0.0.1:${bk};transport=tcp";
  if (!t_relay()) { sl_reply_error(); }
  exit;
}
`;
}

describe('sips: is never downgraded to plain TCP', () => {
  let dsd: Dsd;
  let ua: UdpPeer;
  let tcp: net.Server;
  const accepted: string[] = [];
  let px = 0;
  let bk = 0;

  before(async () => {
    [px, bk] = await freePorts(2);
    tcp = net.createServer((s) => {
      s.on('data', (d) => accepted.push(d.toString('latin1')));
      s.on('error', () => {
        /* peer reset */
      });
    });
    await new Promise<void>((r) => tcp.listen(bk, '127.0.0.1', () => r()));
    dsd = await startDsd({ cfg: cfg(px, bk) });
    ua = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await ua?.close();
    await dsd?.stop();
    await new Promise<void>((r) => (tcp ? tcp.close(() => r()) : r()));
  });

  async function ask(user: string, method = 'OPTIONS'): Promise<number> {
    const callId = `sips-${user}-${Date.now()}`;
    const msg =
      `${method} sip:${user}@127.0.0.1:${px} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${ua.port};rport;branch=z9hG4bK-${callId}\r\n` +
      `From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:${user}@example.com>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: 1 ${method}\r\nMax-Forwards: 70\r\n` +
      `Contact: <sip:alice@127.0.0.1:${ua.port}>\r\nContent-Length: 0\r\n\r\n`;
    await ua.send(msg, px);
    const r = await ua.waitFor((m) => callIdOf(m.text) === callId && statusOf(m.text) >= 200, 30_000);
    return statusOf(r.text);
  }

  for (const [user, code] of [
    ['sips', 503],
    ['sipstcp', 503],
    ['tls', 503],
    ['ruri', 503],
    ['sipsudp', 416],
  ] as const) {
    it(`${user}: refused with ${code}, nothing reaches the backend`, async () => {
      assert.equal(await ask(user, 'INVITE'), code);
    });
  }

  it('forward() to sips: sends nothing', async () => {
    const before = accepted.length;
    const callId = `sips-fwd-${Date.now()}`;
    await ua.send(
      `MESSAGE sip:fwd@127.0.0.1:${px} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${ua.port};rport;branch=z9hG4bK-${callId}\r\n` +
        `From: <sip:a@x>;tag=1\r\nTo: <sip:fwd@x>\r\nCall-ID: ${callId}\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
      px,
    );
    await dsd.waitFor(/refused: no tls listen socket for secure destination 127\.0\.0\.1:\d+/);
    assert.equal(accepted.length, before);
  });

  it('the control case (plain sip over TCP) does reach the backend, so the check above can fail', async () => {
    const callId = `plain-${Date.now()}`;
    await ua.send(
      `OPTIONS sip:plain@127.0.0.1:${px} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${ua.port};rport;branch=z9hG4bK-${callId}\r\n` +
        `From: <sip:a@x>;tag=1\r\nTo: <sip:plain@x>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
      px,
    );
    const until = Date.now() + 30_000;
    while (!accepted.some((t) => t.includes(callId)) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.ok(
      accepted.some((t) => t.includes(callId)),
      'plain TCP request reached the backend',
    );
    // every earlier (secure) request: none of their Call-IDs ever reached the TCP port
    assert.ok(!accepted.some((t) => /Call-ID: sips-/.test(t)), 'a sips request went out in clear text');
    assert.match(dsd.output(), /refused: no tls listen socket for secure destination/);
  });
});
