/**
 * Round robin (alg 4, alg 5 without credentials, alg 64): take `last`, advance it. After
 * the skip loop the pipeline moves `last` past the entry actually chosen (if nobody moved
 * it meanwhile), so inactive entries are not consumed twice.
 */

import { DsSet } from '../model';

export interface RrTake {
  readonly hash: number;
  /** `last` right after the take; the pipeline compares it before moving `last`. */
  readonly vlast: number;
}

export function rrTake(set: DsSet): RrTake {
  const hash = set.last;
  set.last = (set.last + 1) % set.dests.length;
  return { hash, vlast: set.last };
}

/** Moves `last` after the chosen entry unless another select advanced it meanwhile. */
export function rrCommit(set: DsSet, take: RrTake, chosen: number): void {
  if (take.vlast === set.last) set.last = (chosen + 1) % set.dests.length;
}
