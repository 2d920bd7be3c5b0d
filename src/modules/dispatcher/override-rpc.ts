/**
 * dispatcher.overrides: the admin states dsd keeps across reloads and restarts (set_state /
 * set_duid_state) and where each came from. Forgetting them (dispatcher.clear_overrides) is
 * a change like set_state (change.ts), so a cluster spreads it.
 */
import type { Dispatcher } from './engine';
import type { AdminStateEntry } from './admin-state';

interface OverrideRow {
  readonly SET: number;
  readonly URI?: string;
  readonly DUID?: string;
  readonly STATE: string;
  /** ISO time it was set (the clock of the node that set it). */
  readonly SINCE: string;
  readonly SOURCE: string;
}

function row(e: AdminStateEntry): OverrideRow {
  const who = e.uri !== undefined ? { URI: e.uri } : { DUID: e.duid! };
  return { SET: e.setId, ...who, STATE: e.state, SINCE: new Date(e.at).toISOString(), SOURCE: e.origin ?? 'unknown' };
}

export function overrideRpcMethods(engine: Dispatcher): Record<string, (params: readonly unknown[]) => unknown> {
  return {
    'dispatcher.overrides': () =>
      engine
        .exportAdminStates()
        .sort((a, b) => a.setId - b.setId || (a.uri ?? a.duid ?? '').localeCompare(b.uri ?? b.duid ?? ''))
        .map(row),
  };
}
