/**
 * SIP over TLS with real peers and certificates made here by openssl:
 *
 *   sipp UAC --udp--> Kamailio 5.6 edge --tls--> dsd --tls--> Kamailio 5.6 backend --udp--> sipp UAS
 *
 * dsd requires a client certificate (require_certificate) and verifies its backends
 * against the test CA. Calls complete end to end (INVITE, ACK and BYE over the reused
 * TLS connections); a sips: destination goes over TLS; a backend whose certificate comes
 * from another CA, or has expired, fails the handshake: logged with peer and reason, the
 * branch fails at once and the dispatcher fails over; a client without a certificate is
 * refused and logged; keepalives go over TLS (up for the good backend, down for the bad);
 * tls.list / tls.info / tls.reload through dsctl.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { startDsd, Dsd, tmpDir } from '../helpers/daemon';
import { dsctlOn, type CtlResult } from '../helpers/ctl';
import { needs } from '../helpers/require';
import { freePorts } from '../helpers/ports';
import { startSipp, UAC_XML, UAS_XML, SippProc } from '../helpers/sipp';
import { startKamailio, Kamailio } from '../helpers/kamailio';
import { makeCerts, TestCerts } from '../helpers/certs';
import { at } from '../helpers/at';

function kamCfg(role: 'edge' | 'backend', p: Record<string, number>): string {
  const listen =
    role === 'edge'
      ? `listen=udp:127.0.0.1:${p.edgeUdp}\nlisten=tls:127.0.0.1:${p.edgeTls}`
      : `listen=udp:127.0.0.1:${p.bkUdp}\nlisten=tls:127.0.0.1:${p.bkTls}`;
  const next = role === 'edge' ? `sip:127.0.0.1:${p.dsdTls};transport=tls` : `sip:127.0.0.1:${p.uas}`;
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
enable_tls=yes
auto_aliases=no
${listen}
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
modparam("tls", "config", "{DIR}/tls.cfg")
request_route {
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
    sl_send_reply("404", "Not here"); exit;
  }
  if (is_method("OPTIONS") && uri == myself) { sl_send_reply("200", "OK"); exit; }
  record_route();
  xlog("L_INFO", "${role}: $rm $ci over $proto from $si:$sp\\n");
  $du = "${next}";
  if (!t_relay()) sl_reply_error();
  exit;
}
`;
}

function kamTls(role: 'edge' | 'backend', c: TestCerts): string {
  return `[server:default]
method = TLSv1.2+
certificate = ${c.serverCert}
private_key = ${c.serverKey}
verify_certificate = no
require_certificate = no

[client:default]
method = TLSv1.2+
verify_certificate = ${role === 'edge' ? 'yes' : 'no'}
require_certificate = no
ca_list = ${c.ca}
${role === 'edge' ? `certificate = ${c.clientCert}\nprivate_key = ${c.clientKey}` : ''}
`;
}

function dsdTls(c: TestCerts): string {
  return `# dsd's profiles, in Kamailio's tls.cfg format
[server:default]
method = TLSv1.2+
certificate = ${c.serverCert}
private_key = ${c.serverKey}
ca_list = ${c.ca}
verify_certificate = yes
require_certificate = yes

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
ca_list = ${c.ca}
verify_depth = 3
`;
}

function dsdCfg(p: Record<string, number>): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
enable_tls=yes
auto_aliases=no
listen=udp:127.0.0.1:${p.dsdUdp}
listen=tls:127.0.0.1:${p.dsdTls}
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "maxfwd.so"
loadmodule "ctl.so"
loadmodule "dispatcher.so"
modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")
modparam("tls", "config", "{DIR}/tls.cfg")
modparam("tm", "fr_timer", 4000)
modparam("dispatcher", "list_file", "{DIR}/dispatcher.list")
modparam("dispatcher", "flags", 2)
modparam("dispatcher", "ds_ping_interval", 1)
modparam("dispatcher", "ds_probing_mode", 0)
modparam("dispatcher", "ds_probing_threshold", 1)
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  if (!is_method("ACK")) { if (t_precheck_trans()) { t_check_trans(); exit; } t_check_trans(); }
  if (has_totag()) {
    if (loose_route()) { if (!t_relay()) sl_reply_error(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
    sl_send_reply("404", "Not here"); exit;
  }
  remove_hf("Route");
  if (is_method("INVITE")) record_route();
  xlog("L_INFO", "dsd: $rm $ci over $proto from $si:$sp\\n");
  if (!ds_select_dst("$rU", "8")) { send_reply("404", "No destination"); exit; }
  t_on_failure("RTF");
  if (!t_relay()) sl_reply_error();
  exit;
}
failure_route[RTF] {
  if (t_is_canceled()) exit;
  if (t_check_status("500") or (t_branch_timeout() and !t_branch_replied())) {
    if (ds_next_dst()) { xlog("L_INFO", "failover to $du\\n"); t_on_failure("RTF"); t_relay(); exit; }
  }
}
`;
}

/** A TLS server with the given certificate that records whatever SIP reaches it. */
async function badBackend(port: number, cert: string, key: string, got: string[]): Promise<tls.Server> {
  const s = tls.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (sock) => {
    sock.on('data', (d) => got.push(d.toString('latin1')));
    sock.on('error', () => {
      /* the peer aborts the handshake */
    });
  });
  s.on('tlsClientError', () => {
    /* expected: dsd refuses our certificate */
  });
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
  return s;
}

