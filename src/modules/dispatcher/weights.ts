/**
 * The 100-slot distribution tables of algs 9 (weight) and 11 (relative weight), built
 * exactly as Kamailio builds them, then Fisher–Yates shuffled with the injected RNG.
 */

import { isSkipped } from './flags';
import { DsSet, Destination } from './model';
import { DsRng } from './rng';

/** shuffle_uint100array(): k = j + rand % (100 - j). */
export function shuffle100(arr: Uint16Array | Uint8Array, rng: DsRng): void {
  for (let j = 0; j < 100; j++) {
    const k = j + (rng() % (100 - j));
    const t = arr[j]!;
    arr[j] = arr[k]!;
    arr[k] = t;
  }
}

/**
 * dp_init_weights(): only when the FIRST array entry has a weight; each entry j gets
 * `weight_j` slots in array order, anything beyond 100 slots is dropped, and a shortfall
 * goes to the LAST entry (nr-1). Left all zeros (= always index 0) otherwise.
 */
export function initWeights(dests: readonly Destination[], wlist: Uint16Array, rng: DsRng): void {
  if (!dests[0]?.attrs.weight) return;
  let t = 0;
  fill: for (const [j, d] of dests.entries()) {
    for (let k = 0; k < d.attrs.weight; k++) {
      if (t >= 100) break fill;
      wlist[t++] = j;
    }
  }
  for (; t < 100; t++) wlist[t] = dests.length - 1;
  shuffle100(wlist, rng);
}

/**
 * dp_init_relative_weights(): from the non-skipped entries only; slice_j =
 * floor(rweight_j * 100 / sum); the truncation remainder goes to the last index written
 * (or nr-1). Needs nr >= 2; a zero sum keeps the previous table. rwlast is not reset.
 * Returns whether the table was rebuilt.
 */
export function initRelativeWeights(set: DsSet, rng: DsRng): boolean {
  const dests = set.dests;
  const nr = dests.length;
  if (nr < 2) return false;
  let sum = 0;
  for (const d of dests) if (!isSkipped(d.flags)) sum += d.attrs.rweight;
  if (sum === 0) return false;
  const rw = set.rwlist;
  let t = 0;
  for (const [j, d] of dests.entries()) {
    if (isSkipped(d.flags)) continue;
    // C int arithmetic: the product cannot overflow for rweight <= 100, but cc can set
    // larger values; keep it integral and truncating.
    const slice = Math.trunc((d.attrs.rweight * 100) / sum);
    for (let k = 0; k < slice && t < 100; k++) rw[t++] = j;
  }
  const lastInsert = rw[t - 1] ?? nr - 1;
  for (let j = t; j < 100; j++) rw[j] = lastInsert;
  shuffle100(rw, rng);
  return true;
}

/** ds_reinit_rweight_on_state_change(): rebuild when a skip/non-skip boundary is crossed. */
export function rweightOnStateChange(set: DsSet, oldFlags: number, newFlags: number, rng: DsRng): void {
  if (isSkipped(oldFlags) !== isSkipped(newFlags)) initRelativeWeights(set, rng);
}
