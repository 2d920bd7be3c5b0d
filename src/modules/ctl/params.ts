/**
 * ctl's modparams, read once here (Kamailio's param_export_t): where the control socket
 * listens (`binrpc`: the first Unix stream address is the socket dsctl and kamcmd use,
 * every other one a binrpc-only listener), its file's `mode`, `user` and `group`, and
 * dsd's own limits `idle_timeout` and `max_connections` (Kamailio's values by default).
 */
import { ModParamError, lastValues, type ParamExport } from '../../core/modparams';
import { KAMAILIO_MODPARAMS } from '../../script/kamailio-signatures';
import { parseBinrpcAddress, type BinrpcAddress } from '../../control/binrpc/address';

const CTL_DEFAULTS = { idleTimeoutSec: 120, maxConnections: 128 } as const;

export interface CtlSocketAccess {
  /** File mode, default 0660. */
  readonly mode: number;
  readonly user: string | null;
  readonly group: string | null;
}

export interface CtlLimits {
  /** A connection silent this long is closed; 0 keeps it. */
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

export interface CtlParams {
  /** The control socket's path; null: none given (the default path applies). */
  readonly main: string | null;
  /** Further binrpc addresses (tcp:, udp:, unixd:, more unix paths): binrpc only. */
  readonly extra: BinrpcAddress[];
  readonly access: CtlSocketAccess;
  readonly limits: CtlLimits;
}

/** Kamailio takes the mode as an int; an octal-looking string (`"0660"`) is read as octal too. */
function parseCtlMode(v: unknown): number {
  const n = typeof v === 'number' ? v : /^0[0-7]+$/.test(String(v)) ? parseInt(String(v), 8) : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0o777)
    throw new ModParamError('ctl', 'mode', `${String(v)}: not a file mode`);
  return n;
}

export const CTL_PARAMS: ParamExport<CtlParams> = {
  module: 'ctl',
  kinds: { ...KAMAILIO_MODPARAMS.ctl, idle_timeout: 'int', max_connections: 'int' },
  read(params) {
    const all = params.filter((p) => p.name === 'binrpc').map((p) => parseBinrpcAddress(String(p.value)));
    const i = all.findIndex((a) => a.kind === 'unixs');
    const main = all[i];
    const last = lastValues(params);
    const mode = last.get('mode');
    const user = last.get('user');
    const group = last.get('group');
    const idle = last.get('idle_timeout');
    const max = last.get('max_connections');
    return {
      main: main?.kind === 'unixs' ? main.path : null,
      extra: all.filter((_, k) => k !== i),
      access: {
        mode: mode !== undefined ? parseCtlMode(mode) : 0o660,
        user: user !== undefined ? String(user) : null,
        group: group !== undefined ? String(group) : null,
      },
      limits: {
        idleTimeoutMs: (idle === undefined ? CTL_DEFAULTS.idleTimeoutSec : Number(idle)) * 1000,
        maxConnections: max === undefined ? CTL_DEFAULTS.maxConnections : Number(max),
      },
    };
  },
};
