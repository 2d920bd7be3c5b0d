/**
 * Turns a next-hop URI ($du, or the R-URI) into transport targets: IP literals at once,
 * host names through the daemon's resolver (RFC 3263: NAPTR, SRV, A/AAAA, cached with
 * their TTLs), transport from `;transport=` or the records, port from the URI or SRV.
 */
import { isIP } from 'node:net';
import { dnsResolver } from '../dns/resolver';
import { parseUri, uriTransport, bareHost } from '../sip/uri';
import type { Proto, Target } from '../transport/types';
import { DsdError } from '../core/errors';

/** A destination t_relay cannot use; `code` is the SIP status tm fails with (400, 416, 478, 503). */
export class TargetError extends DsdError<number> {
  constructor(
    readonly uri: string,
    code: number,
    reason: string,
  ) {
    super(code, `${uri}: ${reason}`);
  }
}

interface HopSpec {
  proto: Proto;
  host: string;
  port: number;
  /** As the URI gives them (RFC 3263 picks NAPTR/SRV when they are absent). */
  uriPort: number | null;
  uriProto: Proto | null;
  secure: boolean;
}

const KNOWN_PROTOS = new Map<string, Proto>(['udp', 'tcp', 'tls', 'ws', 'wss'].map((p) => [p, p as Proto]));

/** Parses the hop; throws TargetError (400/416) on an unusable URI. */
function hopOf(uri: string): HopSpec {
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
  } else {
    // the constants, not `t` itself (lower-cased from the URI): V8 compares them by address
    // and its optimised code expects them, so a `transport=UDP` hop would throw it away
    const p = t === null ? 'udp' : KNOWN_PROTOS.get(t);
    if (p === undefined) throw new TargetError(uri, 503, `transport ${t} not supported`);
    proto = p;
  }
  return {
    proto,
    host: bareHost(u.host),
    port: u.port ?? (proto === 'tls' || proto === 'wss' ? 5061 : 5060),
    uriPort: u.port ?? null,
    uriProto: t === null ? null : proto,
    secure: u.scheme === 'sips',
  };
}

/**
 * Hops that name an IP address, by URI: a dispatcher sends to a few URIs over and over,
 * and their answer never changes. Callers only read the targets. Bounded: cleared when full.
 */
const literalHops = new Map<string, Target[]>();
const MAX_LITERAL_HOPS = 4096;

/** Empties the hops' cache (the warm-up's own URIs, daemon/warmup.ts). */
export function forgetLiteralHops(): void {
  literalHops.clear();
}

/**
 * Every candidate target of the hop, best first (RFC 3263 through the daemon's one
 * resolver): synchronously for an IP literal, else a Promise. `allowed` are the
 * transports we have listen sockets for (NAPTR/SRV choices are limited to them).
 */
function resolveHop(uri: string, allowed: readonly Proto[] = ['udp', 'tcp', 'tls']): Target[] | Promise<Target[]> {
  const known = literalHops.get(uri);
  if (known !== undefined) return known;
  const hop = hopOf(uri);
  if (isIP(hop.host)) {
    const ts = [{ proto: hop.proto, ip: hop.host, port: hop.port }];
    if (literalHops.size >= MAX_LITERAL_HOPS) literalHops.clear();
    literalHops.set(uri, ts);
    return ts;
  }
  return dnsResolver()
    .locate(hop.host, hop.uriPort, hop.uriProto, hop.secure, allowed)
    .then(
      (cs) => cs.map((c) => ({ proto: c.proto, ip: c.ip, port: c.port })),
      (e) => {
        throw new TargetError(uri, 478, (e as Error).message);
      },
    );
}

/**
 * The candidates of every hop, in order; synchronously when every hop is an IP literal.
 * Throws (or rejects with) the first hop's TargetError.
 */
export function resolveHops(uris: readonly string[], allowed: readonly Proto[]): Target[][] | Promise<Target[][]> {
  const each = uris.map((u) => resolveHop(u, allowed));
  const known: Target[][] = [];
  for (const r of each) if (Array.isArray(r)) known.push(r);
  return known.length === each.length ? known : Promise.all(each);
}

/** The first candidate only (keepalives, stateless forwarding). */
export function resolveTarget(uri: string): Target | Promise<Target> {
  const first = (ts: readonly Target[]): Target => {
    const t = ts[0];
    if (t === undefined) throw new TargetError(uri, 478, 'no address');
    return t;
  };
  const r = resolveHop(uri);
  return Array.isArray(r) ? first(r) : r.then(first);
}
