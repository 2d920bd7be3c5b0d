/**
 * dsd db init's accounting DDL against acc-create.sql as Kamailio's packages install it
 * (kamailio-{sqlite,postgres,mysql}-modules: /usr/share/kamailio/<db>/acc-create.sql):
 * the same statements, in the same order, with the same version rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { LoadedModule } from '../../src/script';
import { readAccParams } from '../../src/modules/acc/params';
import { accTableDdl, accCdrsDdl } from '../../src/modules/acc/schema';
import { unlessCi } from '../helpers/require';
import type { DbKind } from '../../src/db';

const DIRS: [DbKind, string][] = [
  ['sqlite', 'db_sqlite'],
  ['postgres', 'postgres'],
  ['mysql', 'mysql'],
];

for (const [kind, dir] of DIRS) {
  const file = `/usr/share/kamailio/${dir}/acc-create.sql`;
  test(
    `${kind}: acc, acc_cdrs and missed_calls are acc-create.sql's`,
    { skip: fs.existsSync(file) ? false : unlessCi(`${file} not installed`) },
    () => {
      const stmts = fs
        .readFileSync(file, 'utf8')
        .split(';')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const ddl = stmts.filter((s) => !s.startsWith('INSERT'));
      const p = readAccParams(new LoadedModule('acc', true, { file: 't', line: 1, col: 1 }));
      assert.deepEqual(
        [...accTableDdl(kind, 'acc', p), ...accCdrsDdl(kind), ...accTableDdl(kind, 'missed_calls', p)],
        ddl,
      );
      const versions = stmts
        .filter((s) => s.startsWith('INSERT'))
        .map((s) => /values \('(\w+)','(\d+)'\)/.exec(s)!.slice(1).join('='));
      assert.deepEqual(versions, ['acc=5', 'acc_cdrs=2', 'missed_calls=4']);
    },
  );
}
