/**
 * A real browser SIP client through dsd: SIP.js (npm) in headless Chromium (Debian's
 * chromium, driven by playwright-core) registers and places a call over WSS — the TLS
 * listen socket with certificates made here by openssl — through dsd to sipp backends
 * over UDP, then hangs up. Checked: the registrar and the UAS got their requests, the
 * 200s and the in-dialog ACK/BYE crossed the same WebSocket, dsd saw $proto wss and the
 * browser's $si/$sp, and wrote the double Record-Route Kamailio writes (transport=wss
 * on the browser side).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startDsd, Dsd, REPO, tmpDir } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { startSipp, UAS_XML, FIXTURES, SippProc, haveSipp } from '../helpers/sipp';
import { makeCerts, tlsServerCfg, TestCerts } from '../helpers/certs';
import { at } from '../helpers/at';

const CHROMIUM = '/usr/bin/chromium';
const skip = !fs.existsSync(CHROMIUM) ? 'chromium not installed' : !haveSipp() ? 'sipp not installed' : false;

function cfg(p: Record<string, number>): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
enable_tls=yes
auto_aliases=no
tcp_accept_no_cl=yes
listen=udp:127.0.0.1:${p.udp}
listen=tcp:127.0.0.1:${p.udp}
listen=tls:127.0.0.1:${p.tls}
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xhttp.so"
loadmodule "websocket.so"
loadmodule "ctl.so"
loadmodule "dispatcher.so"
modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")
modparam("tls", "config", "{DIR}/tls.cfg")
modparam("dispatcher", "list_file", "{DIR}/dispatcher.list")
event_route[xhttp:request] {
  if ($hdr(Upgrade) =~ "websocket") {
    ws_handle_handshake();
    exit;
  }
  xhttp_reply("404", "Not Found", "text/plain", "no such page");
}
request_route {
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  if (!is_method("ACK")) { if (t_precheck_trans()) { t_check_trans(); exit; } t_check_trans(); }
  xlog("L_INFO", "browser-test: $rm over $proto from $si:$sp\\n");
  if (has_totag()) {
    if (loose_route()) { if (!t_relay()) sl_reply_error(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
    sl_send_reply("404", "Not here"); exit;
  }
  remove_hf("Route");
  if (is_method("REGISTER")) {
    if (!ds_select_dst("2", "0")) { sl_send_reply("500", "No registrar"); exit; }
  } else {
    if (is_method("INVITE")) record_route();
    if (!ds_select_dst("1", "0")) { sl_send_reply("404", "No destination"); exit; }
  }
  if (!t_relay()) sl_reply_error();
  exit;
}
`;
}

describe('a browser (SIP.js in Chromium) registers and calls over WSS through dsd', { skip }, () => {
  let dsd: Dsd;
  let uas: SippProc;
  let registrar: SippProc;
  let web: http.Server;
  let certs: TestCerts;
  let certDir: string;
  const PORT_NAMES = ['udp', 'tls', 'uas', 'reg', 'web', 'cp1', 'cp2'] as const;
  // filled in before(), read only by the tests
  const p = {} as Record<(typeof PORT_NAMES)[number], number>;

  let browser: any = null;

  before(async () => {
    const ports = await freePorts(7);
    PORT_NAMES.forEach((n, i) => {
      p[n] = at(ports, i);
    });
    certDir = tmpDir('dsd-certs-');
    certs = makeCerts(certDir);
    uas = startSipp({ scenario: UAS_XML, port: p.uas, controlPort: p.cp1 });
    registrar = startSipp({
      scenario: path.join(FIXTURES, 'sipp', 'uas-register.xml'),
      port: p.reg,
      controlPort: p.cp2,
    });
    const tlsCfg = `${tlsServerCfg(certs)}\n[client:default]\nverify_certificate = yes\nca_list = ${certs.ca}\n`;
    dsd = await startDsd({
      cfg: cfg(p),
      files: { 'tls.cfg': tlsCfg },
      list: `1 sip:127.0.0.1:${p.uas} 0 0\n2 sip:127.0.0.1:${p.reg} 0 0\n`,
    });
    const page = fs.readFileSync(path.join(FIXTURES, 'web', 'sipjs-call.html'));
    const lib = path.join(REPO, 'node_modules', 'sip.js', 'lib');
    web = http.createServer((req, res) => {
      const [url = '/'] = (req.url ?? '/').split('?');
      if (url === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(page);
        return;
      }
      const f = path.resolve(lib, '.' + url.replace(/^\/sipjs/, ''));
      if (url.startsWith('/sipjs/') && f.startsWith(lib) && fs.existsSync(f)) {
        res.writeHead(200, { 'Content-Type': 'text/javascript' });
        res.end(fs.readFileSync(f));
        return;
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => web.listen(p.web, '127.0.0.1', () => r()));
  });

  after(async () => {
    if (browser) await browser.close();
    await dsd?.stop();
    if (uas) await uas.stop();
    if (registrar) await registrar.stop();
    await new Promise<void>((r) => (web ? web.close(() => r()) : r()));
    if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
  });

  it('REGISTER, INVITE, ACK and BYE over WSS; replies back on the same WebSocket', async () => {
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--ignore-certificate-errors',
      ],
    });
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await ctx.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m: { text(): string }) => consoleLines.push(m.text()));
    await page.goto(`http://127.0.0.1:${p.web}/`);
    await page.waitForFunction('window.ready === true', null, { timeout: 30_000 });
    let result: { received: number[]; lines: string[]; recordRoute: string[] };
    try {
      result = await page.evaluate(
        ([server, aor, target]: [string, string, string]) =>
          (
            globalThis as unknown as {
              run(
                a: string,
                b: string,
                c: string,
              ): Promise<{ received: number[]; lines: string[]; recordRoute: string[] }>;
            }
          ).run(server, aor, target),
        [`wss://127.0.0.1:${p.tls}`, 'sip:alice@dsd.test', `sip:bob@127.0.0.1:${p.udp}`],
      );
    } catch (e) {
      throw new Error(
        `${(e as Error).message}\nbrowser console:\n${consoleLines.join('\n')}\ndsd:\n${dsd.output().slice(-4000)}`,
      );
    }
    assert.deepEqual(result.received, [200, 200], JSON.stringify(result));
    const out = dsd.output();
    for (const m of ['REGISTER', 'INVITE', 'ACK', 'BYE']) {
      assert.match(
        out,
        new RegExp(`browser-test: ${m} over wss from 127\\.0\\.0\\.1:\\d+`),
        `${m} over wss:\n${out.slice(-3000)}`,
      );
    }
    // the browser's own source port, as $si/$sp: every request came on one WebSocket
    const srcs = new Set([...out.matchAll(/browser-test: \w+ over wss from (127\.0\.0\.1:\d+)/g)].map((m) => m[1]));
    assert.equal(srcs.size, 1, [...srcs].join(' '));
    await registrar.stop();
    const st = await uas.stop();
    assert.equal(st['SuccessfulCall(C)'], '1', JSON.stringify(st));
    // Kamailio's double Record-Route across transports: the UDP side, then the WSS side, whose
    // user part carries dsd's flow token for requests back to the browser (RFC 5626 style)
    const rr = result.recordRoute.join(',');
    assert.match(
      rr,
      new RegExp(
        `^<sip:127\\.0\\.0\\.1:${p.udp};r2=on;lr[^>]*>,\\s*<sip:(?:dsdf[^@>]+@)?127\\.0\\.0\\.1:${p.tls};transport=wss;r2=on;lr[^>]*>$`,
      ),
      rr,
    );
  });
});
