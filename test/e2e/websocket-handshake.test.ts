/**
 * WebSocket handshakes as Kamailio 5.6's xhttp + websocket modules answer them: the same
 * cfg (event_route[xhttp:request] with ws_handle_handshake() and xhttp_reply()) runs on
 * dsd and on Kamailio, the same raw HTTP requests go to both, and the replies must agree
 * (status line and the WebSocket headers: 101 with the accept key and sub-protocol, 426
 * for another version, 400 for a missing header or sub-protocol, xhttp_reply for plain
 * HTTP). Then SIP over the WebSocket ($proto ws, $si/$sp of the client, replies back on
 * the same connection) and bad frames: too large, unmasked, a close mid-message — each
 * closes that connection and the daemon carries on. ws.dump / ws.close over dsctl.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { startDsd, Dsd } from '../helpers/daemon';
import { dsctlOn } from '../helpers/ctl';
import { needs } from '../helpers/require';
import { freePorts } from '../helpers/ports';
import { startKamailio, Kamailio } from '../helpers/kamailio';
import { UdpPeer, statusOf } from '../helpers/sip-peer';
import { at } from '../helpers/at';

const kamailioMissing = needs('kamailio');

function cfg(port: number, ctl: boolean): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
tcp_accept_no_cl=yes
listen=udp:127.0.0.1:${port}
listen=tcp:127.0.0.1:${port}
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "xhttp.so"
loadmodule "websocket.so"
${ctl ? 'loadmodule "ctl.so"\nmodparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")' : ''}
modparam("websocket", "keepalive_mechanism", 1)
modparam("websocket", "keepalive_timeout", 30)
event_route[xhttp:request] {
  if ($hdr(Upgrade) =~ "websocket") {
    ws_handle_handshake();
    exit;
  }
  xhttp_reply("200", "OK", "text/plain", "served $hu");
}
request_route {
  if (is_method("ACK")) exit;
  xlog("L_INFO", "sip $rm over $proto from $si:$sp\\n");
  append_hf("X-Proto: $proto\\r\\n");
  sl_send_reply("200", "OK");
}
`;
}

/** One raw HTTP request on a fresh TCP connection; the whole reply head. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(text));
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, 30_000); // a whole reply head ends it sooner
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        clearTimeout(t);
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', (e) => {
      clearTimeout(t);
      if (got) resolve(got);
      else reject(e);
    });
  });
}

const KEY = crypto.randomBytes(16).toString('base64');
const REQUESTS: Array<[string, (port: number) => string]> = [
  [
    'good upgrade',
    (p) =>
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n`,
  ],
  [
    'version 8',
    (p) =>
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Protocol: sip\r\n\r\n`,
  ],
  [
    'no sub-protocol',
    (p) =>
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  ],
  [
    'no key',
    (p) =>
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n`,
  ],
  [
    'two keys',
    (p) =>
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n`,
  ],
  ['plain GET', (p) => `GET /status?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`],
];

/** Status line and the headers both servers must agree on (Server and Date differ). */
function essence(reply: string): string {
  const lines = at(reply.split('\r\n\r\n'), 0).split('\r\n');
  const keep = lines
    .slice(1)
    .filter((l) => /^(sec-websocket-|upgrade:|connection:|content-type:)/i.test(l))
    .map((l) => l.replace(/^([^:]+):\s*/, (_m, n: string) => `${n.toLowerCase()}: `).toLowerCase())
    .sort();
  return [lines[0], ...keep].join('\n');
}

