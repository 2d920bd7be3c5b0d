/**
 * Destination state transitions (ds_update_state() and the RPC overwrite), returning the
 * dst-up / dst-down events to run rather than running them.
 *
 * Kamailio 5.6.3 rules (keepalive results and ds_mark_dst() both go through them):
 *  - the new state replaces bits 0..4 (this also clears flag 16);
 *  - a TRYING request on an INACTIVE destination keeps it INACTIVE;
 *  - a request containing D sets only D;
 *  - TRYING: failure count + 1; at ds_probing_threshold it becomes INACTIVE (count 0);
 *  - a success on an INACTIVE destination: success count + 1; below
 *    ds_inactive_threshold it stays INACTIVE (keeping P if it had it), else ACTIVE;
 *  - any other success resets the count;
 *  - crossing the skipped (I/D) boundary raises dst-down / dst-up and, for rweight > 0,
 *    rebuilds the alg-11 table.
 * Kamailio 6.1 lets script marks bypass the thresholds (`scriptBypassesThresholds`).
 * RPC set_state just overwrites the bits: no thresholds, no events.
 */

import { DS_DISABLED_DST, DS_INACTIVE_DST, DS_PROBING_DST, DS_STATES_ALL, DS_TRYING_DST, isSkipped } from './flags';
import { Destination, DsSet, SetId } from './model';
import { DsRng } from './rng';
import { rweightOnStateChange } from './weights';

export type StateSource = 'keepalive' | 'script' | 'eject';

type DsEventName = 'dispatcher:dst-up' | 'dispatcher:dst-down';

/** Values of $dsv(...) while the event runs. */
export interface DsEventContext {
  /** Reply code; 408 timeout, 500 failed send, 800/810/820 for script marks without a reply. */
  readonly code: number;
  readonly reason: string | null;
  /** 1 when the code came from a real reply. */
  readonly flags: number;
}

export interface DsEvent {
  readonly name: DsEventName;
  readonly setId: SetId;
  /** The destination URI: the faked request's R-URI ($ru). */
  readonly uri: string;
  readonly context: DsEventContext;
  readonly source: StateSource;
}

export interface StateRules {
  readonly probingThreshold: number;
  readonly inactiveThreshold: number;
  /** event_callback_mode (6.1): 0 keepalive+script, 1 keepalive only, 2 also when old flags were 0. */
  readonly eventMode: number;
  /** Kamailio 6.1 behaviour: script `t` goes straight to INACTIVE, `a` straight to ACTIVE. */
  readonly scriptBypassesThresholds: boolean;
}

export interface StateChange {
  readonly oldFlags: number;
  readonly newFlags: number;
  readonly event: DsEvent | null;
}

/** ds_update_state() on one destination. */
export function applyStateUpdate(
  set: DsSet,
  d: Destination,
  requested: number,
  source: StateSource,
  context: DsEventContext,
  rules: StateRules,
  rng: DsRng,
): StateChange {
  const old = d.flags;
  let state = requested;
  const init = state;
  const bypass = source === 'script' && rules.scriptBypassesThresholds;
  d.flags &= ~DS_STATES_ALL;
  if (state & DS_TRYING_DST && old & DS_INACTIVE_DST) {
    state = (state & ~DS_TRYING_DST) | DS_INACTIVE_DST;
  }
  if (state & DS_DISABLED_DST) d.flags |= DS_DISABLED_DST;
  else d.flags |= state;

  if (state & DS_TRYING_DST) {
    d.messageCount++;
    if (bypass || d.messageCount >= rules.probingThreshold) {
      d.flags = (d.flags & ~DS_TRYING_DST) | DS_INACTIVE_DST;
      d.messageCount = 0;
    }
  } else if (!(init & DS_TRYING_DST) && old & DS_INACTIVE_DST) {
    d.messageCount++;
    if (!bypass && d.messageCount < rules.inactiveThreshold) {
      d.flags |= DS_INACTIVE_DST;
      if (old & DS_PROBING_DST) d.flags |= DS_PROBING_DST;
    } else {
      d.messageCount = 0;
    }
  } else {
    d.messageCount = 0;
  }

  let name: DsEventName | null = null;
  const wasSkipped = isSkipped(old),
    nowSkipped = isSkipped(d.flags);
  if (!wasSkipped && nowSkipped) name = 'dispatcher:dst-down';
  else if (wasSkipped && !nowSkipped) name = 'dispatcher:dst-up';
  else if (rules.eventMode === 2 && old === 0) name = nowSkipped ? 'dispatcher:dst-down' : 'dispatcher:dst-up';
  if (name !== null && rules.eventMode === 1 && source !== 'keepalive') name = null;
  if (d.attrs.rweight > 0) rweightOnStateChange(set, old, d.flags, rng);
  const event = name === null ? null : { name, setId: set.id, uri: d.uri, context, source };
  return { oldFlags: old, newFlags: d.flags, event };
}

/** RPC set_state/set_duid_state: overwrite the state bits, rebuild rwlist if needed. */
export function overwriteState(set: DsSet, d: Destination, state: number, rng: DsRng): void {
  const old = d.flags;
  d.flags = (d.flags & ~DS_STATES_ALL) | state;
  if (d.attrs.rweight > 0) rweightOnStateChange(set, old, d.flags, rng);
}
