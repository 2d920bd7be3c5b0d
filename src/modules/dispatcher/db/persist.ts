/**
 * `--persist` when the list lives in the database: dispatcher.add inserts a row,
 * dispatcher.remove deletes the matching rows, set_state / set_duid_state rewrite the
 * state bits of the flags column — each in one transaction, so a reload or a restart
 * (of dsd, or of a Kamailio reading the same table) keeps the change.
 *
 * Rows are matched like the RPC matches destinations: remove by exact URI (after the
 * `sip:` fix-up Kamailio applies to both sides), set_state by case-insensitive URI,
 * set_duid_state by the duid attribute, `all` for every row of the set.
 *
 * Note for PostgreSQL: an UPDATE writes a new row version, which the next plain SELECT
 * returns at a different place; equal-priority destinations may then come out in another
 * order (for dsd and for a Kamailio alike). That is why cluster admin states live in a
 * table of dsd's own and never touch this one.
 */

import { parseAttrs } from '../attrs';
import { parseDestinationUri } from '../destination-uri';
import { DS_DISABLED_DST, DS_INACTIVE_DST, DS_PROBING_DST, DS_TRYING_DST } from '../flags';
import { DbError } from '../../../db/errors';
import { DbDriver, DbQueryable, quoteIdent } from '../../../db/driver';
import { DsTableConfig } from './table-config';

export interface NewDestination {
  readonly setId: number;
  readonly uri: string;
  readonly flags?: number;
  readonly priority?: number;
  readonly attrs?: string | null;
  /** Written only when given (the column is Kamailio's, dsd never reads it). */
  readonly description?: string;
}

const STATE_BITS = DS_INACTIVE_DST | DS_TRYING_DST | DS_DISABLED_DST | DS_PROBING_DST;

function normalized(uri: string): string {
  const p = parseDestinationUri(uri);
  return 'error' in p ? uri : p.uri;
}

function wrap(db: DbDriver, what: string, e: unknown): DbError {
  if (e instanceof DbError) return new DbError(e.kind, db.url.masked, what, e.driverMessage ?? e.message, e.driverCode);
  return new DbError('query', db.url.masked, what, (e as Error).message);
}

/** INSERT of one destination (dispatcher.add --persist). Returns the new row id. */
export async function insertDestination(
  db: DbDriver,
  t: DsTableConfig,
  d: NewDestination,
): Promise<{ id: number | null }> {
  const q = (n: string): string => quoteIdent(db.kind, n);
  const cols = [t.setidCol, t.destinationCol, t.flagsCol, t.priorityCol, t.attrsCol];
  const vals: (string | number)[] = [d.setId, d.uri, d.flags ?? 0, d.priority ?? 0, d.attrs ?? ''];
  if (d.description !== undefined) {
    cols.push('description');
    vals.push(d.description);
  }
  const sql = `INSERT INTO ${q(t.table)} (${cols.map(q).join(',')}) VALUES (${cols.map(() => '?').join(',')})`;
  try {
    return await db.transaction(async (tx) => {
      if (db.kind === 'postgres') return { id: await insertPg(tx, t, cols, vals) };
      return { id: (await tx.exec(sql, vals)).lastInsertId };
    });
  } catch (e) {
    throw wrap(db, `cannot insert ${d.uri} into set ${d.setId} of table "${t.table}"`, e);
  }
}

/**
 * PostgreSQL: rows inserted with explicit ids (`INSERT INTO dispatcher VALUES(1,…)`, the
 * usual way) leave the SERIAL sequence behind, so a plain INSERT would collide. Take
 * MAX(id)+1 under a lock that still lets plain SELECTs (loads) run, and move the sequence
 * past it so the operator's own id-less INSERTs keep working.
 */
async function insertPg(tx: DbQueryable, t: DsTableConfig, cols: string[], vals: (string | number)[]): Promise<number> {
  await tx.exec(`LOCK TABLE ${t.table} IN EXCLUSIVE MODE`);
  const r = await tx.query<{ id: number }>(
    `INSERT INTO ${t.table} (id,${cols.join(',')}) VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM ${t.table}),${cols.map(() => '?').join(',')}) RETURNING id`,
    vals,
  );
  const row = r[0];
  if (!row) throw new DbError('query', t.table, 'INSERT … RETURNING id returned no row');
  const id = Number(row.id);
  await tx.query("SELECT setval(s, ?) FROM pg_get_serial_sequence(?, 'id') AS s WHERE s IS NOT NULL", [id, t.table]);
  return id;
}

async function idsWhere(
  tx: DbQueryable,
  db: DbDriver,
  t: DsTableConfig,
  setId: number,
  match: (dest: string, attrs: string | null) => boolean,
): Promise<number[]> {
  const q = (n: string): string => quoteIdent(db.kind, n);
  const rows = await tx.queryArrays(
    `select ${q('id')},${q(t.destinationCol)},${q(t.attrsCol)} from ${q(t.table)} where ${q(t.setidCol)}=?`,
    [setId],
  );
  return rows.filter((r) => match(String(r[1] ?? ''), r[2] === null ? null : String(r[2]))).map((r) => Number(r[0]));
}

/** DELETE of every row of set `setId` whose URI is exactly `uri` (dispatcher.remove --persist). */
export async function deleteDestination(
  db: DbDriver,
  t: DsTableConfig,
  setId: number,
  uri: string,
): Promise<{ deleted: number; ids: number[] }> {
  const q = (n: string): string => quoteIdent(db.kind, n);
  const want = normalized(uri);
  try {
    return await db.transaction(async (tx) => {
      const ids = await idsWhere(tx, db, t, setId, (dest) => normalized(dest) === want);
      let deleted = 0;
      for (const id of ids) deleted += (await tx.exec(`DELETE FROM ${q(t.table)} WHERE ${q('id')}=?`, [id])).changes;
      return { deleted, ids };
    });
  } catch (e) {
    throw wrap(db, `cannot delete ${uri} from set ${setId} of table "${t.table}"`, e);
  }
}

/**
 * set_state / set_duid_state --persist: the state bits (inactive 1, trying 2, disabled 4,
 * probing 8) of the matching rows' flags are replaced by `stateBits`; other bits (16 = no
 * DNS at load) stay. `target` is a URI, a duid (byDuid) or `all`.
 */
export async function persistDestinationState(
  db: DbDriver,
  t: DsTableConfig,
  setId: number,
  target: string,
  stateBits: number,
  byDuid: boolean,
): Promise<{ updated: number; ids: number[] }> {
  const q = (n: string): string => quoteIdent(db.kind, n);
  const lc = target.toLowerCase();
  const wantUri = byDuid ? '' : normalized(target).toLowerCase();
  const match = (dest: string, attrs: string | null): boolean => {
    if (target === 'all') return true;
    if (!byDuid) return normalized(dest).toLowerCase() === wantUri;
    const a = parseAttrs(attrs);
    return a.ok && a.attrs.duid !== null && a.attrs.duid.toLowerCase() === lc;
  };
  try {
    return await db.transaction(async (tx) => {
      const ids = await idsWhere(tx, db, t, setId, match);
      let updated = 0;
      for (const id of ids) {
        updated += (
          await tx.exec(
            `UPDATE ${q(t.table)} SET ${q(t.flagsCol)} = (${q(t.flagsCol)} - (${q(t.flagsCol)} % 16)) + ? WHERE ${q('id')}=?`,
            [stateBits & STATE_BITS, id],
          )
        ).changes;
      }
      return { updated, ids };
    });
  } catch (e) {
    throw wrap(db, `cannot write the state of ${target} in set ${setId} of table "${t.table}"`, e);
  }
}
