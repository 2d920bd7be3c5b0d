/**
 * The connection limits are one for every stream transport: with tcp_max_connections=2,
 * two TLS connections are served, a third TLS connection and a plain TCP one are closed
 * at accept, and room comes back when a TLS connection closes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { startDsd, tmpDir } from '../helpers/daemon';
import { makeCerts } from '../helpers/certs';
import { freePorts } from '../helpers/ports';
import { waitUntil } from '../helpers/wait';

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
    const [tlsPort, tcpPort] = await freePorts(2);
    const certDir = tmpDir('dsd-certs-');
    const certs = makeCerts(certDir);
    const clients: Client[] = [];
    const dsd = await startDsd({
      cfg: `debug=2
log_stderror=yes
enable_tls=yes
auto_aliases=no
tcp_max_connections=2
listen=tls:127.0.0.1:${tlsPort}
listen=tcp:127.0.0.1:${tcpPort}
loadmodule "tls.so"
loadmodule "sl.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")
modparam("tls", "config", "{DIR}/tls.cfg")
request_route {
	sl_send_reply("200", "OK");
	exit;
}
`,
      files: {
        'tls.cfg': `[server:default]\nmethod = TLSv1.2+\ncertificate = ${certs.serverCert}\nprivate_key = ${certs.serverKey}\nverify_certificate = no\nrequire_certificate = no\n`,
      },
    });
    const tlsConnect = (): Promise<Client> =>
      new Promise((resolve) => {
        const s = tls.connect({
          host: '127.0.0.1',
          port: tlsPort,
          ca: fs.readFileSync(certs.ca),
          servername: 'localhost',
        });
        const c = watch(s);
        clients.push(c);
        s.once('secureConnect', () => resolve(c));
        s.once('close', () => resolve(c));
      });
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
      for (const c of clients) c.sock.destroy();
      await dsd.stop();
      fs.rmSync(certDir, { recursive: true, force: true });
    }
  },
);
