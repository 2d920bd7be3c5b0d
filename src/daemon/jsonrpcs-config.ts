// jsonrpcs' settings from the loaded cfg (null when the module is not loaded); a bad
// dgram_socket is a startup error.
import type { DaemonConfig } from './config';
import { readJsonrpcsConfig, type JsonrpcsConfig } from '../modules/jsonrpcs/config';

export function jsonrpcsConfig(cfg: DaemonConfig, runtimeDir: string | null): JsonrpcsConfig | null {
  const m = cfg.compiled.modules.get('jsonrpcs');
  return m ? readJsonrpcsConfig(m, runtimeDir) : null;
}
