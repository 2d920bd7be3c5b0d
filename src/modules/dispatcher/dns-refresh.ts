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

/** Re-resolves the named destinations of `group` (null: every set). */
export async function refreshDns(
  list: DsList | null,
  resolver: DsResolver | null,
  group: number | null,
  now: () => number,
  log: DsLogger,
): Promise<void> {
  if (list === null || resolver === null) return;
  const jobs: Promise<void>[] = [];
  for (const set of list.sets) {
    if (group !== null && set.id !== group) continue;
    for (const d of set.dests) {
      if (d.flags & 16 || d.host.length === 0 || normalizeIp(d.host) !== null) continue;
      jobs.push(
        resolver
          .resolveHost(unbracket(d.host))
          .catch(() => null)
          .then((a) => {
            const ip = a === null ? null : normalizeIp(a);
            if (ip === null) {
              log('warn', `could not resolve ${d.host}`);
              return;
            }
            d.ipAddress = ip;
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
