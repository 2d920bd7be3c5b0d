/**
 * dsd's cluster modparams (Kamailio has none of these):
 *
 *   modparam("dispatcher", "ds_cluster", 1)               # share reloads/admin states
 *   modparam("dispatcher", "ds_cluster_node", "lb1")      # unique name (default: host name/first listen)
 *   modparam("dispatcher", "ds_cluster_channel", "dsd_cluster")  # NOTIFY channel
 *   modparam("dispatcher", "ds_cluster_heartbeat", 5)     # seconds between heartbeats
 *   modparam("dispatcher", "ds_cluster_gone_after", 15)   # seconds without one: "gone"
 *
 * ds_cluster needs a postgres:// db_url.
 */

import { ParamError } from '../modules/dispatcher/errors';
import { DbError } from '../db/errors';
import type { DbUrl } from '../db/url';
import type { ParamExport } from '../core/modparams';

export interface ClusterParams {
  enabled: boolean;
  /** null: the daemon derives one (host name + first listen address). */
  nodeName: string | null;
  channel: string;
  heartbeatSec: number;
  /** null: 3 × heartbeatSec. */
  goneAfterSec: number | null;
}

export function defaultClusterParams(): ClusterParams {
  return { enabled: false, nodeName: null, channel: 'dsd_cluster', heartbeatSec: 5, goneAfterSec: null };
}

/** This table's modparams under modparam("dispatcher", …). */
export const CLUSTER_PARAMS: ParamExport<ClusterParams> = {
  module: 'dispatcher',
  kinds: {
    ds_cluster: 'int',
    ds_cluster_node: 'str',
    ds_cluster_channel: 'str',
    ds_cluster_heartbeat: 'int',
    ds_cluster_gone_after: 'int',
  },
  read(params) {
    const p = defaultClusterParams();
    for (const { name, value } of params) setClusterParam(p, name, value);
    return p;
  },
};

function int(name: string, v: string | number, min: number): number {
  const n = typeof v === 'number' ? v : /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new ParamError(name, `expects an integer, got "${v}"`);
  if (n < min) throw new ParamError(name, `must be >= ${min}, got ${n}`);
  return n;
}

/** modparam("dispatcher", name, value) for a name of CLUSTER_PARAMS; throws ParamError. */
function setClusterParam(p: ClusterParams, name: string, value: string | number): void {
  switch (name) {
    case 'ds_cluster': {
      const n = int(name, value, 0);
      if (n > 1) throw new ParamError(name, `must be 0 or 1, got ${n}`);
      p.enabled = n === 1;
      return;
    }
    case 'ds_cluster_node':
      if (typeof value !== 'string' || value.length === 0 || value.length > 128)
        throw new ParamError(name, 'expects a name of 1..128 characters');
      p.nodeName = value;
      return;
    case 'ds_cluster_channel':
      if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(value))
        throw new ParamError(name, `expects an identifier, got "${value}"`);
      p.channel = value;
      return;
    case 'ds_cluster_heartbeat':
      p.heartbeatSec = int(name, value, 1);
      return;
    case 'ds_cluster_gone_after':
      p.goneAfterSec = int(name, value, 1);
      return;
    default:
      throw new ParamError(name, 'unknown dispatcher parameter');
  }
}

export function goneAfter(p: ClusterParams): number {
  return p.goneAfterSec ?? 3 * p.heartbeatSec;
}

/** ds_cluster 1 without a PostgreSQL db_url is a config error (throws DbError 'config'). */
export function checkClusterConfig(p: ClusterParams, url: DbUrl | null): void {
  if (!p.enabled) return;
  if (url === null)
    throw new DbError(
      'config',
      '(no db_url)',
      'modparam("dispatcher", "ds_cluster", 1) needs modparam("dispatcher", "db_url", "postgres://…")',
    );
  if (url.kind !== 'postgres')
    throw new DbError(
      'config',
      url.masked,
      'modparam("dispatcher", "ds_cluster", 1) needs a postgres:// db_url (LISTEN/NOTIFY)',
    );
}
