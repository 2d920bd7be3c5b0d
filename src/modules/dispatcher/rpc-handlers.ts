/**
 * dispatcher.* RPC methods bound to an engine: parameters are read like Kamailio's
 * jsonrpcs scan, results are rpc-results.ts structures or the Kamailio "Ok. …" strings,
 * faults are DsRpcError with Kamailio's message (and a `detail` saying what went wrong).
 */

import { Dispatcher } from './engine';
import { DsRpcError } from './errors';
import {
  buildHashResult,
  buildListResult,
  buildOclistResult,
  buildPingActiveResult,
  parseListMode,
} from './rpc-results';
import { rpcScan } from './rpc-scan';
import { lbMarks } from './lb/operations';
import { applyChange, decodeChange } from './change';

export type DsRpcHandler = (params: readonly unknown[]) => unknown | Promise<unknown>;

const invalid = (detail: string): DsRpcError => DsRpcError.of('invalidParameters', detail);

export function dispatcherRpcMethods(engine: Dispatcher): Record<string, DsRpcHandler> {
  const p = engine.params;
  return {
    // the changes: decoded once into a DsChange, then applied (change.ts)
    'dispatcher.reload': (params) => applyChange(engine, decodeChange(engine, 'reload', params)),
    'dispatcher.add': (params) => applyChange(engine, decodeChange(engine, 'add', params)),
    'dispatcher.remove': (params) => applyChange(engine, decodeChange(engine, 'remove', params)),
    'dispatcher.set_state': (params) => applyChange(engine, decodeChange(engine, 'setState', params)),
    'dispatcher.set_duid_state': (params) => applyChange(engine, decodeChange(engine, 'setDuidState', params)),
    'dispatcher.clear_overrides': (params) => applyChange(engine, decodeChange(engine, 'clearOverrides', params)),

    'dispatcher.list': (params) => {
      const s = rpcScan(params, '*S');
      const mode = s.count === 1 ? parseListMode(s.values[0]) : 'normal';
      return buildListResult(engine.list, mode, {
        latencyStats: p.ds_ping_latency_stats !== 0,
        hashSize: p.ds_hash_size,
        marks: (d) => lbMarks(engine, d, Date.now()),
      });
    },

    'dispatcher.ping_active': (params) => {
      const s = rpcScan(params, '*d');
      const r = engine.pingActiveRpc(s.count === 1 ? (s.values[0] as number) : null);
      return buildPingActiveResult(r.old, r.now);
    },

    'dispatcher.hash': (params) => {
      const s = rpcScan(params, 'dS*S');
      if (s.count < 2) throw invalid('usage: dispatcher.hash nslots val1 [val2] (nslots an integer, values strings)');
      return buildHashResult(
        s.values[0] as number,
        s.values[1] as string,
        s.count > 2 ? (s.values[2] as string) : null,
      );
    },

    'dispatcher.oclist': (params) => {
      const s = rpcScan(params, 'd');
      if (s.count !== 1) throw invalid('usage: dispatcher.oclist group');
      return buildOclistResult(engine.list, s.values[0] as number);
    },
  };
}
