/** Weight (alg 9) and relative weight (alg 11): walk the shuffled 100-slot tables. */

import { DsSet } from '../model';

export function weightTake(set: DsSet): number {
  const h = set.wlist[set.wlast] ?? 0;
  set.wlast = (set.wlast + 1) % 100;
  return h;
}

export function relWeightTake(set: DsSet): number {
  const h = set.rwlist[set.rwlast] ?? 0;
  set.rwlast = (set.rwlast + 1) % 100;
  return h;
}
