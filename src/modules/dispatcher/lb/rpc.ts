/**
 * RPC methods of the dsd extensions: dispatcher.drain / undrain (and _duid), explain and
 * the dry-run reload. Parameters are scanned like the other dispatcher.* methods.
 */
import { DsRpcError } from '../errors';
import { rpcScan } from '../rpc-scan';
import type { LbEngine } from './host';
import type { DsRequestView } from '../request';
import type { ReloadSource } from '../list-manager';
import { activeDialogs, applyDrainChange, DRAIN_OK, UNDRAIN_OK } from './operations';
import { type DrainChange, drainChange } from './drain';
import { explain, ExplainResult } from './explain';
import type { DryRunResult } from './dry-run';

export type LbRpcHandler = (params: readonly unknown[], persist: boolean) => unknown | Promise<unknown>;

/** What the methods need besides the engine (the runtime supplies it). */
export interface LbRpcHost {
  readonly ds: LbEngine & { reloadDryRun(source?: ReloadSource): Promise<DryRunResult> };
  /** Builds the request view of a synthetic request (hash_pvar expanded over it). */
  explainView(req: ExplainRequest): DsRequestView;
  /** The source a dry-run reload reads (undefined: the list file; a database reports its bad rows in it). */
  reloadSource(): Promise<ReloadSource | undefined>;
  /** A drain/undrain was applied here: spread it (the cluster), as set_state's change is. */
  changed?(change: DrainChange, persist: boolean): void | Promise<void>;
}

export interface ExplainRequest {
  readonly method: string;
  readonly ruri: string | null;
  readonly from: string | null;
  readonly to: string | null;
  readonly callid: string | null;
  /** --pv NAME=VALUE: NAME in hash_pvar reads VALUE. */
  readonly pv: { name: string; value: string } | null;
}

const invalid = (detail: string): DsRpcError => DsRpcError.of('invalidParameters', detail);

/** Longest --wait accepted (a day): a drain is a maintenance step, not a daemon. */
const MAX_DRAIN_WAIT_SEC = 86400;
const WAIT_POLL_MS = 200;

function waitForZero(ds: LbEngine, group: number, uris: readonly string[], seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  const left = (): number => {
    const set = ds.list?.byId.get(group);
    if (set === undefined) return 0;
    let n = 0;
    for (const d of set.dests) if (uris.some((u) => u.toLowerCase() === d.uri.toLowerCase())) n += activeDialogs(ds, d);
    return n;
  };
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const n = left();
      if (n === 0) {
        resolve(0);
        return;
      }
      if (Date.now() >= deadline) {
        reject(DsRpcError.of('drainTimeout', `${n} active dialog(s) left after ${seconds}s`));
        return;
      }
      setTimeout(tick, WAIT_POLL_MS).unref();
    };
    tick();
  });
}

function drainMethod(host: LbRpcHost, on: boolean, byDuid: boolean): LbRpcHandler {
  return async (params, persist) => {
    const s = rpcScan(params, on ? 'dS*d' : 'dS');
    const what = byDuid ? 'duid' : 'address';
    if (s.count < 2)
      throw invalid(
        `usage: dispatcher.${on ? '' : 'un'}drain${byDuid ? '_duid' : ''} group ${what}|all${on ? ' [wait]' : ''}`,
      );
    const [group, target] = s.values as [number, string];
    const wait = s.count > 2 ? (s.values[2] as number) : null;
    if (wait !== null && (wait < 0 || wait > MAX_DRAIN_WAIT_SEC))
      throw invalid(`wait must be 0..${MAX_DRAIN_WAIT_SEC} seconds`);
    const change = drainChange(on, byDuid, group, target);
    const dests = applyDrainChange(host.ds, change, persist, Date.now());
    await host.changed?.(change, persist);
    if (!on) return UNDRAIN_OK;
    if (wait === null) return DRAIN_OK;
    await waitForZero(
      host.ds,
      group,
      dests.map((d) => d.uri),
      wait,
    );
    return `${DRAIN_OK} No active dialogs left.`;
  };
}

function explainMethod(host: LbRpcHost): LbRpcHandler {
  return (params) => {
    const s = rpcScan(params, 'dd*dSSSSSS');
    if (s.count < 2)
      throw invalid('usage: dispatcher.explain set alg [limit] [ruri] [from] [to] [callid] [method] [pv]');
    const v = s.values as [number, number, number?, string?, string?, string?, string?, string?, string?];
    const opt = (x: string | undefined): string | null => (x === undefined || x.length === 0 ? null : x);
    for (const x of v.slice(3))
      if (typeof x === 'string' && /[\r\n\0]/.test(x)) throw invalid('header values may not contain CR, LF or NUL');
    let pv: ExplainRequest['pv'] = null;
    const pvText = opt(v[8]);
    if (pvText !== null) {
      const eq = pvText.indexOf('=');
      if (eq <= 0) throw invalid(`pv must be NAME=VALUE, got "${pvText}"`);
      pv = { name: pvText.slice(0, eq), value: pvText.slice(eq + 1) };
    }
    const method = (opt(v[7]) ?? 'INVITE').toUpperCase();
    if (!/^[A-Z]+$/.test(method)) throw invalid(`bad method "${method}"`);
    const view = host.explainView({ method, ruri: opt(v[3]), from: opt(v[4]), to: opt(v[5]), callid: opt(v[6]), pv });
    return explain(host.ds, v[0], v[1], view, v[2] ?? 0) satisfies ExplainResult;
  };
}

/** dispatcher.reload dry-run: the diff and whether the reload would be accepted. */
export async function reloadDryRun(host: LbRpcHost): Promise<DryRunResult> {
  return host.ds.reloadDryRun(await host.reloadSource());
}

export function lbRpcMethods(host: LbRpcHost): Record<string, LbRpcHandler> {
  return {
    'dispatcher.drain': drainMethod(host, true, false),
    'dispatcher.undrain': drainMethod(host, false, false),
    'dispatcher.drain_duid': drainMethod(host, true, true),
    'dispatcher.undrain_duid': drainMethod(host, false, true),
    'dispatcher.explain': explainMethod(host),
  };
}
