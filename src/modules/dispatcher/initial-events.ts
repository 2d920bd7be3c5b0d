/**
 * dst-up / dst-down for every destination's current state, for monitoring that wants a
 * baseline at start-up and after a reload (kamailio#4906; Kamailio itself has no such
 * option). Off unless modparam("dispatcher", "ds_initial_state_events", 1).
 *
 * The events go straight to the event_route runner: they are not transitions, so they
 * are not counted as such. $dsv(code) is 0 and $dsv(reason) "initial state".
 */

import { isSkipped } from './flags';
import type { DsList } from './model';
import type { DsEvent } from './state';

const INITIAL_STATE_CODE = 0;
const INITIAL_STATE_REASON = 'initial state';

/** One event per destination, in dispatcher.list order: down when inactive or disabled. */
export function initialStateEvents(list: DsList | null): DsEvent[] {
  const out: DsEvent[] = [];
  for (const set of list?.sets ?? []) {
    for (const d of set.dests) {
      out.push({
        name: isSkipped(d.flags) ? 'dispatcher:dst-down' : 'dispatcher:dst-up',
        setId: set.id,
        uri: d.uri,
        source: 'script',
        context: { code: INITIAL_STATE_CODE, reason: INITIAL_STATE_REASON, flags: 0 },
      });
    }
  }
  return out;
}
