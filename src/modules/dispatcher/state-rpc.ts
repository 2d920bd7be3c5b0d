/**
 * dispatcher.set_state / set_duid_state: overwrite the state of one destination, or of
 * every destination of a set (`all`), with no thresholds and no events, and remember it
 * as an admin state (admin-state.ts) so reloads and restarts keep it.
 */
import type { AdminStateOverlay } from './admin-state';
import { DsRpcError } from './errors';
import { isSkipped, parseRpcState } from './flags';
import { Destination, DsList, findSet, sameUriCi } from './model';
import type { DsRng } from './rng';
import { overwriteState } from './state';

export interface StateRpcHost {
  readonly list: DsList | null;
  readonly admin: AdminStateOverlay;
  readonly rng: DsRng;
  readonly nowMs: number;
  /** A destination moved between skipped and usable (lb/: slow start, ejection). */
  transition(d: Destination, wasSkipped: boolean, nowSkipped: boolean): void;
}

const SET_STATE_OK = 'Ok. Dispatcher state updated.';

export function setStateRpc(h: StateRpcHost, stateArg: string, group: number, target: string, byDuid: boolean): string {
  const st = parseRpcState(stateArg);
  if (!st.ok) throw new DsRpcError(500, st.message);
  const set = findSet(h.list, group);
  if (set === null) throw DsRpcError.of('stateUpdateFailed', `destination set ${group} not found`);
  const overwrite = (d: Destination): void => {
    const was = isSkipped(d.flags);
    overwriteState(set, d, st.state, h.rng);
    h.transition(d, was, isSkipped(d.flags));
  };
  if (target === 'all') {
    for (const d of set.dests) {
      overwrite(d);
      h.admin.setByUri(group, d.uri, st.state, h.nowMs);
    }
    return SET_STATE_OK;
  }
  const l = target.toLowerCase();
  const d = byDuid
    ? set.dests.find(
        (x) => x.attrs.duid !== null && x.attrs.duid.length === target.length && x.attrs.duid.toLowerCase() === l,
      )
    : set.dests.find((x) => sameUriCi(x.uri, target));
  if (d === undefined) {
    throw DsRpcError.of('stateUpdateFailed', `${byDuid ? 'duid' : 'destination'} ${target} not found in set ${group}`);
  }
  overwrite(d);
  if (byDuid) h.admin.setByDuid(group, target, st.state, h.nowMs);
  else h.admin.setByUri(group, d.uri, st.state, h.nowMs);
  return SET_STATE_OK;
}
