/** Shared fixtures for the dispatcher unit tests. */

import * as path from 'node:path';
import * as fs from 'node:fs';
import { Dispatcher, DispatcherOptions } from '../../../src/modules/dispatcher/engine';
import { DsParams, defaultParams, setParam } from '../../../src/modules/dispatcher/params';
import { DsRequestView } from '../../../src/modules/dispatcher/request';
import { seededRng } from '../../../src/modules/dispatcher/rng';
import { DsList } from '../../../src/modules/dispatcher/model';
import { DsRpcHandler, dispatcherRpcMethods } from '../../../src/modules/dispatcher/rpc-handlers';
import { shared } from '../../helpers/paths';
import { must } from '../../helpers/at';

/** /work/shared/golden, resolved from dist/test/unit/dispatcher. */
export const GOLDEN = shared('golden');

export function golden(name: string): string {
  return fs.readFileSync(path.join(GOLDEN, name), 'utf8');
}

export function params(over: Record<string, string | number> = {}): DsParams {
  const p = defaultParams();
  for (const [k, v] of Object.entries(over)) setParam(p, k, v);
  return p;
}

/** A controllable clock (ms). */
export class FakeClock {
  constructor(public ms = 1_700_000_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Resolves any name except *.invalid to 192.0.2.<n>, n from the name; no network. */
export const fakeResolver = {
  resolveHost: async (host: string): Promise<string | null> => {
    if (host.endsWith('.invalid')) return null;
    let n = 0;
    for (const ch of host) n = (n * 31 + ch.charCodeAt(0)) % 250;
    return `192.0.2.${n + 1}`;
  },
};

export async function engineFrom(
  text: string,
  over: Record<string, string | number> = {},
  opts: Partial<DispatcherOptions> = {},
): Promise<Dispatcher> {
  const e = new Dispatcher({ params: params(over), rng: seededRng(42), resolver: fakeResolver, ...opts });
  await e.loadInitial({ text, fileName: 'test.list' });
  return e;
}

export function req(over: Partial<DsRequestView> = {}): DsRequestView {
  return {
    callId: 'call-1@host',
    method: 'INVITE',
    fromUri: 'sip:alice@a.example',
    toUri: 'sip:bob@b.example',
    ruri: 'sip:bob@example.com',
    authUsername: null,
    hashPvarValue: null,
    duIsSet: false,
    ...over,
  };
}

/** URIs of a set in array order. */
export function setUris(list: DsList | null, id: number): string[] {
  return list?.byId.get(id)?.dests.map((d) => d.uri) ?? [];
}

/** Set ids in list (AVL post-) order. */
export function setOrder(list: DsList | null): number[] {
  return list?.sets.map((s) => s.id) ?? [];
}

/**
 * Minimal kamcmd (binrpc text) renderer, to compare structures with captured kamcmd output.
 * binrpc carries a double as trunc(v * 1000), so kamcmd shows at most 3 real decimals
 * (checked against Kamailio 5.6.3: STD 2.645751 in JSON is "2.645000" in kamcmd).
 */
export function renderKamcmd(v: unknown): string {
  const out: string[] = [];
  const fmt = (x: unknown): string => {
    if (x === null || x === undefined) return '<null string>';
    if (typeof x === 'number') {
      const t = Number.isInteger(x) ? x : Math.trunc(x * 1000) / 1000;
      return Number.isInteger(t) ? String(t) : t.toFixed(6);
    }
    return String(x);
  };
  const walk = (x: unknown, depth: number, name: string | null): void => {
    const ind = '\t'.repeat(depth);
    if (x !== null && typeof x === 'object') {
      out.push(ind + (name === null ? '{' : `${name}: {`));
      if (Array.isArray(x)) {
        for (const el of x) {
          const [first] = Object.entries(el as object);
          if (first) walk(first[1], depth + 1, first[0]);
        }
      } else {
        for (const [k, val] of Object.entries(x as Record<string, unknown>)) walk(val, depth + 1, k);
      }
      out.push(ind + '}');
    } else {
      out.push(ind + (name === null ? '' : `${name}: `) + fmt(x));
    }
  };
  walk(v, 0, null);
  return out.join('\n') + '\n';
}

const RPC_NAMES = [
  'dispatcher.add',
  'dispatcher.hash',
  'dispatcher.list',
  'dispatcher.ping_active',
  'dispatcher.reload',
  'dispatcher.remove',
  'dispatcher.set_duid_state',
  'dispatcher.set_state',
] as const;

/** The engine's RPC methods the tests call, each checked present, so a call site needs no guard. */
export function rpcMethods(e: Dispatcher): Record<(typeof RPC_NAMES)[number], DsRpcHandler> {
  const m = dispatcherRpcMethods(e);
  return Object.fromEntries(RPC_NAMES.map((n) => [n, must(m[n], `RPC method ${n}`)])) as Record<
    (typeof RPC_NAMES)[number],
    DsRpcHandler
  >;
}
