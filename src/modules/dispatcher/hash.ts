/**
 * ds_get_hash(): the dispatcher's own copy of core get_hash2_raw, used by the hash
 * algorithms (0, 1, 2, 3, 5, 7) and the dispatcher.hash RPC.
 *
 * Kamailio reads the key through a plain `char *`, which is signed on x86/amd64, so bytes
 * >= 0x80 are sign-extended before the shifts and adds. We reproduce that (the golden
 * vectors include non-ASCII keys); for ASCII keys it equals core get_hash2_raw.
 */

import { SipUri, parseUri } from '../../sip/uri';

const enc = new TextEncoder();

/** Key bytes as Kamailio sees them: UTF-8 for strings. */
function keyBytes(s: string): Uint8Array {
  return enc.encode(s);
}

function sc(b: number): number {
  return (b << 24) >> 24; // sign-extend a byte like a signed char
}

function mixKey(h: number, k: Uint8Array): number {
  const len = k.length;
  let p = 0;
  let v: number;
  for (; p + 4 <= len; p += 4) {
    v = ((sc(k[p]!) << 24) + (sc(k[p + 1]!) << 16) + (sc(k[p + 2]!) << 8) + sc(k[p + 3]!)) >>> 0;
    h = (h + ((v ^ (v >>> 3)) >>> 0)) >>> 0;
  }
  v = 0;
  for (; p < len; p++) v = ((v << 8) + sc(k[p]!)) >>> 0;
  return (h + ((v ^ (v >>> 3)) >>> 0)) >>> 0;
}

/**
 * Hash of one or two keys (null = absent; an absent key and an empty key give the same
 * result). Always returns a non-zero unsigned 32-bit value.
 */
export function dsHash(k1: Uint8Array | string | null, k2: Uint8Array | string | null = null): number {
  let h = 0;
  if (k1 !== null) h = mixKey(h, typeof k1 === 'string' ? keyBytes(k1) : k1);
  if (k2 !== null) h = mixKey(h, typeof k2 === 'string' ? keyBytes(k2) : k2);
  h = (h + (h >>> 11) + (h >>> 13) + (h >>> 23)) >>> 0;
  return h === 0 ? 1 : h;
}

/** Kamailio's trim(): spaces, tabs, CR and LF at both ends. */
export function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/**
 * Hash keys of a URI for algs 1/2/3 (get_uri_hash_keys): k1 = user (may be empty),
 * k2 = host, or the literal `host:port` text when the URI carries a port other than the
 * scheme default; with `userOnly` (modparam flags & 1) k2 is absent. Null when the URI
 * does not parse or has no host (Kamailio then fails the select).
 */
export function uriHashKeys(uriText: string, userOnly: boolean): { k1: string; k2: string | null } | null {
  const uri: SipUri | null = parseUri(trimWs(uriText));
  if (uri === null || uri.host.length === 0) return null;
  if (userOnly) return { k1: uri.user, k2: null };
  const defPort = uri.scheme === 'sips' ? 5061 : 5060;
  const k2 = uri.port !== null && uri.port !== defPort ? uri.hostport : uri.host;
  return { k1: uri.user, k2 };
}

/** Hash of a URI per algs 1/2/3, or null when the URI is unusable. */
export function hashUri(uriText: string, userOnly: boolean): number | null {
  const k = uriHashKeys(uriText, userOnly);
  return k === null ? null : dsHash(k.k1, k.k2);
}
