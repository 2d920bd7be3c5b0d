import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DbError, versionTableDdl } from '../../../src/db';
import {
  DEFAULT_TABLE,
  dispatcherTableDdl,
  loadColumns,
  loadSql,
  tableConfigFromParams,
} from '../../../src/modules/dispatcher/db';
import { numberPlaceholders } from '../../../src/db/postgres';
import { defaultParams, setParam } from '../../../src/modules/dispatcher/params';

test("the load SELECT is Kamailio's: its columns per table version, no ORDER BY, backticks only on MySQL", () => {
  assert.equal(
    loadSql('postgres', DEFAULT_TABLE, 4, false),
    'select setid,destination,flags,priority,attrs from dispatcher ',
  );
  assert.equal(
    loadSql('sqlite', DEFAULT_TABLE, 4, true),
    'select setid,destination,flags,priority,attrs,id from dispatcher ',
  );
  assert.equal(
    loadSql('mysql', DEFAULT_TABLE, 4, true),
    'select `setid`,`destination`,`flags`,`priority`,`attrs`,`id` from `dispatcher` ',
  );
  assert.deepEqual(
    [1, 2, 3, 4].map((v) => loadColumns(DEFAULT_TABLE, v).length),
    [2, 3, 4, 5],
  );
  const p = defaultParams();
  setParam(p, 'table_name', 'ds_gw');
  setParam(p, 'setid_col', 'grp');
  setParam(p, 'ds_db_extra_attrs', 'sockname=sock_col;x=xcol;');
  const t = tableConfigFromParams(p);
  assert.equal(
    loadSql('postgres', t, 4, false),
    'select grp,destination,flags,priority,attrs,sock_col,xcol from ds_gw ',
  );
  // Extra attrs are a version 4 feature.
  assert.equal(loadSql('postgres', t, 3, false), 'select grp,destination,flags,priority from ds_gw ');
});

test('table and column modparams must be plain identifiers (no SQL through the cfg)', () => {
  for (const [name, v] of [
    ['table_name', 'dispatcher; DROP TABLE version'],
    ['attrs_col', 'a`b'],
    ['setid_col', '1abc'],
    ['flags_col', ''],
  ] as const) {
    const p = defaultParams();
    setParam(p, name, v);
    assert.throws(
      () => tableConfigFromParams(p, 'sqlite:///x'),
      (e: Error) =>
        e instanceof DbError && e.kind === 'config' && e.message.includes(`modparam("dispatcher", "${name}"`),
      name,
    );
  }
  const p = defaultParams();
  setParam(p, 'table_name', 'kamailio.dispatcher');
  assert.equal(tableConfigFromParams(p).table, 'kamailio.dispatcher');
  setParam(p, 'ds_db_extra_attrs', 'name=;');
  assert.throws(() => tableConfigFromParams(p), /ds_db_extra_attrs/);
  setParam(p, 'ds_db_extra_attrs', 'x=col-umn');
  assert.throws(() => tableConfigFromParams(p), /not a plain SQL identifier/);
});

test('DDL follows the *_col names; version table as standard-create.sql', () => {
  const t = { ...DEFAULT_TABLE, table: 'gw', destinationCol: 'uri' };
  assert.match(
    dispatcherTableDdl('postgres', t),
    /^CREATE TABLE gw \(\n {4}id SERIAL PRIMARY KEY NOT NULL,\n {4}setid INTEGER DEFAULT 0 NOT NULL,\n {4}uri VARCHAR\(192\) DEFAULT '' NOT NULL,/,
  );
  assert.match(dispatcherTableDdl('mysql'), /`id` INT\(10\) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL/);
  assert.match(versionTableDdl('sqlite'), /CONSTRAINT version_table_name_idx UNIQUE \(table_name\)/);
  assert.match(versionTableDdl('mysql'), /CONSTRAINT table_name_idx UNIQUE \(`table_name`\)/);
});

test('PostgreSQL placeholders are numbered outside quotes', () => {
  assert.equal(numberPlaceholders('select ? , \'?\', "a?b", ?'), 'select $1 , \'?\', "a?b", $2');
  assert.equal(numberPlaceholders('no params'), 'no params');
});