const skip = needs('sipp', 'kamailio');

describe('TLS: Kamailio edge -> dsd -> Kamailio backend', { skip }, () => {
  let dsd: Dsd;
  let edge: Kamailio;
  let backend: Kamailio;
  let uas: SippProc;
  let certs: TestCerts;
  let certDir: string;
  const bad: tls.Server[] = [];
  const badGot: string[] = [];
  const PORT_NAMES = [
    'dsdUdp',
    'dsdTls',
    'edgeUdp',
    'edgeTls',
    'bkUdp',
    'bkTls',
    'uas',
    'uac',
    'wrong',
    'expired',
    'cp1',
    'cp2',
    'cp3',
    'cp4',
  ] as const;
  // filled in before(), read only by the tests
  const p = {} as Record<(typeof PORT_NAMES)[number], number>;

  before(async () => {
    const ports = await freePorts(14);
    PORT_NAMES.forEach((n, i) => {
      p[n] = at(ports, i);
    });
    certDir = tmpDir('dsd-certs-');
    certs = makeCerts(certDir);
    bad.push(await badBackend(p.wrong, certs.wrongCaCert, certs.wrongCaKey, badGot));
    bad.push(await badBackend(p.expired, certs.expiredCert, certs.expiredKey, badGot));
    uas = startSipp({ scenario: UAS_XML, port: p.uas, controlPort: p.cp1 });
    backend = await startKamailio({
      cfg: kamCfg('backend', p),
      files: { 'tls.cfg': kamTls('backend', certs) },
      readyLog: /main\(\): processes \(at least\)/,
    });
    const list =
      [
        `1 sip:127.0.0.1:${p.bkTls};transport=tls 8 0`,
        `2 sip:127.0.0.1:${p.wrong};transport=tls 0 10`,
        `2 sip:127.0.0.1:${p.bkTls};transport=tls 0 0`,
        `3 sip:127.0.0.1:${p.expired};transport=tls 0 10`,
        `3 sip:127.0.0.1:${p.bkTls};transport=tls 0 0`,
        `4 sips:127.0.0.1:${p.bkTls} 0 0`,
        `5 sip:127.0.0.1:${p.wrong};transport=tls 8 0`,
      ].join('\n') + '\n';
    dsd = await startDsd({ cfg: dsdCfg(p), list, files: { 'tls.cfg': dsdTls(certs) } });
    edge = await startKamailio({
      cfg: kamCfg('edge', p),
      files: { 'tls.cfg': kamTls('edge', certs) },
      readyLog: /main\(\): processes \(at least\)/,
    });
  });

  after(async () => {
    await edge?.stop();
    await dsd?.stop();
    await backend?.stop();
    if (uas) await uas.stop();
    for (const s of bad) await new Promise<void>((r) => s.close(() => r()));
    if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
  });

  const dsctl = (...args: string[]): CtlResult => dsctlOn(dsd, ...args);

  async function calls(service: string, n: number, cp: number): Promise<Record<string, string>> {
    const uac = startSipp({
      scenario: UAC_XML,
      port: p.uac,
      controlPort: cp,
      remote: `127.0.0.1:${p.edgeUdp}`,
      calls: n,
      rate: 10,
      extra: ['-s', service, '-timeout', '60', '-timeout_error'],
    });
    await uac.done;
    const st = await uac.stop();
    return st;
  }

  it('calls complete over TLS both ways (edge -> dsd and dsd -> backend), connections reused', async () => {
    const st = await calls('1', 10, p.cp2);
    assert.equal(st['SuccessfulCall(C)'], '10', `sipp: ${JSON.stringify(st)}\n${dsd.output().slice(-3000)}`);
    assert.match(dsd.output(), /dsd: INVITE \S+ over tls from 127\.0\.0\.1:\d+/);
    assert.match(backend.output(), /backend: INVITE \S+ over tls from 127\.0\.0\.1:\d+/);
    const list = JSON.parse(dsctl('--json', 'tls.list').out) as Array<Record<string, unknown>>;
    const inbound = list.filter((c) => c.dst_port === p.dsdTls && c.flags === 0 && c.state === 'established');
    const outbound = list.filter((c) => c.src_port === p.bkTls && c.state === 'established');
    assert.equal(inbound.length, 1, `one connection from the edge, reused: ${JSON.stringify(list)}`);
    assert.equal(outbound.length, 1, `one connection to the backend, reused: ${JSON.stringify(list)}`);
    assert.match(String(at(outbound, 0).cipher), /TLS/);
    const info = JSON.parse(dsctl('--json', 'tls.info').out) as Record<string, number>;
    assert.ok((info.opened_connections ?? 0) >= 2, `tls.info: ${JSON.stringify(info)}`);
    assert.equal(typeof info.max_connections, 'number');
  });

  it('a sips: destination goes over TLS', async () => {
    const st = await calls('4', 3, p.cp3);
    assert.equal(st['SuccessfulCall(C)'], '3', JSON.stringify(st));
  });

  it('wrong CA: handshake fails, logged with peer and reason, the call fails over', async () => {
    const st = await calls('2', 3, p.cp4);
    assert.equal(st['SuccessfulCall(C)'], '3', `${JSON.stringify(st)}\n${dsd.output().slice(-3000)}`);
    assert.match(
      dsd.output(),
      new RegExp(`TLS handshake with 127\\.0\\.0\\.1:${p.wrong} failed: .*(certificate|CERT|verify)`, 'i'),
    );
    assert.match(dsd.output(), new RegExp(`failover to sip:127\\.0\\.0\\.1:${p.bkTls};transport=tls`));
    assert.deepEqual(badGot, [], 'no SIP reached the untrusted backend');
  });

  it('expired certificate: handshake fails with the reason logged, the call fails over', async () => {
    const st = await calls('3', 3, p.cp2);
    assert.equal(st['SuccessfulCall(C)'], '3', JSON.stringify(st));
    assert.match(dsd.output(), new RegExp(`TLS handshake with 127\\.0\\.0\\.1:${p.expired} failed: .*expired`, 'i'));
    assert.deepEqual(badGot, []);
  });

  it('keepalives over TLS: the good backend answers (P cleared), the untrusted one goes inactive', async () => {
    // ds_probing_mode 0 probes destinations flagged P (8): a successful OPTIONS over TLS
    // turns AP into AX; a failed handshake turns IP-able ones inactive
    const until = Date.now() + 30_000;
    const flags = (out: string, id: number): string => {
      const at = out.indexOf(`ID: ${id}\n`);
      return at < 0 ? '' : (/FLAGS: (\w+)/.exec(out.slice(at)) ?? ['', ''])[1];
    };
    let out = '';
    while (Date.now() < until) {
      out = dsctl('dispatcher.list').out;
      if (flags(out, 1) === 'AX' && flags(out, 5).startsWith('I')) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(flags(out, 1), 'AX', out);
    assert.match(flags(out, 5), /^I/, out);
  });

  it('a client without a certificate is refused (require_certificate) and logged', async () => {
    const r = await new Promise<string>((resolve) => {
      const s = tls.connect({
        host: '127.0.0.1',
        port: p.dsdTls,
        ca: fs.readFileSync(certs.ca),
        servername: 'localhost',
      });
      s.on('secureConnect', () => s.write('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
      s.on('data', () => resolve('data'));
      s.on('error', (e) => resolve(`error ${e.message}`));
      s.on('close', () => resolve('closed'));
    });
    assert.notEqual(r, 'data');
    await dsd.waitFor(
      new RegExp(
        `TLS handshake from 127\\.0\\.0\\.1:\\d+ on tls:127\\.0\\.0\\.1:${p.dsdTls} failed: .*certificate`,
        'i',
      ),
      10_000,
    );
  });

  it('tls.reload: a good file is taken, a broken one refused with the running profiles kept', async () => {
    const ok = dsctl('tls.reload');
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /Ok\. TLS configuration reloaded\./);
    const cfgFile = path.join(dsd.dir, 'tls.cfg');
    const good = fs.readFileSync(cfgFile, 'utf8');
    fs.writeFileSync(cfgFile, good.replace(certs.serverKey, path.join(certs.dir, 'missing.key')));
    const bad2 = dsctl('tls.reload');
    assert.equal(bad2.code, 1);
    assert.match(bad2.err, /missing\.key/);
    fs.writeFileSync(cfgFile, good);
    const st = await calls('1', 2, p.cp3);
    assert.equal(st['SuccessfulCall(C)'], '2', 'calls still complete after a refused reload');
  });
});
