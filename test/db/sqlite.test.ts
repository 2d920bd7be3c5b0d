/**
 * The DB loader on SQLite (embedded: nothing to start). Also the SQLite-only parts: the
 * schema created at start for a file that does not exist yet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DbError, withDb } from '../../src/db';
import { DbListSource, DEFAULT_TABLE, ensureSqliteSchema } from '../../src/modules/dispatcher/db';
import { backendSuite, silentLog } from './backend-suite';
import { at } from '../helpers/at';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-sqlite-'));
let n = 0;
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

backendSuite({ backend: 'sqlite', fresh: async () => `sqlite://${path.join(dir, `t${++n}.db`)}` });

test('sqlite: a db_url naming a missing file gets the schema at start, with a log line; an existing file is left alone', async () => {
  const file = path.join(dir, 'embedded.db');
  const lines: string[] = [];
  assert.equal(await ensureSqliteSchema(`sqlite://${file}`, { log: (l) => lines.push(l) }), true);
  assert.match(
    at(lines, 0),
    /^SQLite database .*embedded\.db did not exist: created it with table version, version row version=1, table dispatcher, version row dispatcher=4$/,
  );
  const r = await new DbListSource({
    url: `sqlite://${file}`,
    table: DEFAULT_TABLE,
    loadMode: 0,
    log: silentLog,
  }).load();
  assert.equal(r.rowCount, 0);
  assert.equal(await ensureSqliteSchema(`sqlite://${file}`, { log: (l) => lines.push(l) }), false);
  assert.equal(lines.length, 1);
  // A missing directory is an error naming the file, not a crash.
  await assert.rejects(
    ensureSqliteSchema(`sqlite://${dir}/no/such/dir/x.db`),
    (e: Error) => e instanceof DbError && e.kind === 'connect' && e.message.includes('no/such/dir/x.db'),
  );
});

test('sqlite: a file that is not a database is a clear error', async () => {
  const file = path.join(dir, 'junk.db');
  fs.writeFileSync(file, 'this is not sqlite '.repeat(100));
  await assert.rejects(
    new DbListSource({ url: `sqlite://${file}`, table: DEFAULT_TABLE, loadMode: 0 }).load(),
    (e: Error) => e instanceof DbError && /junk\.db/.test(e.message) && /not a database/.test(e.message),
  );
  await assert.rejects(
    withDb(`sqlite://${file}`, (db) => db.query('select 1')),
    DbError,
  );
});
