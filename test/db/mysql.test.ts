/**
 * The DB loader on a real MySQL-compatible server (MariaDB, started by this file), plus
 * what only a server can do: wrong password, unknown database, the server going down at
 * start and at reload.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DbError, DbListSource, DEFAULT_TABLE, loadAtStart, runDbInit } from '../../src/db';
import { backendSuite, collectLog, engine, exec, listText } from './backend-suite';
import { DB_PASSWORD, missingMariadb, MyServer, startMariadb } from './helpers';
import { fixtureStatements } from '../fixtures/db/capture';

const skip = missingMariadb();
if (skip) process.stderr.write(`# skipping the MySQL tests: ${skip}\n`);
let my: MyServer | null = null;
let n = 0;

before(async () => {
  if (!skip) my = await startMariadb();
});
after(async () => {
  await my?.destroy();
});

backendSuite({ backend: 'mysql', skip, fresh: () => my!.createDatabase(`t${++n}`) });

test(
  'mysql: wrong password, unknown database and a closed port are DbErrors without the password',
  { skip: skip ?? false },
  async () => {
    const src = (url: string): DbListSource => new DbListSource({ url, table: DEFAULT_TABLE, loadMode: 0 });
    await assert.rejects(
      src(my!.url('dsd', 'Wr0ng:pa@ss')).load(),
      (e: Error) =>
        e instanceof DbError &&
        e.kind === 'auth' &&
        e.message.startsWith(`database mysql://dsd:***@127.0.0.1:${my!.port}/dsd: cannot connect: `) &&
        /Access denied/.test(e.message) &&
        !e.message.includes('Wr0ng'),
    );
    await assert.rejects(
      src(my!.url('nosuchdb')).load(),
      (e: Error) =>
        e instanceof DbError &&
        (e.kind === 'connect' || e.kind === 'auth') &&
        /nosuchdb/.test(e.message) &&
        !e.message.includes(DB_PASSWORD),
    );
    await assert.rejects(
      src(`mysql://dsd:${DB_PASSWORD}@127.0.0.1:1/dsd`).load(),
      (e: Error) =>
        e instanceof DbError &&
        e.kind === 'connect' &&
        /ECONNREFUSED/.test(e.message) &&
        !e.message.includes(DB_PASSWORD),
    );
  },
);

test(
  'mysql: down at reload the load throws and the running set stays; down at start: exit or start empty',
  { skip: skip ?? false },
  async () => {
    const url = await my!.createDatabase('down');
    await runDbInit(url);
    await exec(url, ...fixtureStatements());
    const src = new DbListSource({ url, table: DEFAULT_TABLE, loadMode: 0 });
    const ds = engine();
    await ds.loadInitial(await src.source());
    const before = await listText(ds);
    await my!.stop();
    try {
      await assert.rejects(
        src.source(),
        (e: Error) => e instanceof DbError && e.kind === 'connect' && !e.message.includes(DB_PASSWORD),
      );
      assert.equal(await listText(ds), before);
      const log = collectLog();
      assert.deepEqual(await loadAtStart(src, { startEmpty: true, log }), { records: [] });
      assert.match(
        log.lines[0],
        /^error dispatcher: database mysql:\/\/dsd:\*\*\*@127\.0\.0\.1:\d+\/down: cannot connect: .*ds_db_start_empty=1/,
      );
      await assert.rejects(loadAtStart(src, { startEmpty: false }), DbError);
    } finally {
      await my!.start();
    }
    await exec(url, "INSERT INTO dispatcher (id, setid, destination) VALUES (8, 4, 'sip:10.4.4.4')");
    await ds.reload(await src.source());
    assert.deepEqual(ds.list!.sets.map((s) => s.id).sort(), [1, 2, 3, 4]);
  },
);
