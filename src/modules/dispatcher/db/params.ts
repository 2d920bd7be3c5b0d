/**
 * dsd's own dispatcher modparams for the database (Kamailio has no equivalent):
 *
 *   modparam("dispatcher", "ds_db_start_empty", 1)   # DB down at start: start with an
 *                                                    # empty list instead of exiting
 *
 * Kamailio's core `version_table` (default "version") is taken by the cfg engine.
 */

import { ParamError } from '../errors';
import type { ParamExport } from '../../../core/modparams';

export interface DsdDbParams {
  /** ds_db_start_empty: 1 = start with an empty list when the database is down. */
  startEmpty: boolean;
}

export function defaultDbParams(): DsdDbParams {
  return { startEmpty: false };
}

function int01(name: string, v: string | number): boolean {
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (n !== 0 && n !== 1) throw new ParamError(name, `must be 0 or 1, got ${v}`);
  return n === 1;
}

/** This table's modparams under modparam("dispatcher", …). */
export const DB_PARAMS: ParamExport<DsdDbParams> = {
  module: 'dispatcher',
  kinds: { ds_db_start_empty: 'int' },
  read(params) {
    const p = defaultDbParams();
    for (const { name, value } of params) setDsdDbParam(p, name, value);
    return p;
  },
};

/** modparam("dispatcher", name, value) for a name of DB_PARAMS; throws ParamError. */
function setDsdDbParam(p: DsdDbParams, name: string, value: string | number): void {
  if (name === 'ds_db_start_empty') {
    p.startEmpty = int01(name, value);
    return;
  }
  throw new ParamError(name, 'unknown dispatcher parameter');
}
