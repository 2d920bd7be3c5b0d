/**
 * Result structures of the dispatcher.* RPC commands, as plain objects whose key order is
 * the order Kamailio 5.6.3 emits. Arrays of named structs are arrays of single-key
 * objects (`[{"SET":{…}}]`), which is how jsonrpcs prints them and how a kamcmd-style
 * renderer needs them.
 *
 * Renderer notes: `dispatcher.hash` values are unsigned ('u'): JSON prints them as is,
 * kamcmd (binrpc) prints them as signed 32-bit. LATENCY AVG/STD/EST are floats (integral
 * values print as integers, others with 6 decimals); DNSTIME_* are doubles holding
 * integers.
 */

import { DsRpcError } from './errors';
import { flagsString } from './flags';
import { dsHash } from './hash';
import { DsList, Destination, findSet } from './model';

export type ListMode = 'normal' | 'short' | 'full';

/** dispatcher.list's optional argument: `short`/`full` case-insensitive, else normal. */
export function parseListMode(arg: unknown): ListMode {
  if (typeof arg !== 'string') return 'normal';
  const l = arg.toLowerCase();
  return l === 'short' ? 'short' : l === 'full' ? 'full' : 'normal';
}

export interface ListOptions {
  /** modparam ds_ping_latency_stats. */
  readonly latencyStats: boolean;
  /** modparam ds_hash_size (> 0 adds RUNTIME). */
  readonly hashSize: number;
  /**
   * dsd marks appended at the end of a DEST (DRAIN, EJECTED, SLOWSTART), only when set, so
   * that default output stays Kamailio's and kamcmd-only scripts can ignore them.
   */
  readonly marks?: (d: Destination) => Record<string, number> | null;
}

/** Fields whose kamcmd rendering is signed although the value is unsigned. */
export const UNSIGNED_RESULT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'dispatcher.hash': ['hashid', 'slot'],
  'dispatcher.oclist': ['ocrate', 'ocidx', 'ocseq', 'ocmin', 'ocmax'],
};

function destEntry(d: Destination, mode: ListMode, o: ListOptions): Record<string, unknown> {
  const dest: Record<string, unknown> = { URI: d.uri, FLAGS: flagsString(d.flags), PRIORITY: d.priority };
  if (mode === 'full') {
    dest.HOST = d.host;
    dest.IPADDR = d.ipAddress ?? '';
    dest.PORT = d.port;
    dest.PROTOID = d.proto;
    dest.DNSTIME_SEC = Math.floor(d.dnsTimeMs / 1000);
    dest.DNSTIME_USEC = Math.floor((d.dnsTimeMs % 1000) * 1000);
  }
  const a = d.attrs;
  if (mode !== 'short' && a.body !== null) {
    dest.ATTRS = {
      BODY: a.body,
      DUID: a.duid,
      MAXLOAD: a.maxload,
      WEIGHT: a.weight,
      RWEIGHT: a.rweight,
      SOCKET: a.socket,
      SOCKNAME: a.sockname,
      OBPROXY: a.obproxy,
    };
  }
  if (o.latencyStats) {
    const l = d.latency;
    dest.LATENCY = { AVG: l.avg, STD: l.std, EST: l.est, MAX: l.max, TIMEOUT: l.timeout | 0 };
  }
  if (o.hashSize > 0) dest.RUNTIME = { DLGLOAD: d.dload };
  const m = o.marks?.(d);
  if (m) Object.assign(dest, m);
  return dest;
}

/** dispatcher.list. Throws "No Destination Sets" for an empty list. */
export function buildListResult(list: DsList | null, mode: ListMode, o: ListOptions): Record<string, unknown> {
  if (list === null || list.sets.length === 0) throw DsRpcError.of('noDestinationSets');
  const records = list.sets.map((set) => ({
    SET: { ID: set.id, TARGETS: set.dests.map((d) => ({ DEST: destEntry(d, mode, o) })) },
  }));
  return { NRSETS: list.sets.length, RECORDS: records };
}

/** dispatcher.hash: hashid of val1[, val2] and hashid % nslots (0 when nslots <= 0). */
export function buildHashResult(nslots: number, val1: string, val2: string | null): { hashid: number; slot: number } {
  const hashid = dsHash(val1, val2);
  return { hashid, slot: nslots > 0 ? hashid % nslots : 0 };
}

/** dispatcher.ping_active: {OldPingState} or {NewPingState, OldPingState}. */
export function buildPingActiveResult(oldState: number, newState: number | null): Record<string, number> {
  return newState === null ? { OldPingState: oldState } : { NewPingState: newState, OldPingState: oldState };
}

/** dispatcher.oclist (6.0+): one struct per destination; 404 for an unknown group. */
export function buildOclistResult(list: DsList | null, group: number): Record<string, unknown>[] {
  const set = findSet(list, group);
  if (set === null) throw DsRpcError.of('groupNotFound', `destination set ${group} not found`);
  return set.dests.map((d) => ({
    group,
    uri: d.uri,
    flags: d.flags,
    priority: d.priority,
    ocrate: d.oc.ocrate,
    ocidx: d.oc.ocidx,
    ocseq: d.oc.ocseq,
    octime_sec: Math.floor(d.oc.octimeMs / 1000),
    octime_usec: Math.floor((d.oc.octimeMs % 1000) * 1000),
    ocmin: d.oc.ocmin,
    ocmax: d.oc.ocmax,
  }));
}

export const RELOAD_OK = 'Ok. Dispatcher successfully reloaded.';
export const STATE_OK = 'Ok. Dispatcher state updated.';
export const ADD_OK = 'Ok. Dispatcher destination added.';
export const REMOVE_OK = 'Ok. Dispatcher destination removed.';
