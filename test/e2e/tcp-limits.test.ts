/**
 * TCP limits over real sockets: tcp_max_connections (the 257th connection is closed at
 * once, as Kamailio 5.6 does — the same assertions run against Kamailio when it is
 * installed), tcp_accept_iplimit, tcp_connection_lifetime, tcp_msg_data_timeout,
 * tcp_msg_read_timeout, and a header that never ends closed at the message limit with
 * the daemon's RSS flat.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { startDsd } from '../helpers/daemon';
import { startKamailio } from '../helpers/kamailio';
import { freePorts } from '../helpers/ports';
import { needs } from '../helpers/require';
import { waitUntil } from '../helpers/wait';
import { at } from '../helpers/at';

interface Proxy {
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

function cfgText(port: number, globals: string[]): string {
  return [
    'debug=3',
    'log_stderror=yes',
    'children=2',
    'tcp_children=2',
    'auto_aliases=no',
    `listen=tcp:127.0.0.1:${port}`,
    ...globals,
    'loadmodule "sl.so"',
    'loadmodule "ctl.so"',
    'modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")',
    'request_route {',
    '  sl_send_reply("200", "OK");',
    '  exit;',
    '}',
    '',
  ].join('\n');
}

async function startDsdProxy(port: number, globals: string[]): Promise<Proxy> {
  const d = await startDsd({ cfg: cfgText(port, globals) });
  return {
    pid: d.proc.pid!,
    output: d.output,
    stop: async () => {
      assert.equal(await d.stop(), 0);
    },
  };
}

async function startKamailioProxy(port: number, globals: string[]): Promise<Proxy> {
  const k = await startKamailio({ cfg: cfgText(port, globals) });
  return { pid: k.proc.pid!, output: k.output, stop: () => k.stop() };
}

interface Conn {
  sock: net.Socket;
  /** The server closed (or reset) the connection. */
  closed: boolean;
  closedP: Promise<void>;
  /** Sends an OPTIONS and resolves on its 200 (rejects after ms or on close). */
  options(ms?: number): Promise<void>;
}

let seq = 0;

function open(port: number, localAddress = '127.0.0.1'): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port, localAddress });
    let buf = '';
    const waiters: Array<{ id: string; ok: () => void }> = [];
    let closeCb: () => void = () => {};
    const c: Conn = {
      sock,
      closed: false,
      closedP: new Promise<void>((r) => {
        closeCb = r;
      }),
      options(ms = 10_000) {
        const id = `tcpl-${process.pid}-${++seq}`;
        const lp = sock.localPort;
        const msg =
          `OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${lp};branch=z9hG4bK${id}\r\n` +
          `From: <sip:t@127.0.0.1>;tag=${id}\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ${id}\r\nCSeq: 1 OPTIONS\r\n` +
          'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
        return new Promise<void>((res, rej) => {
          if (c.closed) {
            rej(new Error('connection closed'));
            return;
          }
          const t = setTimeout(() => rej(new Error(`no 200 for ${id} within ${ms} ms`)), ms);
          waiters.push({
            id,
            ok: () => {
              clearTimeout(t);
              res();
            },
          });
          void c.closedP.then(() => {
            clearTimeout(t);
            rej(new Error('connection closed'));
          });
          sock.write(msg);
        });
      },
    };
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (buf.includes(`Call-ID: ${at(waiters, i).id}`) && /SIP\/2\.0 200/.test(buf)) {
          at(waiters, i).ok();
          waiters.splice(i, 1);
        }
      }
    });
    sock.on('error', () => {
      /* a reset shows as close */
    });
    sock.on('close', () => {
      c.closed = true;
      closeCb();
    });
    sock.once('connect', () => resolve(c));
    sock.once('error', reject);
  });
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

const closeAll = (cs: Conn[]): void => {
  for (const c of cs) c.sock.destroy();
};

/** tcp_max_connections=256: 256 served, the 257th closed at once, room again after some close. */
async function maxConnections(start: (port: number, g: string[]) => Promise<Proxy>): Promise<void> {
  const [port] = await freePorts(1);
  const proxy = await start(port, ['tcp_max_connections=256']);
  const conns: Conn[] = [];
  try {
    for (let i = 0; i < 256; i++) conns.push(await open(port));
    // every one of them is accepted and served
    await Promise.all(conns.map((c) => c.options(30_000)));
    const extra = await open(port); // the kernel completes the handshake; the server closes it
    conns.push(extra);
    await waitUntil(() => extra.closed, { what: 'the 257th connection closed by the server' });
    await assert.rejects(extra.options(2000));
    await at(conns, 0).options(); // the earlier ones are still served
    await at(conns, 255).options();
    for (const c of conns.slice(0, 8)) c.sock.destroy();
    // once the server saw those close, a new connection is served again
    await waitUntil(
      async () => {
        const c = await open(port).catch(() => null);
        if (!c) return false;
        conns.push(c);
        return c.options(3000).then(
          () => true,
          () => false,
        );
      },
      { what: 'a new connection served after closing some' },
    );
  } finally {
    closeAll(conns);
    await proxy.stop();
  }
}

