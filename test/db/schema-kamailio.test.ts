/**
 * dsd db init's DDL against the schema files Kamailio's own packages install
 * (kamailio-{sqlite,postgres,mysql}-modules: /usr/share/kamailio/<db>/…-create.sql):
 * the CREATE TABLE statements must be the same text. Skipped outside CI where the packages
 * are not installed; .ci/run installs them (the backend tests check the resulting columns and defaults everywhere).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { unlessCi } from '../helpers/require';
import { versionTableDdl } from '../../src/db';
import { dispatcherTableDdl } from '../../src/modules/dispatcher/db';
import type { DbKind } from '../../src/db';
import { at } from '../helpers/at';

const DIRS: [DbKind, string][] = [
  ['sqlite', 'db_sqlite'],
  ['postgres', 'postgres'],
  ['mysql', 'mysql'],
];

for (const [kind, dir] of DIRS) {
  const base = `/usr/share/kamailio/${dir}`;
  const present = fs.existsSync(`${base}/dispatcher-create.sql`) && fs.existsSync(`${base}/standard-create.sql`);
  test(
    `${kind}: CREATE TABLE dispatcher / version are kamdbctl's`,
    {
      skip: present
        ? false
        : unlessCi(`${base} not installed (apt-get install kamailio-${kind === 'sqlite' ? 'sqlite' : kind}-modules)`),
    },
    () => {
      const first = (file: string): string => at(fs.readFileSync(file, 'utf8').split(';'), 0).trim();
      assert.equal(dispatcherTableDdl(kind), first(`${base}/dispatcher-create.sql`));
      assert.equal(versionTableDdl(kind), first(`${base}/standard-create.sql`));
      // And the version rows kamdbctl inserts.
      assert.match(fs.readFileSync(`${base}/dispatcher-create.sql`, 'utf8'), /values \('dispatcher','4'\)/);
      assert.match(fs.readFileSync(`${base}/standard-create.sql`, 'utf8'), /values \('version','1'\)/);
    },
  );
}
