/**
 * Which table and columns hold the destinations: the dispatcher modparams table_name,
 * setid_col, destination_col, flags_col, priority_col, attrs_col and ds_db_extra_attrs.
 * Kamailio pastes these names into its SQL unquoted (MySQL: in backticks), so dsd only
 * accepts plain identifiers (letters, digits, `_`, `$`, one optional `schema.` prefix);
 * anything else would be SQL injection through the cfg.
 */

import { DbError } from '../../../db/errors';
import { parseExtraAttrsParam } from '../db-rows';
import type { ExtraAttr } from '../db-rows';
import type { DsParams } from '../params';

export interface DsTableConfig {
  readonly table: string;
  readonly setidCol: string;
  readonly destinationCol: string;
  readonly flagsCol: string;
  readonly priorityCol: string;
  readonly attrsCol: string;
  /** ds_db_extra_attrs: `aname=column` pairs, in parameter order. */
  readonly extraAttrs: readonly ExtraAttr[];
  /** Kamailio's core `version_table` (default "version"). */
  readonly versionTable: string;
}

export type DsTableParams = Pick<
  DsParams,
  'table_name' | 'setid_col' | 'destination_col' | 'flags_col' | 'priority_col' | 'attrs_col' | 'ds_db_extra_attrs'
>;

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;

function isPlainIdentifier(s: string): boolean {
  return s.length <= 64 && IDENT.test(s);
}

/** The default: Kamailio's `dispatcher` table as kamdbctl creates it. */
export const DEFAULT_TABLE: DsTableConfig = {
  table: 'dispatcher',
  setidCol: 'setid',
  destinationCol: 'destination',
  flagsCol: 'flags',
  priorityCol: 'priority',
  attrsCol: 'attrs',
  extraAttrs: [],
  versionTable: 'version',
};

/**
 * Table settings from the dispatcher modparams. Throws DbError (kind 'config') naming the
 * modparam whose value is not a plain identifier or a malformed ds_db_extra_attrs.
 */
export function tableConfigFromParams(
  p: DsTableParams,
  maskedUrl = '(db_url)',
  versionTable = 'version',
): DsTableConfig {
  const check = (param: string, v: string): string => {
    if (!isPlainIdentifier(v)) {
      throw new DbError(
        'config',
        maskedUrl,
        `modparam("dispatcher", "${param}", "${v}") is not a plain SQL identifier`,
      );
    }
    return v;
  };
  const extras = parseExtraAttrsParam(p.ds_db_extra_attrs);
  if (extras === null) {
    throw new DbError(
      'config',
      maskedUrl,
      `modparam("dispatcher", "ds_db_extra_attrs", "${p.ds_db_extra_attrs}") must be "name=column;…"`,
    );
  }
  for (const x of extras) check('ds_db_extra_attrs', x.column);
  return {
    table: check('table_name', p.table_name),
    setidCol: check('setid_col', p.setid_col),
    destinationCol: check('destination_col', p.destination_col),
    flagsCol: check('flags_col', p.flags_col),
    priorityCol: check('priority_col', p.priority_col),
    attrsCol: check('attrs_col', p.attrs_col),
    extraAttrs: extras,
    versionTable: check('version_table', versionTable),
  };
}
