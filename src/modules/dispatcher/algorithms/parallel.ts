/**
 * Parallel forking (alg 12): after the first entry is pushed, every later entry becomes a
 * branch, without a state check. In d-uri mode a branch is R-URI + dst URI; in R-URI
 * mode it is the destination scheme + the R-URI user + the destination without scheme
 * (non-sip/sips destinations skipped); with no R-URI user the branch is the destination
 * URI. In xavp mode the branches start at the chosen entry itself.
 */

import { parseUri } from '../../../sip/uri';
import { DsSet, DsSocketRef } from '../model';

export interface DsBranch {
  /** Request-URI of the branch. */
  readonly ruri: string;
  /** Destination URI ($du) of the branch, or null. */
  readonly dstUri: string | null;
  readonly sock: DsSocketRef | null;
}

export type BranchMode = 'dst' | 'domain' | 'xavp';

/** Null when the R-URI cannot be parsed in R-URI mode (Kamailio: branch add failed). */
export function parallelBranches(
  set: DsSet,
  chosen: number,
  mode: BranchMode,
  ruri: string,
  exclude: ((i: number) => boolean) | null = null,
): DsBranch[] | null {
  const out: DsBranch[] = [];
  const nr = set.dests.length;
  if (mode !== 'xavp' && chosen + 1 >= nr) return out;
  let user = '';
  if (mode === 'domain') {
    const u = parseUri(ruri);
    if (u === null) return null;
    user = u.user;
  }
  for (let i = mode === 'xavp' ? chosen : chosen + 1; i < nr; i++) {
    const d = set.dests[i]!;
    if (exclude !== null && i !== chosen && exclude(i)) continue;
    if (mode !== 'domain') {
      out.push({ ruri, dstUri: d.uri, sock: d.sock });
      continue;
    }
    if (user.length === 0) {
      out.push({ ruri: d.uri, dstUri: null, sock: d.sock });
      continue;
    }
    if (d.uri.length < 6) continue;
    let bu: string;
    if (d.uri.startsWith('sips:')) bu = `sips:${user}@${d.uri.slice(5)}`;
    else if (d.uri.startsWith('sip:')) bu = `sip:${user}@${d.uri.slice(4)}`;
    else continue;
    out.push({ ruri: bu, dstUri: null, sock: d.sock });
  }
  return out;
}
