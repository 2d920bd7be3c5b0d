// The ctl module's limits from the cfg (dsd's own modparams, Kamailio's values by default).
import type { LoadedModule } from '../script/modules-load';
import { CTL_DEFAULTS } from '../modules/ctl/script';

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
