/**
 * The load-balancing policy on top of Kamailio's dispatcher (dsd extensions, all off or
 * empty by default): drain, passive ejection, slow start and the active-dialog count.
 * The engine asks it for a per-selection gate (null while nothing applies, so default
 * settings run Kamailio's pipeline untouched) and tells it about state transitions.
 */
import type { DsParams } from '../params';
import { parseEjectCodes } from '../params';
import { Destination, DsList, DsSet, findSet, sameUriCi } from '../model';
import { parseDestinationUri } from '../destination-uri';
import { isSkipped } from '../flags';
import type { DsRng } from '../rng';
import type { GateFactory, SelectionGate } from '../select-types';
import { DS_ALG_CALLLOAD } from '../algorithms/constants';
import { DrainTable } from './drain';
import { EjectTracker } from './eject';
import { SlowStart, rampsAlg } from './slow-start';
import { DialogTracker } from './dialogs';

export class LbPolicy {
  readonly drains: DrainTable;
  readonly eject: EjectTracker;
  readonly slowStart: SlowStart;
  readonly dialogs: DialogTracker;
  /** Selections are asked for a gate through this (bound once). */
  readonly gate: GateFactory;

  constructor(
    params: DsParams,
    private readonly rng: DsRng,
    private readonly now: () => number,
    /** The saved admin states changed (a drain with --persist is saved with them). */
    onAdminStatesChanged?: () => void,
  ) {
    this.drains = new DrainTable((persisted) => {
      if (persisted) onAdminStatesChanged?.();
    });
    this.eject = new EjectTracker({
      failures: params.ds_eject_failures,
      codes: params.ds_eject_codes === null ? [] : (parseEjectCodes(params.ds_eject_codes) ?? []),
      timeSec: params.ds_eject_time,
      maxPercent: params.ds_eject_max_percent,
    });
    this.slowStart = new SlowStart(() => params.ds_slow_start);
    this.dialogs = new DialogTracker(() => params.ds_hash_expire || 7200);
    this.gate = (set, alg) => this.gateFor(set, alg);
  }

  /** dispatcher.add put `address` into `group` of `list`: a usable newcomer starts slow. */
  added(list: DsList | null, group: number, address: string): void {
    const set = findSet(list, group);
    const info = parseDestinationUri(address);
    const d = set === null || 'error' in info ? undefined : set.dests.find((x) => sameUriCi(x.uri, info.uri));
    if (d !== undefined && !isSkipped(d.flags)) this.slowStart.begin(d, this.now());
  }

  /** dispatcher.remove took `address` out of `group`: its drain by URI goes with it. */
  removed(group: number, address: string): void {
    const info = parseDestinationUri(address);
    if (!('error' in info)) this.drains.forget(group, info.uri);
  }

  /** A destination moved between skipped and usable (any cause). */
  transition(d: Destination, wasSkipped: boolean, nowSkipped: boolean): void {
    if (wasSkipped && !nowSkipped) {
      this.eject.ended(d);
      if (!this.drains.isDraining(d)) this.slowStart.begin(d, this.now());
    }
  }

  private gateFor(set: DsSet, alg: number): SelectionGate | null {
    const draining = this.drains.touches(set);
    const ramping = this.slowStart.size > 0 && (rampsAlg(alg) || alg === DS_ALG_CALLLOAD);
    if (!draining && !ramping) return null;
    const nowMs = this.now();
    const n = set.dests.length;
    const hard = new Uint8Array(n);
    if (draining) set.dests.forEach((d, i) => (hard[i] = this.drains.isDraining(d) ? 1 : 0));
    const soft = new Uint8Array(n);
    const maxload = new Int32Array(n);
    set.dests.forEach((d, i) => (maxload[i] = d.attrs.maxload));
    if (ramping && alg === DS_ALG_CALLLOAD) {
      set.dests.forEach((d, i) => (maxload[i] = this.slowStart.maxload(d, nowMs)));
    } else if (ramping) {
      let open = 0;
      set.dests.forEach((d, i) => {
        const f = this.slowStart.factor(d, nowMs);
        if (f < 1 && this.rng() / 0x80000000 >= f) soft[i] = 1;
        if (!hard[i] && !soft[i] && (d.flags & 5) === 0) open++;
      });
      // Slow start never makes a selection fail: with nobody else left, take the ramping ones.
      if (open === 0) soft.fill(0);
    }
    return {
      hard: (i) => hard[i] === 1,
      held: (i) => hard[i] === 1 || soft[i] === 1,
      maxload: (i) => maxload[i] ?? 0,
    };
  }
}
