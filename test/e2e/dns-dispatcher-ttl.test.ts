/**
 * The dispatcher's ds_dns_ttl against a real DNS server (dnsmasq in a network namespace,
 * test/helpers/dns-netns.ts), dsd beside Kamailio 5.6 on the same cfg and list. The
 * destination `sip:dyn.test:5080` is an A record with a TTL of an hour; ds_dns_mode 4
 * re-resolves it every second (ds_dns_interval 1). The record is re-pointed from
 * 127.0.0.31 to 127.0.0.32, and ds_is_from_list() tells which address each daemon holds:
 *
 *   ds_dns_ttl=1  the answer is cached for 1 s whatever the record says (Kamailio's
 *                 dns_set_local_ttl): the new address is picked up;
 *   ds_dns_ttl=0  the record's hour stands: the old address stays.
 *
 * Both behaviours are checked on dsd and on Kamailio.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd, Dsd } from '../helpers/daemon';
import { startKamailio, Kamailio } from '../helpers/kamailio';
import { startDnsNetns, dnsNetnsSkip, DnsNetns, dnsDispatcherCfg } from '../helpers/dns-netns';
import { needs } from '../helpers/require';
import { waitUntil } from '../helpers/wait';

const skip = dnsNetnsSkip || needs('kamailio');

const cfg = (port: number, ttl: number): string => dnsDispatcherCfg(port, { dsDnsTtl: ttl });

const LIST = '1 sip:dyn.test:5080 0 0\n';

describe('ds_dns_ttl: a re-pointed A record, dsd and Kamailio 5.6 (dnsmasq in a network namespace)', { skip }, () => {
  let dns: DnsNetns | null = null;
  const daemons: Array<{ name: string; port: number; ttl: number; stop: () => Promise<void> }> = [];

  const from = (src: string, port: number): number => dns!.options(src, port);

  before(async () => {
    dns = await startDnsNetns({ hosts: '127.0.0.31 dyn.test\n', localTtl: 3600 });
    const ports = { dsd1: 5060, dsd0: 5062, kam1: 5064, kam0: 5066 };
    for (const [name, port] of Object.entries(ports)) {
      const ttl = name.endsWith('1') ? 1 : 0;
      if (name.startsWith('dsd')) {
        const d: Dsd = await startDsd({ cfg: cfg(port, ttl), list: LIST, wrap: dns.wrap });
        daemons.push({ name, port, ttl, stop: async () => void (await d.stop()) });
      } else {
        const k: Kamailio = await startKamailio({ cfg: cfg(port, ttl), list: LIST, wrap: dns.wrap });
        daemons.push({ name, port, ttl, stop: () => k.stop() });
      }
    }
  });

  after(async () => {
    for (const d of daemons) await d.stop().catch(() => undefined);
    await dns?.stop();
  });

  it('all four hold the first address', () => {
    for (const d of daemons) {
      assert.equal(from('127.0.0.31', d.port), 200, `${d.name}: 127.0.0.31 is dyn.test`);
      assert.equal(from('127.0.0.32', d.port), 403, `${d.name}: 127.0.0.32 is not`);
    }
  });

  it('ds_dns_ttl=1 picks the new address up; ds_dns_ttl=0 keeps the record TTL (an hour)', async () => {
    dns!.setHosts('127.0.0.32 dyn.test\n');
    for (const d of daemons.filter((x) => x.ttl === 1)) {
      await waitUntil(() => from('127.0.0.32', d.port) === 200, {
        what: `${d.name} (ds_dns_ttl=1) to match the new address`,
        timeoutMs: 60_000,
        everyMs: 500,
      });
      assert.equal(from('127.0.0.31', d.port), 403, `${d.name}: the old address is gone`);
    }
    // by now both ds_dns_ttl=1 daemons re-resolved; the others still hold the hour-long answer
    for (const d of daemons.filter((x) => x.ttl === 0)) {
      assert.equal(from('127.0.0.31', d.port), 200, `${d.name} (ds_dns_ttl=0) keeps the cached address`);
      assert.equal(from('127.0.0.32', d.port), 403, `${d.name} (ds_dns_ttl=0) has not seen the new one`);
    }
  });
});
