/**
 * The core's dns_cache_max_ttl and dns_cache_min_ttl reach the one DNS resolver: dsd beside
 * Kamailio 5.6 on the same cfg, each in a network namespace with dnsmasq
 * (test/helpers/dns-netns.ts). The destination `sip:dyn.test:5080` is an A record that
 * ds_dns_mode 4 re-resolves every second (ds_dns_interval 1, ds_dns_ttl 0, so the cache's
 * bounds decide, as in Kamailio's FIX_TTL); the record is re-pointed from 127.0.0.31 to
 * 127.0.0.32 and each daemon answers 200 to a source in its list, 403 otherwise.
 *
 *   record TTL an hour, dns_cache_max_ttl=1:   the new address is picked up, while a dsd
 *                                              without the bound keeps the old one;
 *   record TTL 1 s, dns_cache_min_ttl=3600:    the old address stays, while a dsd without
 *                                              the bound picks the new one up.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd } from '../helpers/daemon';
import { startKamailio } from '../helpers/kamailio';
import { startDnsNetns, dnsNetnsSkip, DnsNetns, dnsDispatcherCfg } from '../helpers/dns-netns';
import { needs } from '../helpers/require';
import { waitUntil } from '../helpers/wait';

const skip = dnsNetnsSkip || needs('kamailio');

const cfg = (port: number, core: string): string => dnsDispatcherCfg(port, { core });

const LIST = '1 sip:dyn.test:5080 0 0\n';
const OLD = '127.0.0.31';
const NEW = '127.0.0.32';

interface Daemon {
  readonly name: string;
  readonly port: number;
  /** Runs the cfg line under test (false: the control, without it). */
  readonly bounded: boolean;
  stop(): Promise<void>;
}

/** dsd and Kamailio with `core`, and a dsd without it, in one namespace. */
async function startThree(dns: DnsNetns, core: string, into: Daemon[]): Promise<void> {
  const d = await startDsd({ cfg: cfg(5060, core), list: LIST, wrap: dns.wrap });
  into.push({ name: `dsd (${core})`, port: 5060, bounded: true, stop: async () => void (await d.stop()) });
  const k = await startKamailio({ cfg: cfg(5062, core), list: LIST, wrap: dns.wrap });
  into.push({ name: `Kamailio (${core})`, port: 5062, bounded: true, stop: () => k.stop() });
  const c = await startDsd({ cfg: cfg(5064, ''), list: LIST, wrap: dns.wrap });
  into.push({ name: 'dsd (no bound)', port: 5064, bounded: false, stop: async () => void (await c.stop()) });
}

const sees = (dns: DnsNetns, d: Daemon, addr: string): boolean => dns.options(addr, d.port) === 200;

async function waitFor(dns: DnsNetns, d: Daemon, addr: string, what: string): Promise<void> {
  await waitUntil(() => sees(dns, d, addr), { what: `${d.name} ${what}`, timeoutMs: 60_000, everyMs: 500 });
}

describe(
  'dns_cache_max_ttl / dns_cache_min_ttl, dsd and Kamailio 5.6 (dnsmasq in a network namespace)',
  { skip },
  () => {
    let longTtl: DnsNetns | null = null;
    let shortTtl: DnsNetns | null = null;
    const capped: Daemon[] = [];
    const floored: Daemon[] = [];

    before(async () => {
      longTtl = await startDnsNetns({ hosts: `${OLD} dyn.test\n`, localTtl: 3600 });
      await startThree(longTtl, 'dns_cache_max_ttl=1', capped);
      shortTtl = await startDnsNetns({ hosts: `${OLD} dyn.test\n`, localTtl: 1 });
      await startThree(shortTtl, 'dns_cache_min_ttl=3600', floored);
    });

    after(async () => {
      for (const d of [...capped, ...floored]) await d.stop().catch(() => undefined);
      await longTtl?.stop();
      await shortTtl?.stop();
    });

    it('all six hold the first address', async () => {
      for (const [dns, list] of [
        [longTtl!, capped],
        [shortTtl!, floored],
      ] as const) {
        for (const d of list) {
          await waitFor(dns, d, OLD, `to match ${OLD}`);
          assert.equal(dns.options(NEW, d.port), 403, `${d.name}: ${NEW} is not dyn.test yet`);
        }
      }
    });

    it('dns_cache_max_ttl=1 cuts an hour-long record short; without it the hour stands', async () => {
      const dns = longTtl!;
      dns.setHosts(`${NEW} dyn.test\n`);
      for (const d of capped.filter((x) => x.bounded)) {
        await waitFor(dns, d, NEW, 'to pick the re-pointed record up');
        assert.equal(dns.options(OLD, d.port), 403, `${d.name}: the old address is gone`);
      }
      // by now both bounded daemons re-resolved (about a second each); the control holds the hour
      const control = capped.find((x) => !x.bounded)!;
      assert.equal(sees(dns, control, OLD), true, `${control.name} keeps the cached address`);
      assert.equal(sees(dns, control, NEW), false, `${control.name} has not seen the new one`);
    });

    it('dns_cache_min_ttl=3600 holds a 1 s record for an hour; without it the new address comes in', async () => {
      const dns = shortTtl!;
      dns.setHosts(`${NEW} dyn.test\n`);
      const control = floored.find((x) => !x.bounded)!;
      await waitFor(dns, control, NEW, 'to pick the re-pointed record up');
      assert.equal(dns.options(OLD, control.port), 403, `${control.name}: the old address is gone`);
      // the bounded ones re-resolve on the same 1 s timer as the control, so they have queried by now
      for (const d of floored.filter((x) => x.bounded)) {
        assert.equal(sees(dns, d, OLD), true, `${d.name} keeps the cached address`);
        assert.equal(sees(dns, d, NEW), false, `${d.name} has not seen the new one`);
      }
    });
  },
);
