/**
 * Destinations given by name, resolved again after the load: every destination of a set
 * (ds_dns_mode & 2 before ds_is_from_list, & 4 on the ds_dns_interval timer), and the URI
 * ds_is_from_list(group, mode, uri) is asked about. A failed lookup keeps the old address.
 */
import { parseDestinationUri } from './destination-uri';
import { normalizeIp, unbracket } from './ip';
import type { DsResolver } from './list-builder';
import type { DsLogger } from './list-manager';
import type { DsList } from './model';
import type { DsSource } from './request';

/**
 * Re-resolves the named destinations of `group` (null: every set). With `srv`
 * (ds_dns_mode & 8) SRV/NAPTR as at load, port and proto following the answer, as
 * Kamailio's ds_dns_update_set does; A/AAAA otherwise.
 */
export async function refreshDns(
  list: DsList | null,
  resolver: DsResolver | null,
  group: number | null,
  now: () => number,
  log: DsLogger,
  srv = false,
): Promise<void> {
  if (list === null || resolver === null) return;
  const jobs: Promise<void>[] = [];
  const sip = srv && resolver.resolveSip ? resolver.resolveSip.bind(resolver) : null;
  for (const set of list.sets) {
    if (group !== null && set.id !== group) continue;
    for (const d of set.dests) {
      if (d.flags & 16 || d.host.length === 0 || normalizeIp(d.host) !== null) continue;
      const lookup = sip
        ? sip(d.host, d.port, d.proto)
        : resolver.resolveHost(unbracket(d.host)).then((a) => (a === null ? null : { address: a, port: 0, proto: 0 }));
      jobs.push(
        lookup
          .catch(() => null)
          .then((a) => {
            const ip = a === null ? null : normalizeIp(a.address);
            if (a === null || ip === null) {
              log('warn', `could not resolve ${d.host}`);
              return;
            }
            d.ipAddress = ip;
            if (a.port !== 0) d.port = a.port;
            if (a.proto !== 0) d.proto = a.proto;
            d.dnsTimeMs = now();
          }),
      );
    }
  }
  await Promise.all(jobs);
}

/**
 * The source a URI stands for in ds_is_from_list(group, mode, uri) (5.6: port from the
 * URI, 0 if none; proto from its transport parameter); null when it does not resolve.
 */
export async function uriSource(uri: string, resolver: DsResolver | null): Promise<DsSource | null> {
  const info = parseDestinationUri(uri);
  if ('error' in info || info.fixed) return null;
  let ip = normalizeIp(info.host);
  if (ip === null && resolver !== null) {
    const a = await resolver.resolveHost(unbracket(info.host)).catch(() => null);
    ip = a === null ? null : normalizeIp(a);
  }
  return ip === null ? null : { ip, port: info.port, proto: info.proto };
}
