/**
 * RFC 3263 next hops against a real DNS server: dnsmasq serves NAPTR, SRV and A records
 * on 127.0.0.1:53 inside a network namespace made here (`ip netns add`, with
 * /etc/netns/NAME/resolv.conf pointing at it); dsd and sipp run in the same namespace.
 *
 *   sip:svc.test           NAPTR SIP+D2U -> _sip._udp.pool.test -> b1 (weight 80), b2 (weight 20)
 *   sip:fo.test;transport=udp   SRV: b3 (priority 10, nothing listens) then b1 (priority 20)
 *   sip:b4.test            no NAPTR, no SRV: A on port 5060
 *   sip:ttl.test:5060      A only (port given), TTL 1 s, re-pointed during the test
 *
 * Checked: the SRV weights over 1000 calls, the next SRV target tried when the first
 * does not answer (before any failure route), and a changed A record picked up once its
 * TTL ran out. Everything is removed in `after`, even on failure.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd, Dsd } from '../helpers/daemon';
import { startSipp, readStats, UAC_XML, UAS_XML, SippProc } from '../helpers/sipp';
import { startDnsNetns, dnsNetnsSkip, DnsNetns } from '../helpers/dns-netns';
import { waitUntil } from '../helpers/wait';

const skip = dnsNetnsSkip;
const hosts = (ttlIp: string): string =>
  `127.0.0.11 b1.test\n127.0.0.12 b2.test\n127.0.0.13 b3.test\n127.0.0.14 b4.test\n${ttlIp} ttl.test\n`;

const CFG = `#!KAMAILIO
debug=2
log_stderror=yes
auto_aliases=no
listen=udp:127.0.0.1:5060
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:{DIR}/dsd_ctl")
modparam("tm", "fr_timer", 5000)
request_route {
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  if (!is_method("ACK")) { if (t_precheck_trans()) { t_check_trans(); exit; } t_check_trans(); }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
    sl_send_reply("404", "Not here"); exit;
  }
  remove_hf("Route");
  if (is_method("INVITE")) record_route();
  if ($rU == "svc") $du = "sip:svc.test";
  else if ($rU == "fo") $du = "sip:fo.test;transport=udp";
  else if ($rU == "plain") $du = "sip:b4.test";
  else $du = "sip:ttl.test:5060";
  t_on_failure("RTF");
  if (!t_relay()) sl_reply_error();
  exit;
}
failure_route[RTF] {
  xlog("L_INFO", "failure_route reached for $ci\\n");
}
`;

describe('RFC 3263 against dnsmasq in a network namespace', { skip }, () => {
  let dns: DnsNetns | null = null;
  let WRAP: string[] = [];
  let dsd: Dsd | null = null;
  const sipps: SippProc[] = [];

  function uas(ip: string, cp: number): SippProc {
    const s = startSipp({ scenario: UAS_XML, port: 5060, controlPort: cp, localIp: ip, wrap: WRAP });
    sipps.push(s);
    return s;
  }

  async function calls(service: string, n: number, rate: number, cp: number): Promise<Record<string, string>> {
    const u = startSipp({
      scenario: UAC_XML,
      port: 5070,
      controlPort: cp,
      remote: '127.0.0.1:5060',
      calls: n,
      rate,
      wrap: WRAP,
      extra: ['-s', service, '-timeout', '120', '-timeout_error'],
    });
    await u.done;
    return u.stop();
  }

  before(async () => {
    dns = await startDnsNetns({
      hosts: hosts('127.0.0.21'),
      localTtl: 1,
      records: [
        '--naptr-record=svc.test,10,10,s,SIP+D2U,,_sip._udp.pool.test', // only NAPTR leads there
        '--srv-host=_sip._udp.pool.test,b1.test,5060,10,80',
        '--srv-host=_sip._udp.pool.test,b2.test,5060,10,20',
        '--srv-host=_sip._udp.fo.test,b3.test,5060,10,10',
        '--srv-host=_sip._udp.fo.test,b1.test,5060,20,10',
      ],
    });
    WRAP = dns.wrap;
    uas('127.0.0.11', 30001);
    uas('127.0.0.12', 30002);
    uas('127.0.0.21', 30003);
    uas('127.0.0.22', 30004);
    uas('127.0.0.14', 30006);
    for (const u of sipps) await u.ready();
    dsd = await startDsd({ cfg: CFG, wrap: WRAP });
  });

  after(async () => {
    for (const s of sipps) await s.stop().catch(() => undefined);
    await dsd?.stop();
    await dns?.stop();
  });

  it('NAPTR -> SRV: 1000 calls spread by the SRV weights (80/20)', async () => {
    const st = await calls('svc', 1000, 100, 30010);
    assert.equal(st['SuccessfulCall(C)'], '1000', JSON.stringify(st));
    const b1 = Number((await sipps[0]!.stop())['SuccessfulCall(C)']);
    const b2 = Number((await sipps[1]!.stop())['SuccessfulCall(C)']);
    assert.equal(b1 + b2, 1000);
    // binomial(1000, 0.8): sd 12.6; 720..880 is more than 6 sd either side
    assert.ok(b1 >= 720 && b1 <= 880, `b1 got ${b1}, b2 got ${b2}`);
    sipps[0] = uas('127.0.0.11', 30005);
    await sipps[0].ready();
  });

  it('the next SRV target is tried when the first does not answer, before the failure route', async () => {
    const st = await calls('fo', 3, 5, 30011);
    assert.equal(st['SuccessfulCall(C)'], '3', JSON.stringify(st));
    assert.match(
      dsd!.output(),
      /dns failover: udp:127\.0\.0\.13:5060 failed \(no reply\), trying udp:127\.0\.0\.11:5060/,
    );
    assert.doesNotMatch(dsd!.output(), /failure_route reached/);
  });

  it('no port, no transport, no NAPTR, no SRV: the A record on port 5060', async () => {
    const st = await calls('plain', 2, 5, 30040);
    assert.equal(st['SuccessfulCall(C)'], '2', JSON.stringify(st));
    const b4 = sipps[4]!;
    await waitUntil(() => Number(readStats(b4.statFile)['SuccessfulCall(C)'] ?? 0) === 2, {
      what: 'both calls at b4.test (127.0.0.14:5060)',
    });
  });

  it('an A record changed in DNS is picked up once its TTL ran out', async () => {
    const st = await calls('ttl', 2, 5, 30012);
    assert.equal(st['SuccessfulCall(C)'], '2', JSON.stringify(st));
    const reached = (): number => {
      try {
        return Number(readStats(sipps[3]!.statFile)['SuccessfulCall(C)'] ?? 0);
      } catch {
        return 0;
      }
    };
    assert.equal(reached(), 0);
    dns!.setHosts(hosts('127.0.0.22'));
    let moved = false;
    for (let i = 0; i < 20 && !moved; i++) {
      await new Promise((r) => setTimeout(r, 1500)); // local-ttl is 1 s
      await calls('ttl', 1, 5, 30013 + i);
      await new Promise((r) => setTimeout(r, 1200)); // sipp writes its stat file every second
      moved = reached() > 0;
    }
    assert.ok(moved, 'calls never reached the new address');
  });
});
