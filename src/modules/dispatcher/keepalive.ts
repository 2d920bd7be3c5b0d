/**
 * Keepalives (ds_check_timer / ds_options_callback): which destinations to ping each
 * round, with what request, and what a result does to their state.
 *
 * Who is pinged (D never): probing mode 1 everything; modes 0 and 3 entries with P;
 * mode 2 entries with both P and I. A 2xx (or a ds_ping_reply_codes match) requests
 * state 0, plus P in mode 1 (and in mode 3 when P is still set); anything else,
 * including a local 408, requests TRYING, plus P unless mode 0. A destination disabled
 * meanwhile is left alone; in mode 3 one that lost P meanwhile too.
 */

import { DS_DISABLED_DST, DS_INACTIVE_DST, DS_PROBING_DST, DS_TRYING_DST } from './flags';
import { DsList, DsSet, Destination, findSet, sameUriCi } from './model';
import { DsParams } from './params';
import { PingReplyCodes, isPingSuccess } from './pingcodes';

type PingSocket = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'spec'; readonly spec: string };

/** One keepalive to send. */
export interface PingTarget {
  readonly setId: number;
  /** R-URI and To URI of the request. */
  readonly uri: string;
  readonly method: string;
  /** From URI: the ping_from attr or ds_ping_from (the From-tag is the sender's choice). */
  readonly fromUri: string;
  /** Outbound proxy: the obproxy attr or outbound_proxy, or null. */
  readonly outboundProxy: string | null;
  /** Send socket: ping_socket > sockname > socket attrs > ds_ping_socket > ds_default_sockname > ds_default_socket. */
  readonly socket: PingSocket | null;
  /** fr_timeout for the transaction in ms (ds_ping_fr_timeout), or null for the tm default. */
  readonly frTimeoutMs: number | null;
  /** The destination object; results are matched back by identity first. */
  readonly dest: Destination;
}

export function shouldPing(flags: number, probingMode: number): boolean {
  if (flags & DS_DISABLED_DST) return false;
  if (probingMode === 1) return true;
  if (probingMode !== 2 && flags & DS_PROBING_DST) return true;
  return probingMode === 2 && (flags & DS_PROBING_DST) !== 0 && (flags & DS_INACTIVE_DST) !== 0;
}

function pingSocket(d: Destination, p: DsParams): PingSocket | null {
  const a = d.attrs;
  const nz = (s: string | null): s is string => s !== null && s.length > 0;
  if (nz(a.pingSocket)) return { kind: 'spec', spec: a.pingSocket };
  if (nz(a.sockname)) return { kind: 'name', name: a.sockname };
  if (nz(a.socket)) return { kind: 'spec', spec: a.socket };
  if (nz(p.ds_ping_socket)) return { kind: 'spec', spec: p.ds_ping_socket };
  if (nz(p.ds_default_sockname)) return { kind: 'name', name: p.ds_default_sockname };
  if (nz(p.ds_default_socket)) return { kind: 'spec', spec: p.ds_default_socket };
  return null;
}

/** The keepalives of one timer round, in Kamailio's order (sets post-order, array order). */
export function collectPingTargets(list: DsList | null, p: DsParams): PingTarget[] {
  const out: PingTarget[] = [];
  if (list === null) return out;
  for (const set of list.sets) {
    for (const d of set.dests) {
      if (!shouldPing(d.flags, p.ds_probing_mode)) continue;
      out.push({
        setId: set.id,
        uri: d.uri,
        method: p.ds_ping_method,
        fromUri: d.attrs.pingFrom !== null && d.attrs.pingFrom.length > 0 ? d.attrs.pingFrom : p.ds_ping_from,
        outboundProxy: d.attrs.obproxy !== null && d.attrs.obproxy.length > 0 ? d.attrs.obproxy : p.outbound_proxy,
        socket: pingSocket(d, p),
        frTimeoutMs: p.ds_ping_fr_timeout > 0 ? p.ds_ping_fr_timeout * 1000 : null,
        dest: d,
      });
    }
  }
  return out;
}

/**
 * The destination a result belongs to: the very object when it is still in the current
 * list, else (after a reload) the first entry of the set with the same URI, as 5.6 does.
 */
export function resolvePingDest(
  list: DsList | null,
  setId: number,
  uri: string,
  dest: Destination | null,
): { set: DsSet; dest: Destination } | null {
  const set = findSet(list, setId);
  if (set === null) return null;
  if (dest !== null && set.dests[dest.idx] === dest) return { set, dest };
  for (const d of set.dests) if (sameUriCi(d.uri, uri)) return { set, dest: d };
  return null;
}

/**
 * The state a keepalive result requests, or null when nothing must change (disabled
 * meanwhile, or mode 3 and P removed meanwhile).
 */
export function pingResultState(d: Destination, code: number, p: DsParams, codes: PingReplyCodes): number | null {
  const mode = p.ds_probing_mode;
  if (mode === 3 && (d.flags & DS_PROBING_DST) === 0) return null;
  if (d.flags & DS_DISABLED_DST) return null;
  if (isPingSuccess(codes, code)) {
    return mode === 1 || (mode === 3 && (d.flags & DS_PROBING_DST) !== 0) ? DS_PROBING_DST : 0;
  }
  return DS_TRYING_DST | (mode !== 0 ? DS_PROBING_DST : 0);
}
