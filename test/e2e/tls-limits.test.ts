/**
 * The connection limits are one for every stream transport: with tcp_max_connections=2,
 * two TLS connections are served, a third TLS connection and a plain TCP one are closed
 * at accept, and room comes back when a TLS connection closes. Connections that never
 * finish their handshake count too, and are dropped at the handshake deadline
 * (tls_handshake_timeout), logged with the peer and the reason. With no module loaded to
 * take HTTP (websocket, xhttp), a connection whose first bytes are HTTP is framed as SIP,
 * fails, and is closed, over TLS as over TCP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { startDsd, tmpDir } from '../helpers/daemon';
import { makeCerts, tlsServerCfg } from '../helpers/certs';
import { freePorts } from '../helpers/ports';
import { waitUntil } from '../helpers/wait';

/** dsd answering every request 200 on the given listen lines, TLS configured from {DIR}/tls.cfg. */
function dsdCfg(settings: string, listen: string[]): string {
  return `debug=2
log_stderror=yes
enable_tls=yes
auto_aliases=no
${settings}${listen.map((l) => `listen=${l}\n`).join('')}loadmodule "tls.so"
loadmodule "sl.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")
modparam("tls", "config", "{DIR}/tls.cfg")
request_route {
	sl_send_reply("200", "OK");
	exit;
}
`;
}

/** A dsd with a TLS listen socket (and a TCP one unless `tcp` is false), a CA and certificates made for it. */
async function tlsDsd(settings: string, tcp = true) {
  const [tlsPort, tcpPort] = await freePorts(2);
  const certDir = tmpDir('dsd-certs-');
  const certs = makeCerts(certDir);
  const clients: Client[] = [];
  const listen = [`tls:127.0.0.1:${tlsPort}`, ...(tcp ? [`tcp:127.0.0.1:${tcpPort}`] : [])];
  const dsd = await startDsd({ cfg: dsdCfg(settings, listen), files: { 'tls.cfg': tlsServerCfg(certs) } });
  return {
    dsd,
    tlsPort: tlsPort!,
    tcpPort: tcpPort!,
    certs,
    clients,
    /** Every client destroyed, dsd stopped, the certificates removed. */
    async close(): Promise<void> {
      for (const c of clients) c.sock.destroy();
      await dsd.stop();
      fs.rmSync(certDir, { recursive: true, force: true });
    },
  };
}

let seq = 0;
function optionsText(port: number, proto: string, localPort: number): { id: string; text: string } {
  const id = `tlsl-${process.pid}-${++seq}`;
  return {
    id,
    text:
      `OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/${proto} 127.0.0.1:${localPort};branch=z9hG4bK${id}\r\n` +
      `From: <sip:t@127.0.0.1>;tag=${id}\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ${id}\r\nCSeq: 1 OPTIONS\r\n` +
      'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  };
}

interface Client {
  sock: net.Socket;
  closed: boolean;
  data: string;
}

function watch(sock: net.Socket): Client {
  const c: Client = { sock, closed: false, data: '' };
  sock.on('data', (d) => {
    c.data += d.toString('latin1');
  });
  sock.on('error', () => {
    /* seen as close */
  });
  sock.on('close', () => {
    c.closed = true;
  });
  return c;
}

/** A TLS client of ours, once its handshake is done or the connection closed; kept in `clients` to be destroyed. */
function tlsClient(port: number, ca: string, clients: Client[]): Promise<Client> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: fs.readFileSync(ca), servername: 'localhost' });
    const c = watch(s);
    clients.push(c);
    s.once('secureConnect', () => resolve(c));
    s.once('close', () => resolve(c));
  });
}

async function served(c: Client, port: number, proto: string, ms = 30_000): Promise<void> {
  const o = optionsText(port, proto, c.sock.localPort ?? 9);
  c.sock.write(o.text);
  await waitUntil(
    () => {
      if (c.closed) throw new Error('connection closed');
      return c.data.includes(o.id) && /SIP\/2\.0 200/.test(c.data);
    },
    { what: `200 for ${o.id}`, timeoutMs: ms },
  );
}

