/**
 * Best final reply among a transaction's branches (RFC 3261 §16.7 step 6): a 6xx wins,
 * then the lowest class; within a class the lowest code. A reply received beats a local
 * timeout (408) of the same class.
 */
export interface BranchOutcome {
  readonly status: number;
  readonly local: boolean;
}

function rank(o: BranchOutcome): number {
  const cls = Math.floor(o.status / 100);
  const classRank = cls === 6 ? 0 : cls === 2 ? -1 : cls;
  return classRank * 10000 + (o.local ? 1000 : 0) + o.status;
}

/** Index of the best outcome, or -1 when there is none. */
export function pickBest(outcomes: readonly (BranchOutcome | null)[]): number {
  let best = -1;
  let bestRank = Infinity;
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i];
    if (!o) continue;
    const r = rank(o);
    if (r < bestRank) {
      bestRank = r;
      best = i;
    }
  }
  return best;
}
