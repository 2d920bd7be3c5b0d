/**
 * The daemon's one DNS resolver (RFC 3263 for SIP next hops, A/AAAA for everything
 * else), with a TTL cache as Kamailio's dns_cache keeps one. node:dns (c-ares) does the
 * queries; the system's resolv.conf names the servers.
 *
 * Locating a SIP server (RFC 3263 §4): an IP literal is used as it is; a port in the URI
 * means A/AAAA only; a transport without a port means SRV (_sip._udp, _sip._tcp,
 * _sips._tcp) then A/AAAA; neither means NAPTR first (SIP+D2U, SIP+D2T, SIPS+D2T), then
 * SRV, then A/AAAA on the default port. SRV targets come in priority order, weighted
 * at random within a priority (RFC 2782); every address of every target is a candidate,
 * so a failed branch can go on to the next one.
 */
import { Resolver as CaresResolver, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DsdError } from '../core/errors';

export type HopProto = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface Candidate {
  readonly proto: HopProto;
  readonly ip: string;
  readonly port: number;
  /** The SRV target (or host) the address belongs to, for logs. */
  readonly via: string;
}

export interface ResolverOptions {
  /** Per query, ms (dns_retr_time). */
  timeoutMs: number;
  /** Tries per server before giving up (dns_retr_no). */
  tries: number;
  /** use_dns_cache: off = every lookup is a query (nothing is remembered). */
  cache: boolean;
  /** Lower and upper bounds on cached TTLs, s (dns_cache_min_ttl / dns_cache_max_ttl). */
  minTtl: number;
  maxTtl: number;
  /** How long a failed lookup is remembered, s (dns_cache_negative_ttl; 0 = not at all). */
  negativeTtl: number;
  /** TTL used for records the system resolver returns without one (SRV, NAPTR), s. */
  defaultTtl: number;
}

const RESOLVER_DEFAULTS: ResolverOptions = {
  timeoutMs: 3000,
  tries: 2,
  cache: true,
  // Kamailio's defaults (DEFAULT_DNS_CACHE_MIN_TTL, _MAX_TTL: no bound, _NEG_CACHE_TTL)
  minTtl: 0,
  maxTtl: 0xffffffff,
  negativeTtl: 60,
  defaultTtl: 60,
};

class DnsError extends DsdError {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super('DSD_ERR_DNS', `cannot resolve ${host}: ${message}`);
  }
}

interface Entry<T> {
  until: number;
  value: T | null;
  error?: string;
}

interface Srv {
  name: string;
  port: number;
  priority: number;
  weight: number;
}
interface Naptr {
  order: number;
  preference: number;
  service: string;
  replacement: string;
  flags: string;
}

const SRV_PREFIX: Record<'udp' | 'tcp' | 'tls', string> = { udp: '_sip._udp.', tcp: '_sip._tcp.', tls: '_sips._tcp.' };
const NAPTR_SERVICE: Record<string, 'udp' | 'tcp' | 'tls'> = { 'SIP+D2U': 'udp', 'SIP+D2T': 'tcp', 'SIPS+D2T': 'tls' };

/** RFC 2782 ordering: by priority; within one, weighted random without replacement. */
export function orderSrv<T extends { priority: number; weight: number }>(
  records: readonly T[],
  rnd: () => number = Math.random,
): T[] {
  const byPrio = new Map<number, T[]>();
  for (const r of records) {
    const same = byPrio.get(r.priority);
    if (same) same.push(r);
    else byPrio.set(r.priority, [r]);
  }
  const out: T[] = [];
  for (const [, same] of [...byPrio].sort(([a], [b]) => a - b)) {
    // zero weights first, as RFC 2782 asks, so they get a small chance
    const left = same.slice().sort((a, b) => a.weight - b.weight);
    while (left.length) {
      const total = left.reduce((n, r) => n + r.weight, 0);
      let pick = 0;
      if (total > 0) {
        const x = rnd() * total;
        let sum = 0;
        pick = left.length - 1;
        for (const [i, r] of left.entries()) {
          sum += r.weight;
          if (x < sum) {
            pick = i;
            break;
          }
        }
      }
      out.push(...left.splice(pick, 1));
    }
  }
  return out;
}

