/**
 * Latency-optimized round robin (alg 13). Starting at `last`, every entry gets an adjusted
 * priority: rprio = prio − floor(lat / prio) (at least 1) when lat > prio > 0, where lat is
 * int(EST), or int(EST − AVG) with cc; skipped entries get −1. A stable bubble sort orders
 * them by rprio descending; the first is chosen, the rest are the failover records in
 * that order. With use_default the walk cycles over nr−1 entries, so one entry is visited
 * twice (and may be listed twice) — Kamailio's behaviour, kept.
 */

import { isSkipped } from '../flags';
import { DsSet } from '../model';

interface SortedEntry {
  /** Array index, or −1 for a skipped entry. */
  readonly idx: number;
  readonly prio: number;
  readonly flags: number;
}

export interface LatencyRrPick {
  /** Chosen index; −1 when the best entry is skipped (the select fails). */
  readonly hash: number;
  readonly sorted: readonly SortedEntry[];
}

export function latencyRrPick(
  set: DsSet,
  useDefault: boolean,
  held: ((i: number) => boolean) | null = null,
): LatencyRrPick {
  const nr = set.dests.length;
  const cycle = useDefault && nr !== 1 ? nr - 1 : nr;
  const sorted: { idx: number; prio: number; flags: number }[] = new Array(nr);
  let z = set.last;
  for (let y = 0; y < nr; y++) {
    const d = set.dests[z]!; // z stays below cycle <= nr
    const prio = d.priority;
    const lat = d.attrs.cc ? Math.trunc(Math.fround(d.latency.est - d.latency.avg)) : Math.trunc(d.latency.est);
    if (!isSkipped(d.flags) && (held === null || !held(z))) {
      let handicap = 0;
      if (lat > prio && prio > 0) handicap = Math.trunc(lat / prio);
      let rprio = prio - handicap;
      if (rprio < 1 && prio > 0) rprio = 1;
      sorted[y] = { idx: z, prio: rprio, flags: d.flags };
    } else {
      sorted[y] = { idx: -1, prio: -1, flags: d.flags };
    }
    z = (z + 1) % cycle;
  }
  // ds_sorted_by_priority(): nr passes of adjacent swaps, stable, descending.
  for (let i = 0; i < nr; i++) {
    for (let ii = 1; ii < nr; ii++) {
      const a = sorted[ii - 1]!;
      const b = sorted[ii]!;
      if (a.prio < b.prio) {
        sorted[ii] = a;
        sorted[ii - 1] = b;
      }
    }
  }
  const hash = sorted[0]?.idx ?? set.last;
  set.last = (((hash + 1) % nr) + nr) % nr;
  return { hash, sorted };
}
