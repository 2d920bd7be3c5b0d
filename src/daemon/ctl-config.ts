// The ctl module's limits from the cfg (dsd's own modparams, Kamailio's values by default).
import type { LoadedModule } from '../script/modules-load';
import { CTL_DEFAULTS } from '../modules/ctl/script';
import { parseBinrpcAddress, type BinrpcAddress } from '../control/binrpc/address';

/**
 * ctl's binrpc addresses: the first Unix stream one is the control socket (dsctl and kamcmd;
 * null: none given, the default applies); every other one is a binrpc-only listener.
 */
export function readCtlAddresses(ctl: LoadedModule | undefined): { main: string | null; extra: BinrpcAddress[] } {
  const all = (ctl?.paramAll('binrpc') ?? []).map((v) => parseBinrpcAddress(String(v)));
  const i = all.findIndex((a) => a.kind === 'unixs');
  const mainAddr = i >= 0 ? all[i] : undefined;
  return { main: mainAddr && mainAddr.kind === 'unixs' ? mainAddr.path : null, extra: all.filter((_, k) => k !== i) };
}

export interface CtlLimits {
  /** A connection silent this long is closed; 0 keeps it. */
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

export function readCtlLimits(ctl: LoadedModule | undefined): CtlLimits {
  const idle = ctl?.param('idle_timeout');
  const max = ctl?.param('max_connections');
  return {
    idleTimeoutMs: (idle === undefined ? CTL_DEFAULTS.idleTimeoutSec : Number(idle)) * 1000,
    maxConnections: max === undefined ? CTL_DEFAULTS.maxConnections : Number(max),
  };
}
