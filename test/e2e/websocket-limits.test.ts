/**
 * The stream limits hold on WebSocket connections as on plain TCP (one ConnectionLimits
 * for every stream transport, as Kamailio counts a WebSocket as the TCP connection it
 * rides on): with tcp_max_connections=2 two WebSocket clients are served and a third
 * connection is closed at accept, with room again once one leaves; with
 * tcp_connection_lifetime=2 an idle WebSocket is closed and a new one is served. (The
 * frame size limit is in websocket-handshake.test.ts; TLS in tls-limits.test.ts.)
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { startDsd, type Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { statusOf } from '../helpers/sip-peer';
import { waitUntil } from '../helpers/wait';

function cfg(port: number, globals: string[]): string {
  return [
    'debug=3',
    'log_stderror=yes',
    'auto_aliases=no',
    `listen=tcp:127.0.0.1:${port}`,
    ...globals,
    'loadmodule "sl.so"',
    'loadmodule "tm.so"',
    'loadmodule "pv.so"',
    'loadmodule "textops.so"',
    'loadmodule "xhttp.so"',
    'loadmodule "websocket.so"',
    'loadmodule "ctl.so"',
    'modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")',
    // no server pings: an idle connection stays idle
    'modparam("websocket", "keepalive_mechanism", 0)',
    'event_route[xhttp:request] {',
    '  if ($hdr(Upgrade) =~ "websocket") { ws_handle_handshake(); exit; }',
    '  xhttp_reply("404", "Not Found", "text/plain", "");',
    '}',
    'request_route {',
    '  if (is_method("ACK")) exit;',
    '  sl_send_reply("200", "OK");',
    '}',
    '',
  ].join('\n');
}

interface Client {
  ws: WebSocket;
  closed: boolean;
  closedP: Promise<void>;
  inbox: string[];
}

async function openWs(port: number): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'sip');
  const c: Client = { ws, closed: false, closedP: Promise.resolve(), inbox: [] };
  c.closedP = new Promise<void>((r) =>
    ws.once('close', () => {
      c.closed = true;
      r();
    }),
  );
  ws.on('message', (d: Buffer) => c.inbox.push(d.toString('latin1')));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => reject(new Error('closed before open')));
  });
  return c;
}

let seq = 0;
/** An OPTIONS over the WebSocket, answered 200 on the same connection. */
async function options(c: Client, port: number): Promise<void> {
  const id = `wsl-${process.pid}-${++seq}`;
  c.ws.send(
    `OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/WS ws.invalid;branch=z9hG4bK${id}\r\n` +
      `From: <sip:t@127.0.0.1>;tag=${id}\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ${id}\r\nCSeq: 1 OPTIONS\r\n` +
      'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  );
  const r = await waitUntil(() => c.inbox.find((m) => m.includes(`Call-ID: ${id}`)), {
    what: `the 200 for ${id}`,
  });
  assert.equal(statusOf(r), 200);
}

/** A plain TCP connection; resolves whether the server closed it, and what it sent, within 30 s. */
function rawConnect(port: number): Promise<{ closed: boolean; data: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, data });
    }, 30_000);
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve({ closed: true, data });
    });
  });
}

describe('stream limits on WebSocket connections', { timeout: 120_000 }, () => {
  test('tcp_max_connections=2: two WebSockets served, a third connection closed at accept, room again after one leaves', async () => {
    const [port] = await freePorts(1);
    const dsd: Dsd = await startDsd({ cfg: cfg(port, ['tcp_max_connections=2']) });
    const clients: Client[] = [];
    try {
      for (let i = 0; i < 2; i++) clients.push(await openWs(port));
      for (const c of clients) await options(c, port);
      const third = await rawConnect(port);
      assert.deepEqual(third, { closed: true, data: '' }, 'the third connection is closed unanswered');
      await dsd.waitFor('maximum number of connections exceeded');
      // the two WebSockets are still served
      for (const c of clients) await options(c, port);
      clients[0]!.ws.close();
      await clients[0]!.closedP;
      const again = await waitUntil(() => openWs(port).catch(() => null), {
        what: 'a WebSocket accepted once one closed',
      });
      clients.push(again);
      await options(again, port);
    } finally {
      for (const c of clients) c.ws.terminate();
      assert.equal(await dsd.stop(), 0);
    }
  });

  test('tcp_connection_lifetime=2: an idle WebSocket is closed; a new one is served', async () => {
    const [port] = await freePorts(1);
    const dsd: Dsd = await startDsd({ cfg: cfg(port, ['tcp_connection_lifetime=2']) });
    const clients: Client[] = [];
    try {
      const idle = await openWs(port);
      clients.push(idle);
      await options(idle, port);
      // closed by the server: the deadline (30 s) is far beyond the 2 s lifetime
      await waitUntil(() => idle.closed, { what: 'the idle WebSocket closed by the server' });
      await dsd.waitFor('idle (tcp_connection_lifetime)');
      const fresh = await openWs(port);
      clients.push(fresh);
      await options(fresh, port);
    } finally {
      for (const c of clients) c.ws.terminate();
      assert.equal(await dsd.stop(), 0);
    }
  });
});
