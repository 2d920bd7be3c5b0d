/**
 * Call-load tracking for alg 10 (ds_ht.c + the ds_load_* functions): a table of active
 * calls keyed by Call-ID, each pointing at a (set, duid); each destination's `dload`
 * counts its calls. Expiry is driven by whoever calls sweep() with the current time.
 *
 * The table outlives list swaps (a reload resets every dload to 0 but keeps the entries,
 * so a later BYE decrements a counter that never counted it; the decrement is floored at
 * 0) — exactly Kamailio's behaviour.
 */

import { DsList, DsSet, findSet } from './model';
import type { DsLoadMessage } from './request';
import type { DstRecord } from './xavp-records';
import { ChurnTable } from '../../core/churn-table';

const DS_LOAD_INIT = 0;
const DS_LOAD_CONFIRMED = 1;

export interface LoadCell {
  readonly callId: string;
  readonly duid: string;
  readonly setId: number;
  state: number;
  /** time(NULL) seconds. */
  readonly expire: number;
  readonly initexpire: number;
}

export class CallLoadTable {
  // one in and one out per call: a Map would keep ended calls alive (core/churn-table.ts)
  private readonly cells = new ChurnTable<LoadCell>();

  constructor(
    readonly expire: number,
    readonly initExpire: number,
  ) {}

  get size(): number {
    return this.cells.size;
  }

  /** ds_add_cell(): false when the Call-ID is already tracked. */
  add(callId: string, duid: string, setId: number, nowSec: number): boolean {
    if (this.cells.has(callId)) return false;
    this.cells.set(callId, {
      callId,
      duid,
      setId,
      state: DS_LOAD_INIT,
      expire: nowSec + this.expire,
      initexpire: nowSec + this.initExpire,
    });
    return true;
  }

  get(callId: string): LoadCell | null {
    return this.cells.get(callId) ?? null;
  }

  delete(callId: string): boolean {
    return this.cells.delete(callId);
  }

  /** Removes and returns the cells ds_ht_timer() would expire at `nowSec`. */
  takeExpired(nowSec: number): LoadCell[] {
    const out: LoadCell[] = [];
    for (const c of this.cells.values()) {
      if (
        (c.expire !== 0 && c.expire < nowSec) ||
        (c.state === DS_LOAD_INIT && c.initexpire !== 0 && c.initexpire < nowSec)
      ) {
        out.push(c);
      }
    }
    for (const c of out) this.cells.delete(c.callId);
    return out;
  }

  entries(): Iterable<LoadCell> {
    return this.cells.values();
  }
}

function duidIndex(set: DsSet, duid: string): number {
  const l = duid.toLowerCase();
  for (let i = 0; i < set.dests.length; i++) {
    const d = set.dests[i]!.attrs.duid;
    if (d !== null && d.length === duid.length && d.toLowerCase() === l) return i;
  }
  return -1;
}

/** ds_get_leastloaded(): lowest dload among non-skipped entries under their maxload. */
export function leastLoaded(
  set: DsSet,
  skipped: (flags: number) => boolean,
  held: ((j: number) => boolean) | null = null,
  maxloadOf: ((j: number) => number) | null = null,
): number {
  let k = -1;
  let t = 0x7fffffff;
  for (let j = 0; j < set.dests.length; j++) {
    const d = set.dests[j]!;
    const maxload = maxloadOf === null ? d.attrs.maxload : maxloadOf(j);
    if (!skipped(d.flags) && (held === null || !held(j)) && (maxload === 0 || d.dload < maxload) && d.dload < t) {
      k = j;
      t = d.dload;
    }
  }
  return k;
}

/** ds_load_add(): false when the destination has no duid or the Call-ID is tracked. */
export function loadAdd(table: CallLoadTable, set: DsSet, idx: number, callId: string, nowSec: number): boolean {
  const d = set.dests[idx];
  if (d === undefined || d.attrs.duid === null || d.attrs.duid.length === 0) return false;
  if (!table.add(callId, d.attrs.duid, set.id, nowSec)) return false;
  d.dload++;
  return true;
}

/** ds_load_remove_byid(): decrement (floored at 0); false when set or duid is gone. */
function loadRemoveById(list: DsList | null, setId: number, duid: string): boolean {
  const set = findSet(list, setId);
  if (set === null) return false;
  const d = set.dests[duidIndex(set, duid)];
  if (d === undefined) return false;
  if (d.dload > 0) d.dload--;
  return true;
}

/**
 * ds_load_remove(): drop the call. When the decrement fails (set or duid gone after a
 * reload) Kamailio keeps the entry until it expires, and so do we.
 */
function loadRemove(table: CallLoadTable, list: DsList | null, callId: string): boolean {
  const c = table.get(callId);
  if (c === null) return false;
  if (!loadRemoveById(list, c.setId, c.duid)) return false;
  table.delete(callId);
  return true;
}

/**
 * ds_load_replace() (ds_next_dst with alg 10): move the call to `newDuid`.
 * 0 ok, -1 error (no entry, set gone, re-add failed), -2 the new duid is not in the set.
 */
export function loadReplace(
  table: CallLoadTable,
  list: DsList | null,
  callId: string,
  newDuid: string,
  nowSec: number,
): 0 | -1 | -2 {
  if (newDuid.length === 0) return -1;
  const c = table.get(callId);
  if (c === null) return -1;
  const set = findSet(list, c.setId);
  if (set === null) return -1;
  const oldIdx = duidIndex(set, c.duid);
  const newIdx = duidIndex(set, newDuid);
  if (newIdx < 0) return -2;
  table.delete(callId);
  const old = set.dests[oldIdx];
  if (old !== undefined && old.dload > 0) old.dload--;
  return loadAdd(table, set, newIdx, callId, nowSec) ? 0 : -1;
}

/** ds_ht_timer(): expire entries and release their load. Returns how many expired. */
export function sweepCallLoad(table: CallLoadTable, list: DsList | null, nowSec: number): number {
  const gone = table.takeExpired(nowSec);
  for (const c of gone) loadRemoveById(list, c.setId, c.duid);
  return gone.length;
}

/** ds_load_update(): BYE/CANCEL release the call; a 2xx to INVITE confirms it. Returns 1. */
export function loadUpdate(table: CallLoadTable | null, list: DsList | null, m: DsLoadMessage): 1 {
  if (table === null) return 1;
  if (m.isRequest) {
    const meth = (m.method ?? '').toUpperCase();
    if (meth === 'BYE' || meth === 'CANCEL') loadRemove(table, list, m.callId);
    return 1;
  }
  if ((m.cseqMethod ?? '').toUpperCase() === 'INVITE' && Math.trunc((m.status ?? 0) / 100) === 2) {
    const c = table.get(m.callId);
    if (c !== null) c.state = DS_LOAD_CONFIRMED;
  }
  return 1;
}

/**
 * ds_load_unset(): release the call now. For an INVITE request only when the head
 * `_dsdst_` record carries a dstid. 1, or −1 when there was no load to release.
 */
export function loadUnset(
  table: CallLoadTable | null,
  list: DsList | null,
  xavpDst: string,
  records: readonly DstRecord[],
  m: { callId: string; isRequest: boolean; method?: string },
): 1 | -1 {
  if (xavpDst.length === 0) return 1;
  const invite = m.isRequest && (m.method ?? '').toUpperCase() === 'INVITE';
  if (invite && records[0]?.dstid === undefined) return 1;
  if (table === null) return -1;
  return loadRemove(table, list, m.callId) ? 1 : -1;
}