describe('TCP limits', { timeout: 180_000 }, () => {
  test('tcp_max_connections=256: the 257th connection is closed, the others served (dsd)', async () => {
    await maxConnections(startDsdProxy);
  });

  test('tcp_max_connections=256: the same holds for Kamailio 5.6 (oracle)', { skip: needs('kamailio') }, async () => {
    await maxConnections(startKamailioProxy);
  });

  test("dsd logs the refusal with Kamailio's wording", async () => {
    const [port] = await freePorts(1);
    const proxy = await startDsdProxy(port, ['tcp_max_connections=2']);
    const conns: Conn[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const c = await open(port);
        conns.push(c);
        await c.options();
      }
      const third = await open(port);
      conns.push(third);
      await third.closedP;
      await waitUntil(() => /maximum number of connections exceeded: 2\/2/.test(proxy.output()), {
        what: 'the log line',
      });
    } finally {
      closeAll(conns);
      await proxy.stop();
    }
  });

  test('tcp_accept_iplimit=5: a 6th connection from one address is closed, another address is served', async () => {
    const [port] = await freePorts(1);
    const proxy = await startDsdProxy(port, ['tcp_accept_iplimit=5']);
    const conns: Conn[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const c = await open(port);
        conns.push(c);
        await c.options();
      }
      const sixth = await open(port);
      conns.push(sixth);
      await sixth.closedP;
      const other = await open(port, '127.0.0.2');
      conns.push(other);
      await other.options();
      await at(conns, 0).options();
      assert.match(proxy.output(), /hit the limit of connections per source IP \(127\.0\.0\.1\)/);
    } finally {
      closeAll(conns);
      await proxy.stop();
    }
  });

  test('tcp_connection_lifetime: an idle connection is closed, for being idle', async () => {
    const [port] = await freePorts(1);
    // 3 s, not 1: the OPTIONS right after connect must not race the deadline on a starved machine
    const proxy = await startDsdProxy(port, ['tcp_connection_lifetime=3']);
    const conns: Conn[] = [];
    try {
      const c = await open(port);
      conns.push(c);
      await c.options();
      await c.closedP; // the test's timeout is the deadline
      assert.match(proxy.output(), /closed: idle \(tcp_connection_lifetime\)/);
    } finally {
      closeAll(conns);
      await proxy.stop();
    }
  });

  test('tcp_msg_data_timeout: a client that connects and says nothing is closed', async () => {
    const [port] = await freePorts(1);
    // 3 s, not 1: the second client's OPTIONS right after connect must not race the deadline
    const proxy = await startDsdProxy(port, ['tcp_msg_data_timeout=3']);
    const conns: Conn[] = [];
    try {
      const c = await open(port);
      conns.push(c);
      await c.closedP;
      assert.match(proxy.output(), /closed: no data after accept \(tcp_msg_data_timeout\)/);
      const d = await open(port);
      conns.push(d);
      await d.options(); // a client that talks is served
    } finally {
      closeAll(conns);
      await proxy.stop();
    }
  });

  test('tcp_msg_read_timeout: a header trickled byte by byte is cut off, though the connection is never idle', async () => {
    const [port] = await freePorts(1);
    const proxy = await startDsdProxy(port, ['tcp_msg_read_timeout=1', 'tcp_connection_lifetime=600']);
    const conns: Conn[] = [];
    let timer: NodeJS.Timeout | null = null;
    try {
      const c = await open(port);
      conns.push(c);
      c.sock.write('OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nX-Slow: ');
      timer = setInterval(() => {
        if (!c.closed) c.sock.write('a');
      }, 100);
      await c.closedP;
      assert.match(proxy.output(), /closed: message read timeout \(tcp_msg_read_timeout\)/);
    } finally {
      if (timer) clearInterval(timer);
      closeAll(conns);
      await proxy.stop();
    }
  });

  test('a header without an end is closed at the 64 KB limit and the RSS stays flat', async () => {
    const [port] = await freePorts(1);
    const proxy = await startDsdProxy(port, []);
    const conns: Conn[] = [];
    try {
      const before = rssKb(proxy.pid);
      const c = await open(port);
      conns.push(c);
      c.sock.write('OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nX-Endless: ');
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      let sent = 0;
      // write 8 MB as fast as the socket takes it, or until the server closes
      while (sent < 8 * 1024 * 1024 && !c.closed) {
        const ok = c.sock.write(chunk);
        sent += chunk.length;
        if (!ok) await Promise.race([new Promise((r) => c.sock.once('drain', r)), c.closedP]);
      }
      await c.closedP;
      const after = rssKb(proxy.pid);
      assert.ok(after - before < 32 * 1024, `RSS grew by ${after - before} kB (before ${before}, after ${after})`);
      const d = await open(port);
      conns.push(d);
      await d.options(); // and the daemon still serves
    } finally {
      closeAll(conns);
      await proxy.stop();
    }
  });
});
