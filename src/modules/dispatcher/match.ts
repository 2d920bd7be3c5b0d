/**
 * Read-only queries over the current list: ds_is_from_list(), ds_is_active(),
 * ds_list_exists(), $dsg (ds_dsg_fetch) and ds_count().
 */

import { isSkipped, DS_PROBING_DST } from './flags';
import { normalizeIp } from './ip';
import { DsList, DsSet, Destination, findSet } from './model';
import { DsSource } from './request';

const DS_MATCH_NOPORT = 1;
const DS_MATCH_NOPROTO = 2;
const DS_MATCH_ACTIVE = 4;
const DS_MATCH_SOCKET = 8;
const DS_MATCH_MIXSOCKPRPORT = 16;

export interface FromListMatch {
  /** 1 on a match, −1 otherwise. */
  readonly code: 1 | -1;
  readonly dest: Destination | null;
  /** For setid_pvname: only when all groups were searched (group −1). */
  readonly setId: number | null;
  /** For attrs_pvname: the matched destination's attrs body, when non-empty. */
  readonly attrs: string | null;
}

const NO_MATCH: FromListMatch = { code: -1, dest: null, setId: null, attrs: null };

function matched(d: Destination, allGroups: boolean): FromListMatch {
  const body = d.attrs.body;
  return { code: 1, dest: d, setId: allGroups ? d.setId : null, attrs: body !== null && body.length > 0 ? body : null };
}

interface Best {
  score: number;
  dest: Destination | null;
}

function scanSet(set: DsSet, ip: string, src: DsSource, mode: number, best: Best): Destination | null {
  const mix = (mode & DS_MATCH_MIXSOCKPRPORT) !== 0;
  for (const d of set.dests) {
    if (d.noIpAddr || d.ipAddress === null || d.ipAddress !== ip) continue;
    if (!(mode & DS_MATCH_NOPORT || d.port === 0 || src.port === d.port || mix)) continue;
    if (!(mode & DS_MATCH_NOPROTO || src.proto === d.proto || mix)) continue;
    if (mode & DS_MATCH_ACTIVE && isSkipped(d.flags)) continue;
    if (mode & DS_MATCH_SOCKET && d.sock !== null && d.sock !== (src.socket ?? null)) continue;
    if (!mix) return d;
    let score = 1;
    if (d.port !== 0 && src.port === d.port) score |= 2;
    if (d.proto !== 0 && src.proto === d.proto) score |= 4;
    if (d.sock !== null && d.sock === (src.socket ?? null)) score |= 8;
    if (score === 15) return d;
    if (best.score < score) {
      best.score = score;
      best.dest = d;
    }
  }
  return null;
}

/**
 * ds_is_from_list([group[, mode]]): group −1 searches every set in AVL post-order (first
 * match wins). Mode bits: 1 ignore port, 2 ignore proto, 4 only non-skipped, 8 local
 * socket must match, 16 best match (ip required; port/proto/socket raise the score).
 * Destinations loaded with flag 16 (no address) never match. The default mode of the
 * 0/1-argument forms is 2.
 */
export function isFromList(list: DsList | null, src: DsSource, group = -1, mode = DS_MATCH_NOPROTO): FromListMatch {
  if (list === null) return NO_MATCH;
  const ip = normalizeIp(src.ip);
  if (ip === null) return NO_MATCH;
  const best: Best = { score: 0, dest: null };
  const all = group === -1;
  const sets = all ? list.sets : [findSet(list, group)].filter((s): s is DsSet => s !== null);
  for (const set of sets) {
    const d = scanSet(set, ip, src, mode, best);
    if (d !== null) return matched(d, all);
  }
  return best.dest !== null ? matched(best.dest, all) : NO_MATCH;
}

/** ds_is_active(group[, uri]): a non-skipped entry (with exactly this URI, case-sensitive). */
export function isActive(list: DsList | null, group: number, uri: string | null = null): 1 | -1 {
  const set = findSet(list, group);
  if (set === null) return -1;
  for (const d of set.dests) {
    if (isSkipped(d.flags)) continue;
    if (uri === null || uri.length === 0 || d.uri === uri) return 1;
  }
  return -1;
}

/** ds_list_exists(group). */
export function listExists(list: DsList | null, group: number): 1 | -1 {
  return findSet(list, group) !== null ? 1 : -1;
}

/** $dsg(key) values after ds_dsg_fetch(set[, uri]); null for an unknown set. */
export interface DsgValues {
  readonly count: number;
  readonly active: number;
  readonly inactive: number;
  readonly pactive: number;
  readonly pinactive: number;
  readonly ocrate: number;
  readonly ocseq: number;
  readonly octime_sec: number;
  readonly octime_usec: number;
}

export function dsgFetch(list: DsList | null, group: number, uri: string | null = null): DsgValues | null {
  const set = findSet(list, group);
  if (set === null) return null;
  let active = 0,
    inactive = 0;
  let oc: Destination['oc'] | null = null;
  for (const d of set.dests) {
    if (isSkipped(d.flags)) inactive++;
    else active++;
    if (uri !== null && uri.length > 0 && d.uri === uri) oc = d.oc;
  }
  const count = set.dests.length;
  const ms = oc === null ? 0 : oc.octimeMs;
  return {
    count,
    active,
    inactive,
    pactive: count === 0 ? 0 : Math.trunc((active * 100) / count),
    pinactive: count === 0 ? 0 : Math.trunc((inactive * 100) / count),
    ocrate: oc === null ? 0 : oc.ocrate,
    ocseq: oc === null ? 0 : oc.ocseq,
    octime_sec: Math.floor(ms / 1000),
    octime_usec: Math.floor((ms % 1000) * 1000),
  };
}

/**
 * ds_count(set, filter): Kamailio has no such function; this follows OpenSIPS's
 * ds_count(): filter letters `a` active (selectable), `i` inactive (I or D), `p` probing;
 * several letters add up (an entry counts once). An empty filter counts everything.
 * −1 for an unknown set, −2 for a bad filter letter.
 */
export function dsCount(list: DsList | null, group: number, filter: string): number {
  const set = findSet(list, group);
  if (set === null) return -1;
  let wantA = false,
    wantI = false,
    wantP = false;
  for (const ch of filter.toLowerCase()) {
    if (ch === 'a') wantA = true;
    else if (ch === 'i') wantI = true;
    else if (ch === 'p') wantP = true;
    else return -2;
  }
  if (!wantA && !wantI && !wantP) return set.dests.length;
  let n = 0;
  for (const d of set.dests) {
    const sk = isSkipped(d.flags);
    if ((wantA && !sk) || (wantI && sk) || (wantP && (d.flags & DS_PROBING_DST) !== 0)) n++;
  }
  return n;
}
