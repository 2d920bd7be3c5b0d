/**
 * A dialog between a WebSocket client and a UDP backend through dsd, both directions:
 * the INVITE from the WebSocket gets the double Record-Route (UDP side, then the
 * WebSocket side with dsd's flow token), the 200 comes back on the same WebSocket, and a
 * BYE from the backend — whose R-URI is the client's unresolvable `.invalid` Contact —
 * is routed by loose_route() to that WebSocket connection, Via SIP/2.0/WS.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startDsd, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { UdpPeer, statusOf, methodOf, headerValues, header, makeResponse } from '../helpers/sip-peer';

function cfg(port: number, bk: number): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
auto_aliases=no
tcp_accept_no_cl=yes
listen=udp:127.0.0.1:${port}
listen=tcp:127.0.0.1:${port}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xhttp.so"
loadmodule "websocket.so"
event_route[xhttp:request] {
  if ($hdr(Upgrade) =~ "websocket") { ws_handle_handshake(); exit; }
  xhttp_reply("404", "Not Found", "", "");
}
request_route {
  xlog("L_INFO", "dialog-test: $rm over $proto from $si:$sp\\n");
  if (has_totag()) {
    if (loose_route()) { if (!t_relay()) sl_reply_error(); exit; }
    if (is_method("ACK")) { t_relay(); exit; }
    sl_send_reply("404", "Not here"); exit;
  }
  if (is_method("INVITE")) record_route();
  $du = "sip:127.0.0.1:${bk}";
  t_relay();
}
`;
}

describe('WebSocket dialog: requests from the far end reach the browser over its connection', () => {
  let dsd: Dsd;
  let backend: UdpPeer;
  let port = 0;

  before(async () => {
    const [p, bk] = await freePorts(2);
    port = p;
    backend = await UdpPeer.open({ host: '127.0.0.1', port: bk });
    dsd = await startDsd({ cfg: cfg(port, bk) });
  });
  after(async () => {
    await dsd?.stop();
    await backend?.close();
  });

  it('INVITE, 200 and ACK over the WebSocket; then a BYE from the backend reaches the client', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const inbox: string[] = [];
    const waiters: Array<(m: string) => void> = [];
    ws.on('message', (d) => {
      const m = d.toString();
      inbox.push(m);
      waiters.splice(0).forEach((w) => w(m));
    });
    const next = async (pred: (m: string) => boolean): Promise<string> => {
      const until = Date.now() + 30_000;
      for (;;) {
        const hit = inbox.find(pred);
        if (hit) return hit;
        if (Date.now() > until)
          throw new Error(`not received; got ${inbox.map((m) => m.split('\r\n')[0]).join(' | ')}`);
        await new Promise<void>((r) => {
          waiters.push(() => r());
          setTimeout(r, 200);
        });
      }
    };
    const contact = '<sip:b7k2@df7jal23ls0d.invalid;transport=ws>';
    ws.send(
      `INVITE sip:bob@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK-inv1\r\n` +
        `From: <sip:alice@dsd.test>;tag=a1\r\nTo: <sip:bob@dsd.test>\r\nCall-ID: wsdlg-1\r\nCSeq: 1 INVITE\r\n` +
        `Contact: ${contact}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    );
    const inv = await backend.waitFor((m) => methodOf(m.text) === 'INVITE', 10_000);
    const rr = headerValues(inv.text, 'record-route').join(', ');
    assert.match(
      rr,
      new RegExp(
        `^<sip:127\\.0\\.0\\.1:${port};r2=on;lr[^>]*>, <sip:dsdf[^@]+@127\\.0\\.0\\.1:${port};transport=ws;r2=on;lr[^>]*>$`,
      ),
      rr,
    );
    await backend.send(
      makeResponse(inv.text, 200, 'OK', [`Record-Route: ${rr}`, `Contact: <sip:bob@127.0.0.1:${backend.port}>`]),
      port,
    );
    const ok = await next((m) => statusOf(m) === 200);
    assert.equal(header(ok, 'call-id'), 'wsdlg-1');
    // the far end hangs up: Route = the Record-Route set, R-URI = the browser's Contact
    const routes = rr;
    await backend.send(
      `BYE sip:b7k2@df7jal23ls0d.invalid;transport=ws SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP 127.0.0.1:${backend.port};branch=z9hG4bK-bye1\r\nRoute: ${routes}\r\n` +
        `From: <sip:bob@dsd.test>;tag=peer200\r\nTo: <sip:alice@dsd.test>;tag=a1\r\nCall-ID: wsdlg-1\r\nCSeq: 1 BYE\r\n` +
        `Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
      port,
    );
    const bye = await next((m) => m.startsWith('BYE '));
    assert.match(bye, /^Via: SIP\/2\.0\/WS 127\.0\.0\.1:\d+;branch=/m);
    assert.doesNotMatch(bye, /^Route:/im, 'our Route entries are removed');
    // the client answers on its WebSocket; the 200 reaches the backend
    ws.send(makeResponse(bye, 200, 'OK').toString('latin1'));
    const done = await backend.waitFor(
      (m) => statusOf(m.text) === 200 && /BYE/.test(header(m.text, 'cseq') ?? ''),
      10_000,
    );
    assert.equal(header(done.text, 'call-id'), 'wsdlg-1');
    await dsd.waitFor(/dialog-test: BYE over udp from 127\.0\.0\.1:\d+/);
    ws.close();
  });

  it('a forged flow token is not followed', async () => {
    const before = backend.received.length;
    // without a valid flow the request goes to its R-URI: here the backend itself
    await backend.send(
      `BYE sip:x@127.0.0.1:${backend.port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${backend.port};branch=z9hG4bK-forged\r\n` +
        `Route: <sip:127.0.0.1:${port};r2=on;lr>, <sip:dsdfAAAAAAAAAA~ws~127.0.0.1~1@127.0.0.1:${port};transport=ws;r2=on;lr>\r\n` +
        `From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: forged-1\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
      port,
    );
    const r = await backend.waitFor(
      (m) => header(m.text, 'call-id') === 'forged-1' && methodOf(m.text) === 'BYE',
      10_000,
      before,
    );
    assert.match(r.text, /^Via: SIP\/2\.0\/UDP /m, 'relayed over UDP to the R-URI, not to a WebSocket');
  });
});