export class DnsResolver {
  private readonly r: CaresResolver;
  private readonly cache = new Map<string, Entry<unknown>>();
  /** Lookups made (not answered from the cache), for tests and stats. */
  queries = 0;

  readonly opts: ResolverOptions;

  constructor(opts: Partial<ResolverOptions> = {}, servers?: string[]) {
    this.opts = { ...RESOLVER_DEFAULTS, ...opts };
    this.r = new CaresResolver({ timeout: this.opts.timeoutMs, tries: this.opts.tries });
    if (servers?.length) this.r.setServers(servers);
  }

  private ttl(s: number): number {
    return Math.min(this.opts.maxTtl, Math.max(this.opts.minTtl, s)) * 1000;
  }

  /** Kamailio keeps no negative entry when dns_cache_negative_ttl is 0; the bounds do not apply to it. */
  private negativeMs(): number {
    return this.opts.negativeTtl * 1000;
  }

  private remember(key: string, value: unknown, ms: number): void {
    if (this.opts.cache && ms > 0) this.cache.set(key, { until: Date.now() + ms, value });
  }

  /**
   * A cached answer, or a query. `localTtl` > 0 (s) replaces the TTL of a positive answer
   * stored now, bounds and all, as Kamailio's dns_set_local_ttl() does for the
   * dispatcher's lookups (ds_dns_ttl); an answer already cached is used as it is.
   */
  private async cached<T>(
    key: string,
    f: () => Promise<{ value: T | null; ttl: number }>,
    localTtl = 0,
  ): Promise<T | null> {
    const c = this.cache.get(key) as Entry<T> | undefined;
    if (c && c.until > Date.now()) return c.value;
    this.queries++;
    try {
      const { value, ttl } = await f();
      if (value === null) this.remember(key, null, this.negativeMs());
      else this.remember(key, value, localTtl > 0 ? localTtl * 1000 : this.ttl(ttl));
      return value;
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      // "no such name / no data" is an answer (cached as negative); a timeout is not
      if (code === 'ENOTFOUND' || code === 'ENODATA') {
        this.remember(key, null, this.negativeMs());
        return null;
      }
      throw new DnsError(key.slice(key.indexOf(':') + 1), `${code || (e as Error).message}`);
    }
  }

  /**
   * A then AAAA addresses of `host` (IP literals as they are); [] when there are none.
   * `localTtl`: see cached().
   */
  async addresses(host: string, localTtl = 0): Promise<string[]> {
    if (isIP(host)) return [host];
    const h = host.toLowerCase();
    let err: unknown = null;
    const v4 = await this.cached(
      `a:${h}`,
      async () => {
        const rs = await this.r.resolve4(h, { ttl: true });
        return { value: rs.map((x) => x.address), ttl: Math.min(...rs.map((x) => x.ttl)) };
      },
      localTtl,
    ).catch((e) => {
      err = e;
      return null;
    });
    if (v4 && v4.length) return v4;
    const v6 = await this.cached(
      `aaaa:${h}`,
      async () => {
        const rs = await this.r.resolve6(h, { ttl: true });
        return { value: rs.map((x) => x.address), ttl: Math.min(...rs.map((x) => x.ttl)) };
      },
      localTtl,
    ).catch((e) => {
      err ??= e;
      return null;
    });
    if (v6 && v6.length) return v6;
    // names DNS does not know may still be in /etc/hosts (localhost, …), as for Kamailio
    const sys = await this.cached(
      `hosts:${h}`,
      async () => {
        const rs = await lookup(h, { all: true });
        return { value: rs.map((x) => x.address), ttl: this.opts.defaultTtl };
      },
      localTtl,
    ).catch(() => null);
    if (sys && sys.length) return sys;
    if (err) throw err;
    return [];
  }

  /** First address of `host`, or null (the dispatcher's host lookups). */
  async address(host: string, localTtl = 0): Promise<string | null> {
    try {
      return (await this.addresses(host, localTtl))[0] ?? null;
    } catch {
      return null;
    }
  }

  private srv(name: string, localTtl: number): Promise<Srv[] | null> {
    return this.cached(
      `srv:${name.toLowerCase()}`,
      async () => {
        const rs = await this.r.resolveSrv(name);
        return { value: rs.length ? rs : null, ttl: this.opts.defaultTtl };
      },
      localTtl,
    );
  }

