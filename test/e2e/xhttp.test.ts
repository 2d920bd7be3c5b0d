/**
 * xhttp on its own (no websocket.so), against Kamailio 5.6 on the same cfg: HTTP on the
 * SIP TCP listen socket goes to event_route[xhttp:request], xhttp_reply() answers, and
 * the replies must be Kamailio's byte for byte (but for its leaked "Sia:" line and the
 * Server header): keep-alive with pipelined requests, $rm/$hu/$hdr/$cl/$rb/$proto, an
 * Upgrade header the route answers itself, and a request the route leaves unanswered
 * (nothing is sent; the next request on the connection is still served).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDsd, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { startKamailio, Kamailio } from '../helpers/kamailio';
import { needs } from '../helpers/require';
import { waitUntil } from '../helpers/wait';

function cfg(port: number): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
tcp_accept_no_cl=yes
listen=tcp:127.0.0.1:${port}
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xhttp.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")
event_route[xhttp:request] {
  if ($hu =~ "^/none") exit;
  if ($hu =~ "^/missing") {
    xhttp_reply("404", "Not Found", "text/html", "<html><body>$hu not found</body></html>");
    exit;
  }
  xhttp_reply("200", "OK", "text/plain", "m=$rm u=$hu si=$si proto=$proto x=$hdr(X-Foo) up=$hdr(Upgrade) cl=$cl rb=$rb");
}
request_route {
  sl_send_reply("200", "OK");
}
`;
}

/** Sends `text` on one connection and collects `n` HTTP replies (framed by Content-Length). */
function exchange(port: number, text: string, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(text));
    let buf = '';
    const got: string[] = [];
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve(got);
    };
    const t = setTimeout(done, 20_000);
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const he = buf.indexOf('\r\n\r\n');
        if (he < 0) break;
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, he + 2));
        const total = he + 4 + (cl ? Number(cl[1]) : 0);
        if (buf.length < total) break;
        got.push(buf.slice(0, total));
        buf = buf.slice(total);
      }
      if (got.length >= n) done();
    });
    s.on('error', (e) => {
      clearTimeout(t);
      if (got.length) resolve(got);
      else reject(e);
    });
    s.on('close', () => done());
  });
}

/** A reply without Kamailio's leaked Sia line and the Server line (they differ by design). */
function comparable(reply: string): string {
  return reply
    .split('\r\n')
    .filter((l) => !/^(sia|server):/i.test(l))
    .join('\r\n');
}

const CASES: Array<[string, string, number]> = [
  [
    'two pipelined GETs on one connection',
    'GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Foo: bar\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n',
    2,
  ],
  ['a POST body ($cl, $rb)', 'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', 1],
  [
    'an Upgrade header with no websocket module: the route answers',
    'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    1,
  ],
  [
    'an unanswered request, then one answered on the same connection',
    'GET /none HTTP/1.1\r\nHost: x\r\n\r\nGET /missing/page HTTP/1.1\r\nHost: x\r\n\r\n',
    1,
  ],
];

describe('xhttp without websocket (dsd against Kamailio 5.6)', () => {
  let dsd: Dsd;
  let kam: Kamailio | null = null;
  let port = 0;
  let kport = 0;
  const skip = needs('kamailio');

  before(async () => {
    [port, kport] = await freePorts(2);
    dsd = await startDsd({ cfg: cfg(port) });
    if (!skip) kam = await startKamailio({ cfg: cfg(kport) });
  });
  after(async () => {
    await dsd?.stop();
    await kam?.stop();
  });

  for (const [name, text, n] of CASES) {
    it(`${name}: the same replies as Kamailio`, { skip }, async () => {
      const mine = await exchange(port, text, n);
      const theirs = await exchange(kport, text, n);
      assert.equal(theirs.length, n, `kamailio answered: ${JSON.stringify(theirs)}`);
      assert.deepEqual(mine.map(comparable), theirs.map(comparable));
    });
  }

  it('in dsd alone: keep-alive, $hu, body, the unanswered request skipped', async () => {
    const [a, b] = await exchange(port, CASES[0]![1], 2);
    assert.match(a!, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(a!, /m=GET u=\/a\?b=1 si=127\.0\.0\.1 proto=tcp x=bar up=<null> cl=<null> rb=$/);
    assert.match(b!, /u=\/second /);
    const [p] = await exchange(port, CASES[1]![1], 1);
    assert.match(p!, /m=POST u=\/p .* cl=5 rb=hello$/);
    const [m] = await exchange(port, CASES[3]![1], 1);
    assert.match(m!, /^HTTP\/1\.1 404 Not Found\r\nContent-Type: text\/html\r\n/);
    assert.match(m!, /<html><body>\/missing\/page not found<\/body><\/html>$/);
    // SIP still works on the same listen socket
    const sip = new Promise<string>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () =>
        s.write(
          `OPTIONS sip:x@127.0.0.1:${port};transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-xh1\r\n` +
            'From: <sip:a@x>;tag=1\r\nTo: <sip:x@x>\r\nCall-ID: xh-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
        ),
      );
      let got = '';
      s.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) {
          s.destroy();
          resolve(got);
        }
      });
    });
    assert.match(await sip, /^SIP\/2\.0 200 OK/);
  });

  it('a bad request line closes the connection; the daemon goes on', async () => {
    const s = net.connect({ host: '127.0.0.1', port });
    let closed = false;
    s.on('close', () => (closed = true));
    s.on('error', () => undefined);
    s.resume(); // read (and drop) the first reply, so the end of the stream is seen
    await new Promise((r) => s.once('connect', r));
    s.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\x00 line\r\n\r\n');
    await waitUntil(() => closed, { what: 'the connection closed after a broken request' });
    const [ok] = await exchange(port, 'GET /again HTTP/1.1\r\nHost: x\r\n\r\n', 1);
    assert.match(ok!, /^HTTP\/1\.1 200 OK/);
  });
});
