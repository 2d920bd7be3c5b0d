/**
 * The SQL on dsd's cluster tables (schema.ts): node rows (heartbeats, each node's view of
 * its destinations) and admin-state rows. Times come from the database clock (now()), so
 * nodes with skewed clocks still agree on who is gone.
 */

import type { AdminStateEntry } from '../modules/dispatcher/admin-state';
import type { DbQueryable } from '../db/driver';
import type { ClusterTables } from './schema';

/** One destination as a node sees it (cluster.list dest). */
export interface DestStateView {
  readonly set: number;
  readonly uri: string;
  /** dispatcher.list FLAGS, e.g. AP, IP, DX. */
  readonly flags: string;
}

export interface ClusterNodeInfo {
  readonly name: string;
  readonly address: string;
  readonly version: string;
  readonly lastHeartbeat: Date;
  /** Seconds since the last heartbeat (by the database clock). */
  readonly ageSec: number;
  readonly state: 'up' | 'gone';
  /** The node asking. */
  readonly self: boolean;
  /** Destination states from its last heartbeat (null when it sent none). */
  readonly dests: DestStateView[] | null;
}

export interface NodeRow {
  readonly name: string;
  readonly address: string;
  readonly version: string;
  /** JSON of DestStateView[], or null. */
  readonly destStates: string | null;
}

/** Seconds since `name` last heartbeated and whether it stopped cleanly (null: never seen). */
export async function lastHeartbeat(
  db: DbQueryable,
  t: ClusterTables,
  name: string,
): Promise<{ ageSec: number; stopped: boolean } | null> {
  const r = await db.query<{ age: string; stopped: boolean }>(
    `SELECT EXTRACT(EPOCH FROM (now() - last_heartbeat)) AS age, stopped FROM ${t.nodes} WHERE name = ?`,
    [name],
  );
  const row = r[0];
  return row ? { ageSec: Number(row.age), stopped: row.stopped } : null;
}

/** Insert-or-refresh of a node row; `starting` also resets started_at. */
export async function writeNodeRow(db: DbQueryable, t: ClusterTables, n: NodeRow, starting: boolean): Promise<void> {
  await db.exec(
    `INSERT INTO ${t.nodes} (name, address, version, started_at, last_heartbeat, stopped, dest_states)
    VALUES (?, ?, ?, now(), now(), false, ?)
    ON CONFLICT (name) DO UPDATE SET address = EXCLUDED.address, version = EXCLUDED.version,
      last_heartbeat = now(), stopped = false, dest_states = EXCLUDED.dest_states${starting ? ', started_at = now()' : ''}`,
    [n.name, n.address, n.version, n.destStates],
  );
}

export async function markStopped(db: DbQueryable, t: ClusterTables, name: string): Promise<void> {
  await db.exec(`UPDATE ${t.nodes} SET stopped = true, last_heartbeat = now() WHERE name = ?`, [name]);
}

/** Every node, by name; gone = stopped or silent for more than goneAfterSec. */
export async function readNodes(
  db: DbQueryable,
  t: ClusterTables,
  goneAfterSec: number,
  self: string,
): Promise<ClusterNodeInfo[]> {
  const rows = await db.query<{
    name: string;
    address: string;
    version: string;
    last_heartbeat: Date;
    age: string;
    stopped: boolean;
    dest_states: string | null;
  }>(
    `SELECT name, address, version, last_heartbeat, EXTRACT(EPOCH FROM (now() - last_heartbeat)) AS age, stopped, dest_states
     FROM ${t.nodes} ORDER BY name`,
  );
  return rows.map((r) => {
    const age = Number(r.age);
    let dests: DestStateView[] | null = null;
    try {
      dests = r.dest_states ? (JSON.parse(r.dest_states) as DestStateView[]) : null;
    } catch {
      dests = null;
    }
    return {
      name: r.name,
      address: r.address,
      version: r.version,
      lastHeartbeat: new Date(r.last_heartbeat),
      ageSec: age,
      state: r.stopped || age > goneAfterSec ? 'gone' : 'up',
      self: r.name === self,
      dests,
    };
  });
}

/** The admin states, oldest first (import order = the order they were decided). */
export async function readAdminStates(db: DbQueryable, t: ClusterTables): Promise<AdminStateEntry[]> {
  const rows = await db.query<{ set_id: number; kind: string; target: string; state: string; at_ms: string }>(
    `SELECT set_id, kind, target, state, at_ms FROM ${t.adminState} ORDER BY at_ms, set_id, target_key`,
  );
  return rows.map((r) =>
    r.kind === 'd'
      ? { setId: r.set_id, duid: r.target, state: r.state, at: Number(r.at_ms) }
      : { setId: r.set_id, uri: r.target, state: r.state, at: Number(r.at_ms) },
  );
}

