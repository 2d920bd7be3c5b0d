/**
 * The dispatcher's DNS through the daemon's one resolver (src/dns): A/AAAA for
 * resolvehost, RFC 3263 for sip_resolvehost (ds_dns_mode & 8), with Kamailio's protocol
 * numbers. Cached with the records' TTLs; ds_dns_ttl > 0 caps how long an answer is used.
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

export function dispatcherDns(allowed: () => readonly HopProto[]): DsResolver {
  return {
    resolveHost: (host) => dnsResolver().address(host),
    async resolveSip(host, port, proto) {
      try {
        const c = await dnsResolver().locate(
          host.replace(/^\[|\]$/g, ''),
          port || null,
          TO_PROTO[proto] ?? null,
          proto === PROTO_TLS,
          allowed(),
        );
        const first = c[0];
        return first ? { address: first.ip, port: first.port, proto: FROM_PROTO[first.proto] } : null;
      } catch {
        return null;
      }
    },
  };
}