test(
  'tcp_max_connections counts TLS and TCP together: the third connection of either kind is closed',
  { timeout: 120_000 },
  async () => {
    const t = await tlsDsd('tcp_max_connections=2\n');
    const { dsd, tlsPort, tcpPort, certs, clients } = t;
    const tlsConnect = (): Promise<Client> => tlsClient(tlsPort, certs.ca, clients);
    try {
      const a = await tlsConnect();
      await served(a, tlsPort, 'TLS');
      const b = await tlsConnect();
      await served(b, tlsPort, 'TLS');
      const third = await tlsConnect();
      await waitUntil(() => third.closed, { what: 'the third TLS connection closed' });
      const tcp = watch(net.connect({ host: '127.0.0.1', port: tcpPort }));
      clients.push(tcp);
      await waitUntil(() => tcp.closed, { what: 'a TCP connection closed: the limit is shared' });
      await served(a, tlsPort, 'TLS');
      assert.match(dsd.output(), /maximum number of connections exceeded: 2\/2/);
      b.sock.destroy();
      // room again once dsd saw b close
      await waitUntil(
        async () => {
          const c = watch(net.connect({ host: '127.0.0.1', port: tcpPort }));
          clients.push(c);
          await new Promise((r) => c.sock.once('connect', r));
          return served(c, tcpPort, 'TCP', 3000).then(
            () => true,
            () => false,
          );
        },
        { what: 'a TCP connection served after a TLS one closed' },
      );
    } finally {
      await t.close();
    }
  },
);

test(
  'TLS connections still in their handshake count against tcp_max_connections and are dropped at tls_handshake_timeout',
  { timeout: 120_000 },
  async () => {
    const t = await tlsDsd('tcp_max_connections=2\ntls_handshake_timeout=3\n', false);
    const { dsd, tlsPort, certs, clients } = t;
    const tlsConnect = (): Promise<Client> => tlsClient(tlsPort, certs.ca, clients);
    try {
      // two peers open TCP to the TLS port and never send a ClientHello
      const stalled: Client[] = [];
      const ports: number[] = [];
      for (let i = 0; i < 2; i++) {
        const c = watch(net.connect({ host: '127.0.0.1', port: tlsPort }));
        clients.push(c);
        stalled.push(c);
        await new Promise((r) => c.sock.once('connect', r));
        ports.push(c.sock.localPort!);
      }
      // accepted in order: by the time dsd takes this one, the two above are counted
      const third = await tlsConnect();
      await waitUntil(() => third.closed, { what: 'a TLS connection beyond the limit closed' });
      assert.match(dsd.output(), /maximum number of connections exceeded: 2\/2/);
      assert.doesNotMatch(dsd.output(), /peer that went away/, 'a refused connection is not a failed handshake');
      await waitUntil(() => stalled.every((c) => c.closed), {
        what: 'the stalled handshakes dropped at the deadline',
        timeoutMs: 60_000,
      });
      for (const p of ports)
        assert.match(
          dsd.output(),
          new RegExp(
            `TLS handshake from 127\\.0\\.0\\.1:${p} on tls:127\\.0\\.0\\.1:${tlsPort} failed: .*(timeout|TIMEOUT)`,
          ),
        );
      // the room they held is free again
      await waitUntil(
        async () => {
          const c = await tlsConnect();
          if (c.closed) return false;
          await served(c, tlsPort, 'TLS');
          return true;
        },
        { what: 'a TLS connection served once the stalled ones were dropped' },
      );
    } finally {
      await t.close();
    }
  },
);

test(
  'with nothing loaded to take HTTP, HTTP bytes on a TLS or TCP connection are SIP framing errors: the connection is closed, not left hanging',
  { timeout: 120_000 },
  async () => {
    const t = await tlsDsd('');
    const { tlsPort, tcpPort, certs, clients } = t;
    const http = 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
    try {
      const secure = await tlsClient(tlsPort, certs.ca, clients);
      assert.ok(!secure.closed, 'the TLS handshake completed');
      secure.sock.write(http);
      const p = watch(net.connect({ host: '127.0.0.1', port: tcpPort }));
      clients.push(p);
      await new Promise((r) => p.sock.once('connect', r));
      p.sock.write(http);
      await waitUntil(() => secure.closed && p.closed, { what: 'both connections closed by dsd', timeoutMs: 30_000 });
      // and the listeners still serve SIP
      const again = watch(net.connect({ host: '127.0.0.1', port: tcpPort }));
      clients.push(again);
      await new Promise((r) => again.sock.once('connect', r));
      await served(again, tcpPort, 'TCP');
    } finally {
      await t.close();
    }
  },
);
