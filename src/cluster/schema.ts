/**
 * dsd's own cluster tables (PostgreSQL), beside Kamailio's `dispatcher` table which they
 * never touch:
 *
 * - dsd_admin_state: the cluster's admin decisions (dispatcher.set_state /
 *   set_duid_state), one row per (set, uri|duid) — what a node that starts later applies.
 * - dsd_nodes: one row per node, refreshed by its heartbeat, with the destination states
 *   as that node sees them (for `cluster.list dest`).
 * - dsd_drain: dispatcher.drain / undrain (dsd extension), one row per (set, uri|duid);
 *   an undrain keeps its row with draining false, so an older drain never wins over it.
 *   A table of its own rather than a state value in dsd_admin_state: a destination can be
 *   both set to `ip` and draining, queries on admin states (older nodes, clear_overrides)
 *   never meet a drain, and no reader of states has to skip a value it does not know.
 *   Kamailio and its tools read none of these tables.
 *
 * Created when the first node starts (IF NOT EXISTS, under an advisory lock so two nodes
 * starting together do not race).
 */

import type { DbQueryable } from '../db/driver';

export interface ClusterTables {
  readonly adminState: string;
  readonly nodes: string;
  readonly drain: string;
}

export const DEFAULT_CLUSTER_TABLES: ClusterTables = {
  adminState: 'dsd_admin_state',
  nodes: 'dsd_nodes',
  drain: 'dsd_drain',
};

/** Any fixed number: serializes schema creation between nodes. */
const SCHEMA_LOCK = 0x64736463; // "dsdc"

function clusterDdl(t: ClusterTables = DEFAULT_CLUSTER_TABLES): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t.adminState} (
    set_id INTEGER NOT NULL,
    kind CHAR(1) NOT NULL,
    target VARCHAR(255) NOT NULL,
    target_key VARCHAR(255) NOT NULL,
    state VARCHAR(4) NOT NULL,
    at_ms BIGINT NOT NULL,
    origin VARCHAR(128) NOT NULL DEFAULT '',
    PRIMARY KEY (set_id, kind, target_key)
)`,
    `CREATE TABLE IF NOT EXISTS ${t.nodes} (
    name VARCHAR(128) PRIMARY KEY NOT NULL,
    address VARCHAR(255) NOT NULL DEFAULT '',
    version VARCHAR(64) NOT NULL DEFAULT '',
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_heartbeat TIMESTAMPTZ NOT NULL DEFAULT now(),
    stopped BOOLEAN NOT NULL DEFAULT false,
    dest_states TEXT
)`,
    `CREATE TABLE IF NOT EXISTS ${t.drain} (
    set_id INTEGER NOT NULL,
    kind CHAR(1) NOT NULL,
    target VARCHAR(255) NOT NULL,
    target_key VARCHAR(255) NOT NULL,
    draining BOOLEAN NOT NULL,
    at_ms BIGINT NOT NULL,
    origin VARCHAR(128) NOT NULL DEFAULT '',
    PRIMARY KEY (set_id, kind, target_key)
)`,
  ];
}

export async function ensureClusterSchema(tx: DbQueryable, t: ClusterTables = DEFAULT_CLUSTER_TABLES): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(?)', [SCHEMA_LOCK]);
  for (const ddl of clusterDdl(t)) await tx.exec(ddl);
}