/** Upserts admin states; an older decision never replaces a newer one (at_ms). */
export async function upsertAdminStates(
  tx: DbQueryable,
  t: ClusterTables,
  states: readonly AdminStateEntry[],
  origin: string,
): Promise<void> {
  for (const e of states) {
    const kind = e.duid !== undefined ? 'd' : 'u';
    const target = (e.duid ?? e.uri) as string;
    await tx.exec(
      `INSERT INTO ${t.adminState} (set_id, kind, target, target_key, state, at_ms, origin) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (set_id, kind, target_key) DO UPDATE SET target = EXCLUDED.target, state = EXCLUDED.state,
        at_ms = EXCLUDED.at_ms, origin = EXCLUDED.origin WHERE ${t.adminState}.at_ms <= EXCLUDED.at_ms`,
      [e.setId, kind, target, target.toLowerCase(), e.state, Math.trunc(e.at), origin],
    );
  }
}

/** A removed destination's URI admin state (and its drain by URI). */
async function deleteAdminState(tx: DbQueryable, t: ClusterTables, setId: number, uri: string): Promise<void> {
  for (const table of [t.adminState, t.drain])
    await tx.exec(`DELETE FROM ${table} WHERE set_id = ? AND kind = 'u' AND target_key = ?`, [
      setId,
      uri.toLowerCase(),
    ]);
}

/** One dsd_drain row: a drain (or an undrain, draining false) by URI or duid. */
export interface DrainRow {
  readonly setId: number;
  /** Exactly one of uri / duid. */
  readonly uri?: string;
  readonly duid?: string;
  readonly draining: boolean;
  /** When it was decided (clock ms). */
  readonly at: number;
}

/** The drains in force (draining rows), oldest first. */
export async function readDrains(db: DbQueryable, t: ClusterTables): Promise<DrainRow[]> {
  const rows = await db.query<{ set_id: number; kind: string; target: string; at_ms: string }>(
    `SELECT set_id, kind, target, at_ms FROM ${t.drain} WHERE draining ORDER BY at_ms, set_id, target_key`,
  );
  return rows.map((r) =>
    r.kind === 'd'
      ? { setId: r.set_id, duid: r.target, draining: true, at: Number(r.at_ms) }
      : { setId: r.set_id, uri: r.target, draining: true, at: Number(r.at_ms) },
  );
}

/** Upserts drain rows; an older decision never replaces a newer one (at_ms). */
export async function upsertDrains(
  tx: DbQueryable,
  t: ClusterTables,
  rows: readonly DrainRow[],
  origin: string,
): Promise<void> {
  for (const r of rows) {
    const kind = r.duid !== undefined ? 'd' : 'u';
    const target = (r.duid ?? r.uri) as string;
    await tx.exec(
      `INSERT INTO ${t.drain} (set_id, kind, target, target_key, draining, at_ms, origin) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (set_id, kind, target_key) DO UPDATE SET target = EXCLUDED.target, draining = EXCLUDED.draining,
        at_ms = EXCLUDED.at_ms, origin = EXCLUDED.origin WHERE ${t.drain}.at_ms <= EXCLUDED.at_ms`,
      [r.setId, kind, target, target.toLowerCase(), r.draining, Math.trunc(r.at), origin],
    );
  }
}

/**
 * Admin-state rows deleted with an event: a removed destination's URI row, or what
 * dispatcher.clear_overrides names (every row, a set's, or the set's rows for one URI or duid).
 */
export type ForgetSpec =
  | { readonly setId: number; readonly uri: string }
  | { readonly clear: true; readonly setId: number | null; readonly target: string | null };

export async function forgetAdminStates(tx: DbQueryable, t: ClusterTables, f: ForgetSpec): Promise<void> {
  if (!('clear' in f)) return deleteAdminState(tx, t, f.setId, f.uri);
  if (f.setId === null) await tx.exec(`DELETE FROM ${t.adminState}`);
  else if (f.target === null) await tx.exec(`DELETE FROM ${t.adminState} WHERE set_id = ?`, [f.setId]);
  else
    await tx.exec(`DELETE FROM ${t.adminState} WHERE set_id = ? AND target_key = ?`, [f.setId, f.target.toLowerCase()]);
}
