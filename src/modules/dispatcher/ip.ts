/**
 * IP address text helpers: literal detection and one canonical spelling (IPv4 dotted
 * quad, IPv6 as inet_ntop prints it — Kamailio's default ipv6_hex_style "c"), so that
 * addresses from URIs, DNS answers and sockets compare as ip_addr_cmp() would.
 */

import { isIP } from 'node:net';

/** Strips IPv6 reference brackets. */
export function unbracket(host: string): string {
  return host.length > 1 && host.charCodeAt(0) === 91 && host.charCodeAt(host.length - 1) === 93
    ? host.slice(1, -1)
    : host;
}

/** 4 or 6 when `host` (brackets allowed) is an IP literal, else 0. */
export function ipFamily(host: string): 0 | 4 | 6 {
  return isIP(unbracket(host)) as 0 | 4 | 6;
}

/**
 * Canonical text of an address, or null if it is not an IP literal. IPv4-mapped IPv6
 * (what a dual-stack socket reports for IPv4 peers) becomes plain IPv4.
 */
export function normalizeIp(text: string): string | null {
  const t = unbracket(text);
  const fam = isIP(t);
  if (fam === 4)
    return t
      .split('.')
      .map((o) => String(parseInt(o, 10)))
      .join('.');
  if (fam !== 6) return null;
  const words = ipv6Words(t);
  if (words === null) return null;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0 && words[4] === 0 && words[5] === 0xffff) {
    return `${words[6] >> 8}.${words[6] & 255}.${words[7] >> 8}.${words[7] & 255}`;
  }
  return formatIpv6(words);
}

/** The eight 16-bit words of an IPv6 address. */
type Words = [number, number, number, number, number, number, number, number];

function ipv6Words(t: string): Words | null {
  let s = t;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  let tail: [number, number] | null = null;
  const lastColon = s.lastIndexOf(':');
  const lastPart = s.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = lastPart.split('.').map((x) => parseInt(x, 10));
    tail = [(a << 8) | b, (c << 8) | d];
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = s.indexOf('::');
  let head: string[];
  let rest: string[] = [];
  if (dbl >= 0) {
    head = s
      .slice(0, dbl)
      .split(':')
      .filter((x) => x.length > 0);
    rest = s
      .slice(dbl + 2)
      .split(':')
      .filter((x) => x.length > 0);
  } else {
    head = s.split(':');
  }
  const fill = 8 - head.length - rest.length;
  if (fill < 0) return null;
  const parts = [...head, ...Array<string>(dbl >= 0 ? fill : 0).fill('0'), ...rest];
  if (parts.length !== 8) return null;
  const words = parts.map((x) => parseInt(x, 16)) as Words; // eight parts, checked above
  if (tail !== null) [words[6], words[7]] = tail;
  return words;
}

/** inet_ntop(AF_INET6): longest run (>= 2) of zero words compressed, lower-case hex. */
function formatIpv6(w: Words): string {
  let bestStart = -1,
    bestLen = 0,
    curStart = -1,
    curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curStart < 0) {
        curStart = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestStart = curStart;
        bestLen = curLen;
      }
    } else curStart = -1;
  }
  if (bestLen < 2) bestStart = -1;
  // inet_ntop prints ::ffff:a.b.c.d and ::a.b.c.d specially; normalizeIp() already maps
  // the former to IPv4, the latter is deprecated and printed in hex here.
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += (w[i] ?? 0).toString(16);
  }
  return out;
}
