/**
 * tcp_connect_timeout and tcp_send_timeout over real sockets, on dsd's outgoing TCP:
 * - connect: the next hop is a listening socket whose accept queue is full (a listener that
 *   never accepts, backlog 0, one connection already queued), so the kernel drops dsd's SYNs
 *   and the connect stays in SYN-SENT; the kernel itself would retry for about two minutes
 *   (tcp_syn_retries 6), dsd closes it at tcp_connect_timeout;
 * - send: the next hop accepts and never reads, so its receive buffer and dsd's send buffer
 *   fill; dsd closes the connection once a write has waited tcp_send_timeout to drain.
 * Both deadlines are 2 s; the tests wait up to 60 s for the close (never asserting how
 * long it took), which is well inside the kernel's own give-up time.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { startDsd, type Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { UdpPeer, statusOf, callIdOf } from '../helpers/sip-peer';
import { waitUntil } from '../helpers/wait';

function cfgText(port: number, hop: number, globals: string[]): string {
  return [
    'debug=3',
    'log_stderror=yes',
    'auto_aliases=no',
    `listen=udp:127.0.0.1:${port}`,
    `listen=tcp:127.0.0.1:${port}`,
    ...globals,
    'loadmodule "tm.so"',
    'loadmodule "sl.so"',
    'loadmodule "pv.so"',
    'loadmodule "textops.so"',
    'loadmodule "ctl.so"',
    'modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")',
    // the transaction ending (408) does not close its connection, so its timer is free: short,
    // so the daemon's stop does not wait out unanswered transactions
    'modparam("tm", "fr_timer", 3000)',
    'request_route {',
    '  if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }',
    `  $du = "sip:127.0.0.1:${hop};transport=tcp";`,
    '  t_relay();',
    '  exit;',
    '}',
    '',
  ].join('\n');
}

/** TCP sockets in this network namespace whose remote port is `port`: [local port, state hex]. */
function tcpTo(port: number): Array<{ local: number; state: string }> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const out: Array<{ local: number; state: string }> = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 4 || c[2]!.split(':')[1] !== hex) continue;
      out.push({ local: parseInt(c[1]!.split(':')[1]!, 16), state: c[3]! });
    }
  }
  return out;
}
const SYN_SENT = '02';
const ESTABLISHED = '01';

