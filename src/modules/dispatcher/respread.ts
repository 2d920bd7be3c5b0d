/**
 * ds_hash_respread (dsd extension, off by default): when a hash algorithm lands on a
 * skipped destination, Kamailio walks to the next array entry, so a dead destination's
 * whole share lands on one neighbour (kamailio#2361). With respread the share is spread
 * over all live destinations by rendezvous (highest-random-weight) hashing on the
 * request hash and each destination's URI. Calls that hash to a live destination keep
 * it, and the choice does not depend on array order, so reloads do not reshuffle it.
 */

import { dsHash } from './hash';
import { isSkipped } from './flags';
import { DsSet } from './model';

/** murmur3 fmix32: spreads the combined bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const uriHashCache = new WeakMap<object, number>();

function uriHash(d: { readonly uri: string }): number {
  let h = uriHashCache.get(d);
  if (h === undefined) {
    h = dsHash(d.uri.toLowerCase());
    uriHashCache.set(d, h);
  }
  return h;
}

/** Rendezvous score of destination `d` for a request hash. */
function rendezvousScore(hash: number, d: { readonly uri: string }): number {
  return fmix32((hash ^ Math.imul(uriHash(d), 0x9e3779b1)) >>> 0);
}

/**
 * Live indexes among the first `n` entries ordered by descending score (ties: lower
 * index first). The first one replaces a skipped hash pick.
 */
export function rendezvousOrder(set: DsSet, hash: number, n: number, exclude = -1): number[] {
  const cand: { i: number; s: number }[] = [];
  for (let i = 0; i < n; i++) {
    const d = set.dests[i];
    if (d === undefined || i === exclude || isSkipped(d.flags)) continue;
    cand.push({ i, s: rendezvousScore(hash, d) });
  }
  cand.sort((a, b) => b.s - a.s || a.i - b.i);
  return cand.map((c) => c.i);
}
