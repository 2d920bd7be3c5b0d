/**
 * dispatcher.overrides and dispatcher.clear_overrides: the admin states dsd keeps across
 * reloads and restarts (set_state / set_duid_state), where each came from, and a way to
 * forget them. Clearing leaves the destination in its current state; the next reload or
 * restart takes its flags from the list again.
 */
import type { Dispatcher } from './engine';
import type { AdminStateEntry } from './admin-state';
import { DsRpcError } from './errors';
import { rpcScan } from './rpc-scan';

export interface OverrideRow {
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
    'dispatcher.clear_overrides': (params) => {
      const s = rpcScan(params, '*dS');
      const group = s.count >= 1 ? (s.values[0] as number) : undefined;
      const raw = s.count >= 2 ? String(s.values[1]) : undefined;
      const target = raw === undefined || raw === 'all' ? undefined : raw;
      const dropped = engine.clearAdminStates(group, target);
      if (dropped.length === 0 && (group !== undefined || target !== undefined)) {
        throw DsRpcError.of(
          'overrideNotFound',
          target !== undefined ? `no admin state for ${target} in set ${group}` : `no admin state in set ${group}`,
        );
      }
      return `Ok. ${dropped.length} override(s) cleared.`;
    },
  };
}
