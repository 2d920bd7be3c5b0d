/**
 * The dispatcher module's own parameter table (param_export_t): Kamailio's dispatcher
 * modparams (params.ts) and dsd's ds_admin_state_file and ds_rpc_persist. The tables of
 * the dispatcher's backends (db/, cluster/, metrics/) sit beside it under the same
 * module name, each in its own folder.
 */
import path from 'node:path';
import type { ParamExport, ParamKind } from '../../core/modparams';
import { defaultParams, PARAM_SPECS, setParam, type DsParams } from './params';

export interface DispatcherSettings {
  readonly ds: DsParams;
  /** ds_admin_state_file, absolute; null: the default next to the control socket. */
  readonly stateFile: string | null;
  /** ds_rpc_persist: dispatcher.add/remove/set_state write back to the list file by default. */
  readonly persistDefault: boolean;
}

const kinds: Record<string, ParamKind> = { ds_admin_state_file: 'str', ds_rpc_persist: 'int' };
for (const [name, spec] of Object.entries(PARAM_SPECS)) kinds[name] = spec.kind === 'int' ? 'int' : 'str';

export const DISPATCHER_PARAMS: ParamExport<DispatcherSettings> = {
  module: 'dispatcher',
  kinds,
  read(params, dir) {
    const ds = defaultParams();
    let stateFile: string | null = null;
    let persistDefault = false;
    let listFile = false;
    for (const { name, value } of params) {
      if (name === 'ds_admin_state_file') stateFile = path.resolve(dir, String(value));
      else if (name === 'ds_rpc_persist') persistDefault = Number(value) !== 0;
      else if (name === 'list_file') {
        setParam(ds, name, path.resolve(dir, String(value)));
        listFile = true;
      } else setParam(ds, name, value);
    }
    if (!listFile) setParam(ds, 'list_file', path.join(dir, 'dispatcher.list'));
    return { ds, stateFile, persistDefault };
  },
};
