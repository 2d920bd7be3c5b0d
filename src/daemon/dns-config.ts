/**
 * The cfg's dns_* core settings for the one DNS resolver (src/dns), in Kamailio's names and
 * units (seconds): use_dns_cache, dns_cache_min_ttl / dns_cache_max_ttl (bounds on a
 * record's TTL; ds_dns_ttl still overrides them for the dispatcher's lookups, as
 * dns_set_local_ttl() does), dns_cache_negative_ttl (0: a failed lookup is not
 * remembered), dns_retr_time (per-query timeout) and dns_retr_no (tries). Unset or
 * negative values keep the resolver's defaults, which are Kamailio's.
 */
import type { Globals } from '../script/globals';
import type { ResolverOptions } from '../dns/resolver';

export function dnsOptionsFrom(g: Globals): Partial<ResolverOptions> {
  const int = (name: string): number | undefined => {
    const v = g.other.get(name);
    const n = Number(v);
    return v !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  const out: Partial<ResolverOptions> = {};
  const cache = int('use_dns_cache');
  if (cache !== undefined) out.cache = cache !== 0;
  const minTtl = int('dns_cache_min_ttl');
  if (minTtl !== undefined) out.minTtl = minTtl;
  const maxTtl = int('dns_cache_max_ttl');
  if (maxTtl !== undefined) out.maxTtl = maxTtl;
  const negativeTtl = int('dns_cache_negative_ttl');
  if (negativeTtl !== undefined) out.negativeTtl = negativeTtl;
  // Kamailio applies the two to the stub resolver only when > 0 (resolv.c)
  const retrTime = int('dns_retr_time');
  if (retrTime) out.timeoutMs = retrTime * 1000;
  const retrNo = int('dns_retr_no');
  if (retrNo) out.tries = retrNo;
  return out;
}