  private naptr(name: string, localTtl: number): Promise<Naptr[] | null> {
    return this.cached(
      `naptr:${name.toLowerCase()}`,
      async () => {
        const rs = await this.r.resolveNaptr(name);
        return { value: rs.length ? rs : null, ttl: this.opts.defaultTtl };
      },
      localTtl,
    );
  }

  private async fromSrv(records: Srv[], proto: HopProto, localTtl: number): Promise<Candidate[]> {
    const out: Candidate[] = [];
    for (const s of orderSrv(records)) {
      let ips: string[] = [];
      try {
        ips = await this.addresses(s.name, localTtl);
      } catch {
        /* the next target may do */
      }
      for (const ip of ips) out.push({ proto, ip, port: s.port, via: `${s.name}:${s.port}` });
    }
    return out;
  }

  /**
   * RFC 3263 candidates for a SIP URI's host part. `proto` is the transport the URI asks
   * for (null = none given), `secure` true for sips:. Throws DnsError when nothing resolves.
   */
  async locate(
    host: string,
    port: number | null,
    proto: HopProto | null,
    secure: boolean,
    allowed: readonly HopProto[],
    localTtl = 0,
  ): Promise<Candidate[]> {
    const dflt: HopProto = proto ?? (secure ? 'tls' : 'udp');
    const dport = (p: HopProto): number => (p === 'tls' || p === 'wss' ? 5061 : 5060);
    if (isIP(host)) return [{ proto: dflt, ip: host, port: port ?? dport(dflt), via: host }];
    if (port === null && proto !== 'ws' && proto !== 'wss') {
      const tries: Array<'udp' | 'tcp' | 'tls'> = [];
      if (proto === null) {
        const naptr = await this.naptr(host, localTtl).catch(() => null);
        if (naptr) {
          const usable = naptr
            .filter((n) => n.flags.toLowerCase() === 's')
            .map((n) => ({ n, proto: NAPTR_SERVICE[n.service.toUpperCase()] }))
            .filter((u): u is { n: typeof u.n; proto: 'udp' | 'tcp' | 'tls' } => u.proto !== undefined)
            .filter((u) => (!secure || u.proto === 'tls') && allowed.includes(u.proto))
            .sort((a, b) => a.n.order - b.n.order || a.n.preference - b.n.preference);
          for (const { n, proto: p } of usable) {
            const recs = await this.srv(n.replacement, localTtl).catch(() => null);
            if (!recs) continue;
            const c = await this.fromSrv(recs, p, localTtl);
            if (c.length) return c;
          }
        }
        tries.push(
          ...(secure ? ['tls' as const] : (['udp', 'tcp', 'tls'] as const).filter((p) => allowed.includes(p))),
        );
      } else if (proto === 'udp' || proto === 'tcp' || proto === 'tls')
        tries.push(secure && proto === 'tcp' ? 'tls' : proto);
      for (const p of tries) {
        const recs = await this.srv(SRV_PREFIX[p] + host, localTtl).catch(() => null);
        if (!recs) continue;
        const c = await this.fromSrv(recs, p, localTtl);
        if (c.length) return c;
      }
    }
    const ips = await this.addresses(host, localTtl);
    if (!ips.length) throw new DnsError(host, 'no NAPTR, SRV or A/AAAA records');
    return ips.map((ip) => ({ proto: dflt, ip, port: port ?? dport(dflt), via: host }));
  }

  /** Forget everything cached (tests, ds_dns refresh). */
  flush(): void {
    this.cache.clear();
  }
}

/** The daemon's resolver: one for the proxy, the dispatcher and keepalives. */
let shared: DnsResolver | null = null;

export function dnsResolver(): DnsResolver {
  return (shared ??= new DnsResolver());
}

/**
 * The cfg's dns_* core settings (daemon/dns-config.ts) for the daemon's resolver: a new
 * one replaces it, with an empty cache. Called once at start, before anything resolves.
 */
export function configureDnsResolver(opts: Partial<ResolverOptions>): DnsResolver {
  shared = new DnsResolver(opts);
  return shared;
}
