/**
 * Turns a next-hop URI ($du, or the R-URI) into a transport target: IP literals at once,
 * host names through DNS (A/AAAA, cached), transport from `;transport=`, port defaulting
 * to 5060. Kamailio's full RFC 3263 NAPTR/SRV walk is not done here yet.
 */
import { isIP } from 'node:net';
import { promises as dns } from 'node:dns';
import { parseUri, uriTransport, bareHost } from '../sip/uri';
import type { Proto, Target } from '../transport/types';

export class TargetError extends Error {
  constructor(readonly uri: string, readonly code: number, reason: string) {
    super(`${uri}: ${reason}`);
    this.name = 'TargetError';
  }
}

interface CacheEntry { ip: string; until: number }
const cache = new Map<string, CacheEntry>();
const TTL_MS = 60_000;

export interface HopSpec { proto: Proto; host: string; port: number }

/** Parses the hop; throws TargetError (400/416) on an unusable URI. */
export function hopOf(uri: string): HopSpec {
  const u = parseUri(uri);
  if (!u) throw new TargetError(uri, 400, 'bad destination URI');
  if (u.scheme !== 'sip' && u.scheme !== 'sips') throw new TargetError(uri, 416, 'unsupported URI scheme');
  const t = uriTransport(u);
  // A sips: URI, or transport=tls, must never leave in clear text (RFC 3261 §19.1.2,
  // §26.2.2). Kamailio maps sips+tcp to TLS and refuses sips+udp; with no TLS socket its
  // t_relay fails ("no corresponding socket"). We refuse the same way, never downgrade.
  let proto: Proto;
  if (u.scheme === 'sips') {
    if (t === 'udp') throw new TargetError(uri, 416, 'sips URI with transport=udp');
    proto = t === 'ws' || t === 'wss' ? 'wss' : 'tls';
  } else if (t === null) proto = 'udp';
  else if (t === 'udp' || t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss') proto = t;
  else throw new TargetError(uri, 503, `transport ${t} not supported`);
  return { proto, host: bareHost(u.host), port: u.port ?? (proto === 'tls' || proto === 'wss' ? 5061 : 5060) };
}

/** Resolves synchronously when the host is an IP literal, else returns a Promise. */
export function resolveTarget(uri: string): Target | Promise<Target> {
  const hop = hopOf(uri);
  if (isIP(hop.host)) return { proto: hop.proto, ip: hop.host, port: hop.port };
  const key = hop.host.toLowerCase();
  const c = cache.get(key);
  if (c && c.until > Date.now()) return { proto: hop.proto, ip: c.ip, port: hop.port };
  return lookup(key, uri).then((ip) => ({ proto: hop.proto, ip, port: hop.port }));
}

async function lookup(host: string, uri: string): Promise<string> {
  try {
    const r = await Promise.race([
      dns.lookup(host),
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 3000).unref()),
    ]);
    cache.set(host, { ip: r.address, until: Date.now() + TTL_MS });
    return r.address;
  } catch (e) {
    throw new TargetError(uri, 478, `cannot resolve ${host}: ${(e as Error).message}`);
  }
}
