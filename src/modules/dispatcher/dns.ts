/**
 * The dispatcher's DNS through the daemon's one resolver (src/dns): A/AAAA for
 * resolvehost, RFC 3263 for sip_resolvehost (ds_dns_mode & 8), with Kamailio's protocol
 * numbers. Answers are cached with the records' TTLs, or, when ds_dns_ttl > 0, for
 * ds_dns_ttl seconds (Kamailio: dns_set_local_ttl(ds_dns_ttl) around its lookups) — so
 * with ds_dns_mode 4 (timer) or 2 (always) a changed record is seen within ds_dns_ttl.
 */
import { dnsResolver, type HopProto } from '../../dns/resolver';
import type { DsResolver } from './list-builder';
import { PROTO_TCP, PROTO_TLS, PROTO_UDP, PROTO_WS, PROTO_WSS } from './model';

const TO_PROTO: Record<number, HopProto | null> = {
  0: null,
  [PROTO_UDP]: 'udp',
  [PROTO_TCP]: 'tcp',
  [PROTO_TLS]: 'tls',
  [PROTO_WS]: 'ws',
  [PROTO_WSS]: 'wss',
};
const FROM_PROTO: Record<HopProto, number> = {
  udp: PROTO_UDP,
  tcp: PROTO_TCP,
  tls: PROTO_TLS,
  ws: PROTO_WS,
  wss: PROTO_WSS,
};

export function dispatcherDns(allowed: () => readonly HopProto[], dnsTtl: () => number): DsResolver {
  return {
    resolveHost: (host) => dnsResolver().address(host, dnsTtl()),
    async resolveSip(host, port, proto) {
      try {
        const c = await dnsResolver().locate(
          host.replace(/^\[|\]$/g, ''),
          port || null,
          TO_PROTO[proto] ?? null,
          proto === PROTO_TLS,
          allowed(),
          dnsTtl(),
        );
        const first = c[0];
        return first ? { address: first.ip, port: first.port, proto: FROM_PROTO[first.proto] } : null;
      } catch {
        return null;
      }
    },
  };
}