let seq = 0;
function request(method: string, proxy: number, from: number, body = ''): { text: string; callId: string } {
  const id = `tcpt-${process.pid}-${++seq}`;
  const text =
    `${method} sip:hop@127.0.0.1:${proxy} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${from};branch=z9hG4bK${id}\r\n` +
    `From: <sip:t@127.0.0.1>;tag=${id}\r\nTo: <sip:hop@127.0.0.1>\r\nCall-ID: ${id}\r\nCSeq: 1 ${method}\r\n` +
    `Max-Forwards: 70\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return { text, callId: id };
}

/** The daemon still answers: an OPTIONS over UDP gets its 200. */
async function alive(ua: UdpPeer, px: number): Promise<void> {
  const r = request('OPTIONS', px, ua.port);
  const from = ua.received.length;
  await ua.send(r.text, px);
  const got = await ua.waitFor((m) => callIdOf(m.text) === r.callId && statusOf(m.text) >= 200, 30_000, from);
  assert.equal(statusOf(got.text), 200);
}

describe('outgoing TCP deadlines', { timeout: 180_000 }, () => {
  test('tcp_connect_timeout: a connect the next hop never completes is closed, and logged why', async () => {
    const [px, hop] = await freePorts(2);
    // a listener that never accepts, with the smallest accept queue (python: node always accepts)
    const listener: ChildProcess = spawn(
      'python3',
      [
        '-c',
        'import socket,sys,time\n' +
          's=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(0)\n' +
          'print("listening", flush=True)\n' +
          'time.sleep(600)\n',
        String(hop),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const fillers: net.Socket[] = [];
    let dsd: Dsd | null = null;
    let ua: UdpPeer | null = null;
    try {
      await new Promise<void>((resolve, reject) => {
        listener.stdout!.once('data', () => resolve());
        listener.once('exit', (c) => reject(new Error(`the listener exited (${c})`)));
      });
      // fill the accept queue: once a connect stays in SYN-SENT, the next one will too
      for (let i = 0; i < 8 && !tcpTo(hop).some((s) => s.state === SYN_SENT); i++) {
        const s = net.connect({ host: '127.0.0.1', port: hop });
        s.on('error', () => {});
        fillers.push(s);
        await waitUntil(() => tcpTo(hop).length >= fillers.length, { what: 'the filler socket' });
        await new Promise((r) => setTimeout(r, 100)); // pacing the handshake, not a proof
      }
      const ours = new Set(tcpTo(hop).map((s) => s.local));
      assert.ok(
        tcpTo(hop).some((s) => s.state === SYN_SENT),
        'the accept queue never filled: connects to it complete',
      );

      dsd = await startDsd({ cfg: cfgText(px, hop, ['tcp_connect_timeout=2']) });
      ua = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
      await ua.send(request('MESSAGE', px, ua.port, 'hello').text, px);
      const dsdConnect = await waitUntil(() => tcpTo(hop).find((s) => !ours.has(s.local) && s.state === SYN_SENT), {
        what: "dsd's connect in SYN-SENT",
      });
      // the kernel alone would keep it for ~127 s; dsd's 2 s deadline closes it
      await waitUntil(() => !tcpTo(hop).some((s) => s.local === dsdConnect.local), {
        timeoutMs: 60_000,
        what: "dsd's pending connect closed",
      });
      await dsd.waitFor('connect timeout (tcp_connect_timeout)');
      await alive(ua, px);
    } finally {
      for (const s of fillers) s.destroy();
      listener.kill('SIGKILL');
      await ua?.close();
      if (dsd) assert.equal(await dsd.stop(), 0);
    }
  });

  test('tcp_send_timeout: a next hop that stops reading is closed once a write waited that long', async () => {
    const [px, hop] = await freePorts(2);
    // accepts, then never reads: the kernel buffers on both sides fill
    const held: net.Socket[] = [];
    const server = net.createServer({ pauseOnConnect: true }, (s) => {
      s.on('error', () => {});
      held.push(s);
    });
    await new Promise<void>((r) => server.listen(hop, '127.0.0.1', () => r()));
    let dsd: Dsd | null = null;
    let ua: UdpPeer | null = null;
    try {
      dsd = await startDsd({ cfg: cfgText(px, hop, ['tcp_send_timeout=2']) });
      ua = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
      const body = 'x'.repeat(30_000);
      // MESSAGEs of 30 KB relayed onto the one connection until the buffers are full and the
      // deadline has closed it (bounded: at most 2000 of them, 60 MB)
      let sent = 0;
      while (!dsd.output().includes('send timeout (tcp_send_timeout)') && sent < 2000) {
        for (let i = 0; i < 20; i++, sent++) await ua.send(request('MESSAGE', px, ua.port, body).text, px);
        await new Promise((r) => setTimeout(r, 50)); // let dsd drain its UDP socket (pacing)
      }
      await dsd.waitFor('send timeout (tcp_send_timeout)', 60_000);
      // the first connection carried the load until the deadline; MESSAGEs still queued in
      // dsd's UDP socket when it closed (a starved machine) may open a fresh one, rightly
      assert.ok(held.length >= 1, 'a connection to the hop');
      const first = held[0]!.remotePort;
      // dsd's end of the stalled connection is gone
      await waitUntil(() => !tcpTo(hop).some((s) => s.local === first && s.state === ESTABLISHED), {
        what: "dsd's stalled connection to the hop closed",
      });
      await alive(ua, px);
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await ua?.close();
      if (dsd) assert.equal(await dsd.stop(), 0);
    }
  });
});
