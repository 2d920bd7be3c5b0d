/**
 * Hash-based picks: 0 Call-ID, 1 From URI, 2 To URI, 3 R-URI, 5 auth username,
 * 7 hash_pvar value. Each yields the unsigned 32-bit hash (later taken modulo the set
 * size) or null when Kamailio would fail the select.
 */

import { dsHash, hashUri, trimWs } from '../hash';
import { DsRequestView } from '../request';

/** alg 0: the trimmed Call-ID. */
export function hashCallId(req: DsRequestView): number | null {
  return req.callId === null ? null : dsHash(trimWs(req.callId));
}

/** algs 1/2/3: user + host[:port]; `userOnly` is modparam flags & 1. */
export function hashUriOf(uri: string | null, userOnly: boolean): number | null {
  return uri === null ? null : hashUri(uri, userOnly);
}

/**
 * alg 5: the digest username (user part, trimmed). `undefined` means "no credentials":
 * the caller falls back to round robin.
 */
export function hashAuthUser(req: DsRequestView): number | undefined {
  if (req.authUsername === null) return undefined;
  const u = trimWs(req.authUsername);
  if (req.authUsername.length === 0) return undefined;
  return dsHash(u);
}

/** alg 7: the trimmed hash_pvar value; empty or unset fails. */
export function hashPvar(req: DsRequestView): number | null {
  if (req.hashPvarValue === null) return null;
  const v = trimWs(req.hashPvarValue);
  return v.length === 0 ? null : dsHash(v);
}
