/**
 * DB rows → records (ds_load_db()): rows are taken in DB order; table version 1 has
 * only setid+destination, 2 adds flags, 3 priority, 4 attrs plus ds_db_extra_attrs
 * columns appended to attrs as `name=value;`.
 */

import { parseParamList } from './attrs';
import { ListLoadError } from './errors';
import { DsRecordInput } from './list-file';

export interface DbRow {
  readonly setid: number;
  readonly destination: string;
  readonly flags?: number | null;
  readonly priority?: number | null;
  readonly attrs?: string | null;
  /** Values of the ds_db_extra_attrs columns, in parameter order (null = SQL NULL). */
  readonly extra?: readonly (string | number | null)[];
}

export interface ExtraAttr {
  /** Attribute name to write. */
  readonly name: string;
  /** DB column to read. */
  readonly column: string;
}

/** ds_db_extra_attrs "aname=column;...": null when malformed (mod_init fails). */
export function parseExtraAttrsParam(s: string | null): ExtraAttr[] | null {
  if (s === null || s.length <= 2) return [];
  const t = s.endsWith(';') ? s.slice(0, -1) : s;
  const parsed = parseParamList(t);
  if ('error' in parsed) return null;
  const out: ExtraAttr[] = [];
  for (const p of parsed.params) {
    if (p.value === null || p.value.length === 0) return null;
    out.push({ name: p.name, column: p.value });
  }
  return out;
}

const ATTRS_MAX = 1024;

/**
 * Appends non-empty extra column values as `name=value;` (a `;` is added to non-empty
 * attrs first). Throws RangeError when the result would not fit Kamailio's 1024-byte buffer.
 */
export function appendExtraAttrs(
  attrs: string | null,
  extras: readonly ExtraAttr[],
  values: readonly (string | number | null)[],
): string | null {
  if (extras.length === 0) return attrs;
  let out = attrs ?? '';
  if (out.length > 0 && !out.endsWith(';')) out += ';';
  for (const [i, extra] of extras.entries()) {
    const v = values[i];
    if (v === null || v === undefined || String(v).length === 0) continue;
    const piece = `${extra.name}=${v};`;
    if (out.length + piece.length >= ATTRS_MAX - 1) throw new RangeError('cannot build attrs buffer (over 1023 chars)');
    out += piece;
  }
  return out.length === 0 ? attrs : out;
}

/** Records from DB rows, in DB order. An attrs overflow fails the whole load, as in Kamailio. */
export function recordsFromDbRows(
  rows: readonly DbRow[],
  extras: readonly ExtraAttr[] = [],
  table = 'dispatcher',
): DsRecordInput[] {
  return rows.map((r, i) => {
    const origin = `${table} row ${i + 1}`;
    let attrs: string | null;
    try {
      attrs = appendExtraAttrs(r.attrs ?? null, extras, r.extra ?? []);
    } catch (e) {
      throw new ListLoadError(`${origin}: ${(e as Error).message}`, []);
    }
    return {
      setId: r.setid | 0,
      uri: r.destination,
      flags: (r.flags ?? 0) | 0,
      priority: (r.priority ?? 0) | 0,
      attrs,
      origin,
    };
  });
}