describe('WebSocket handshakes (dsd against Kamailio 5.6 websocket + xhttp)', () => {
  let dsd: Dsd;
  let kam: Kamailio | null = null;
  let port = 0;
  let kport = 0;

  before(async () => {
    [port, kport] = await freePorts(2);
    dsd = await startDsd({ cfg: cfg(port, true) });
    if (!kamailioMissing)
      kam = await startKamailio({ cfg: cfg(kport, false), readyLog: /main\(\): processes \(at least\)/ });
  });
  after(async () => {
    await dsd?.stop();
    await kam?.stop();
  });

  for (const [name, req] of REQUESTS) {
    it(`${name}: same reply as Kamailio`, { skip: kamailioMissing }, async () => {
      const mine = await raw(port, req(port));
      const theirs = await raw(kport, req(kport));
      assert.ok(theirs.startsWith('HTTP/1.1 '), `kamailio answered: ${JSON.stringify(theirs)}`);
      assert.equal(essence(mine), essence(theirs), `dsd:\n${mine}\nkamailio:\n${theirs}`);
    });
  }

  it('the expected codes (101, 426, 400, 200) in dsd alone', async () => {
    const codes = [];
    for (const [, req] of REQUESTS) codes.push((await raw(port, req(port))).slice(9, 12));
    assert.deepEqual(codes, ['101', '426', '400', '400', '400', '200']);
  });

  it('SIP over the WebSocket: $proto ws, $si/$sp of the client, reply on the same connection; ws.dump/ws.close', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const lport = (ws as unknown as { _socket: net.Socket })._socket.localPort;
    const got = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    ws.send(
      `OPTIONS sip:x@127.0.0.1:${port};transport=ws SIP/2.0\r\nVia: SIP/2.0/WS abc.invalid;branch=z9hG4bK-ws1\r\n` +
        `From: <sip:a@x>;tag=1\r\nTo: <sip:x@x>\r\nCall-ID: ws-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n`,
    );
    const reply = await got;
    assert.equal(statusOf(reply), 200, reply);
    await dsd.waitFor(new RegExp(`sip OPTIONS over ws from 127\\.0\\.0\\.1:${lport}`));
    const dump = dsctlOn(dsd, '--json', 'ws.dump');
    const d = JSON.parse(dump.out) as { connections: string[]; info: { wscounter: number } };
    const line = d.connections.find((c) => c.includes(`ws:127.0.0.1:${lport} -> ws:127.0.0.1:${port}`));
    assert.ok(line, dump.out);
    assert.match(line!, /state: OPEN, last used \d+s ago, sub-protocol: sip/);
    const id = line!.split(':')[0];
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const c = dsctlOn(dsd, 'ws.close', id!);
    assert.equal(c.code, 0, c.err);
    assert.equal(await closed, 1000);
    const bad = dsctlOn(dsd, 'ws.close', '99999');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /Unknown connection ID/);
  });

  /** A good handshake on a raw socket, for sending hand-made frames. */
  async function rawWs(): Promise<net.Socket> {
    const s = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(at(REQUESTS, 0)[1](port));
    await new Promise<void>((resolve) => {
      let got = '';
      const on = (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) {
          s.removeListener('data', on);
          resolve();
        }
      };
      s.on('data', on);
    });
    return s;
  }

  function closedSoon(s: net.Socket): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), 30_000);
      s.on('close', () => {
        clearTimeout(t);
        resolve(true);
      });
      s.on('error', () => {
        /* reset by the daemon */
      });
      s.resume();
    });
  }

  async function daemonFine(): Promise<void> {
    const ua = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
    try {
      await ua.send(
        `OPTIONS sip:x@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${ua.port};branch=z9hG4bK-ok${Date.now()}\r\n` +
          `From: <sip:a@x>;tag=1\r\nTo: <sip:x@x>\r\nCall-ID: ok-${Date.now()}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
        port,
      );
      const r = await ua.waitFor((m) => statusOf(m.text) === 200, 10_000);
      assert.equal(statusOf(r.text), 200);
    } finally {
      await ua.close();
    }
  }

  it('a frame larger than the limit closes the connection; the daemon carries on', async () => {
    const s = await rawWs();
    const closed = closedSoon(s);
    const head = Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4]); // masked, 1 MiB announced
    s.write(head);
    s.write(Buffer.alloc(1024, 0x41));
    assert.equal(await closed, true);
    await daemonFine();
  });

  it('an unmasked client frame (RFC 6455 §5.1) closes the connection; the daemon carries on', async () => {
    const s = await rawWs();
    const closed = closedSoon(s);
    const body = Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n');
    s.write(Buffer.concat([Buffer.from([0x81, body.length]), body]));
    assert.equal(await closed, true);
    await daemonFine();
  });

  it('a connection closed in the middle of a message: nothing breaks', async () => {
    const s = await rawWs();
    s.write(Buffer.from([0x81, 0xfe, 0x01, 0x00, 1, 2, 3, 4, 0x41, 0x42])); // 256 bytes announced, 2 sent
    s.destroy();
    await daemonFine();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
  });
});
