/**
 * dispatcher.* RPC methods bound to an engine: parameters are read like Kamailio's
 * jsonrpcs scan, results are rpc-results.ts structures or the Kamailio "Ok. …" strings,
 * faults are DsRpcError with Kamailio's message (and a `detail` saying what went wrong).
 */

import { Dispatcher } from './engine';
import { DsRpcError } from './errors';
import {
  buildHashResult, buildListResult, buildOclistResult, buildPingActiveResult, parseListMode,
} from './rpc-results';
import { rpcScan } from './rpc-scan';
import { lbMarks } from './lb/operations';

export type DsRpcHandler = (params: readonly unknown[]) => unknown | Promise<unknown>;

const invalid = (detail: string): DsRpcError => new DsRpcError(500, 'Invalid Parameters', detail);

export function dispatcherRpcMethods(engine: Dispatcher): Record<string, DsRpcHandler> {
  const p = engine.params;
  return {
    'dispatcher.reload': async () => (await engine.reload()).message,

    'dispatcher.list': (params) => {
      const s = rpcScan(params, '*S');
      const mode = s.count === 1 ? parseListMode(s.values[0]) : 'normal';
      return buildListResult(engine.list, mode, {
        latencyStats: p.ds_ping_latency_stats !== 0, hashSize: p.ds_hash_size, marks: (d) => lbMarks(engine, d, Date.now()),
      });
    },

    'dispatcher.set_state': (params) => setState(engine, params, false),
    'dispatcher.set_duid_state': (params) => setState(engine, params, true),

    'dispatcher.ping_active': (params) => {
      const s = rpcScan(params, '*d');
      const r = engine.pingActiveRpc(s.count === 1 ? (s.values[0] as number) : null);
      return buildPingActiveResult(r.old, r.now);
    },

    'dispatcher.add': (params) => {
      // Kamailio checks (and stamps) reload_delta before looking at the parameters.
      const s = rpcScan(params, 'dS*ddS');
      if (s.count < 2) {
        return guardThenFail(engine, 'group and address are required: dispatcher.add group address [flags [priority [attrs]]]');
      }
      const [group, addr, flags, prio, attrs] = s.values as [number, string, number?, number?, string?];
      return engine.add(group, addr, flags ?? 0, prio ?? 0, s.count <= 4 ? null : attrs ?? null);
    },

    'dispatcher.remove': (params) => {
      const s = rpcScan(params, 'dS');
      if (s.count < 2) return guardThenFail(engine, 'group and address are required: dispatcher.remove group address');
      return engine.remove(s.values[0] as number, s.values[1] as string);
    },

    'dispatcher.hash': (params) => {
      const s = rpcScan(params, 'dS*S');
      if (s.count < 2) throw invalid('usage: dispatcher.hash nslots val1 [val2] (nslots an integer, values strings)');
      return buildHashResult(s.values[0] as number, s.values[1] as string, s.count > 2 ? (s.values[2] as string) : null);
    },

    'dispatcher.oclist': (params) => {
      const s = rpcScan(params, 'd');
      if (s.count !== 1) throw invalid('usage: dispatcher.oclist group');
      return buildOclistResult(engine.list, s.values[0] as number);
    },
  };
}

function setState(engine: Dispatcher, params: readonly unknown[], byDuid: boolean): string {
  const s = rpcScan(params, '.SdS');
  if (s.count < 3) {
    throw invalid(`usage: dispatcher.${byDuid ? 'set_duid_state' : 'set_state'} state group ${byDuid ? 'duid' : 'address'}|all`);
  }
  return engine.setStateRpc(s.values[0] as string, s.values[1] as number, s.values[2] as string, byDuid);
}

/** Kamailio answers "Ongoing reload" before "Invalid Parameters" and stamps the time. */
function guardThenFail(engine: Dispatcher, detail: string): never {
  engine.stampReloadGuard();
  throw invalid(detail);
}
