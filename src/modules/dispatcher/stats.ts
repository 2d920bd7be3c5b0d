/**
 * Cumulative dispatcher counters for observability (dsd's own; Kamailio keeps none):
 * selections per set and algorithm, first-choice calls and failovers per destination,
 * dst-up/dst-down transitions, keepalive outcomes and list reloads. Plain numbers, read
 * by the `dispatcher.stats` RPC and by the Prometheus collectors at scrape time.
 *
 * Destinations are keyed by (set, lower-case URI), as Kamailio compares URIs, so a reload
 * that keeps a destination keeps its counters; entries of destinations that left the list
 * are dropped when the list changes.
 */

import type { DispatcherStatsEntry } from '../../rpc-api/results';
import type { DsList, SetId } from './model';
import type { SelectResult } from './select-types';
import type { DsEvent } from './state';
import type { DstRecord } from './xavp-records';

/** How a keepalive ended: accepted reply, other reply, local timeout, or not sent at all. */
export type ProbeOutcome = 'ok' | 'failed' | 'timeout' | 'error';

/** Receives every keepalive result (KeepaliveSender.observer). */
export interface ProbeObserver {
  /** `rttMs` is the measured round trip for real replies, null otherwise. */
  probe(setId: SetId, uri: string, outcome: ProbeOutcome, rttMs: number | null): void;
}

export type ListChangeKind = 'reload' | 'add' | 'remove';

export interface DestCounters {
  readonly setId: SetId;
  /** URI as last seen in the list. */
  uri: string;
  /** Times chosen as the first destination of a select. */
  calls: number;
  /** Times left for the next destination (ds_next_dst / ds_next_domain). */
  failovers: number;
  up: number;
  down: number;
  probes: Record<ProbeOutcome, number>;
}

export interface SelectionCount {
  readonly setId: SetId;
  readonly alg: number;
  ok: number;
  failed: number;
}

export interface ListChangeCount {
  ok: number;
  failed: number;
}

const destKey = (setId: SetId, uri: string): string => `${setId}\u0000${uri.toLowerCase()}`;

export class DispatcherCounters implements ProbeObserver {
  private readonly dests = new Map<string, DestCounters>();
  private readonly selections = new Map<string, SelectionCount>();
  readonly listChanges: Record<ListChangeKind, ListChangeCount> = {
    reload: { ok: 0, failed: 0 },
    add: { ok: 0, failed: 0 },
    remove: { ok: 0, failed: 0 },
  };
  /** Extra per-probe consumer (the metrics' latency histogram), if any. */
  probeTap: ProbeObserver | null = null;

  private dest(setId: SetId, uri: string): DestCounters {
    const k = destKey(setId, uri);
    let c = this.dests.get(k);
    if (c === undefined) {
      c = { setId, uri, calls: 0, failovers: 0, up: 0, down: 0, probes: { ok: 0, failed: 0, timeout: 0, error: 0 } };
      this.dests.set(k, c);
    }
    return c;
  }

  /**
   * After ds_select / ds_select_dst / ds_select_domain (`requestedSet` = its set) or
   * ds_select_routes (null: a failure there has no single set and is not counted).
   */
  onSelect(requestedSet: SetId | null, r: SelectResult): void {
    const setId = r.selected !== null ? r.selected.setId : requestedSet;
    if (setId === null) return;
    const k = `${setId}/${r.alg}`;
    let s = this.selections.get(k);
    if (s === undefined) {
      s = { setId, alg: r.alg, ok: 0, failed: 0 };
      this.selections.set(k, s);
    }
    if (r.ok && r.selected !== null) {
      s.ok++;
      this.dest(r.selected.setId, r.selected.uri).calls++;
    } else {
      s.failed++;
    }
  }

  /** Before ds_next_dst / ds_next_domain: the head record is the destination being left. */
  onNext(before: readonly DstRecord[]): void {
    const left = before[0];
    if (left !== undefined) this.dest(left.grp, left.uri).failovers++;
  }

  /** A dst-up / dst-down from a keepalive or a script mark (never RPC or reload). */
  onEvent(ev: DsEvent): void {
    const c = this.dest(ev.setId, ev.uri);
    if (ev.name === 'dispatcher:dst-up') c.up++;
    else c.down++;
  }

  probe(setId: SetId, uri: string, outcome: ProbeOutcome, rttMs: number | null): void {
    this.dest(setId, uri).probes[outcome]++;
    this.probeTap?.probe(setId, uri, outcome, rttMs);
  }

  /** A reload / add / remove finished; on success drop counters of departed destinations. */
  onListChange(kind: ListChangeKind, ok: boolean, list: DsList | null): void {
    if (!ok) {
      this.listChanges[kind].failed++;
      return;
    }
    this.listChanges[kind].ok++;
    if (list === null) return;
    const keep = new Set<string>();
    for (const set of list.sets) for (const d of set.dests) keep.add(destKey(set.id, d.uri));
    for (const k of this.dests.keys()) if (!keep.has(k)) this.dests.delete(k);
  }

  /** Counters of one destination (zeros when it never counted anything). */
  of(setId: SetId, uri: string): DestCounters {
    return (
      this.dests.get(destKey(setId, uri)) ?? {
        setId,
        uri,
        calls: 0,
        failovers: 0,
        up: 0,
        down: 0,
        probes: { ok: 0, failed: 0, timeout: 0, error: 0 },
      }
    );
  }

  selectionCounts(): readonly SelectionCount[] {
    return [...this.selections.values()];
  }

  /** dispatcher.stats: every destination of the list, in dispatcher.list order. */
  rpcEntries(list: DsList | null): DispatcherStatsEntry[] {
    const out: DispatcherStatsEntry[] = [];
    for (const set of list?.sets ?? []) {
      for (const d of set.dests) {
        const c = this.dests.get(destKey(set.id, d.uri));
        out.push({ SET: set.id, URI: d.uri, CALLS: c?.calls ?? 0, FAILOVERS: c?.failovers ?? 0 });
      }
    }
    return out;
  }
}
