/**
 * The DB loader on a real PostgreSQL (a throwaway cluster started by this file), plus
 * what only a server can do: wrong password, unknown database, the server going down at
 * start and at reload.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DbError, DbListSource, DEFAULT_TABLE, loadAtStart, runDbInit } from '../../src/db';
import { backendSuite, collectLog, engine, exec, listText } from './backend-suite';
import { DB_PASSWORD, missingPostgres, PgServer, startPostgres } from './helpers';
import { fixtureStatements } from '../fixtures/db/capture';

const skip = missingPostgres();
if (skip) process.stderr.write(`# skipping the PostgreSQL tests: ${skip}\n`);
let pg: PgServer | null = null;
let n = 0;

before(async () => {
  if (!skip) pg = await startPostgres();
});
after(async () => {
  await pg?.destroy();
});

backendSuite({ backend: 'postgres', skip, fresh: () => pg!.createDatabase(`t${++n}`) });

test(
  'postgres: wrong password, unknown database and a closed port are DbErrors without the password',
  { skip: skip ?? false },
  async () => {
    const src = (url: string): DbListSource => new DbListSource({ url, table: DEFAULT_TABLE, loadMode: 0 });
    await assert.rejects(
      src(pg!.url('dsd', 'Wr0ng:pa@ss')).load(),
      (e: Error) =>
        e instanceof DbError &&
        e.kind === 'auth' &&
        e.message.startsWith(`database postgres://dsd:***@127.0.0.1:${pg!.port}/dsd: cannot connect: `) &&
        /password authentication failed/.test(e.message) &&
        !e.message.includes('Wr0ng'),
    );
    await assert.rejects(
      src(pg!.url('nosuchdb')).load(),
      (e: Error) =>
        e instanceof DbError && e.kind === 'connect' && /nosuchdb/.test(e.message) && !e.message.includes(DB_PASSWORD),
    );
    await assert.rejects(
      src(`postgres://dsd:${DB_PASSWORD}@127.0.0.1:1/dsd`).load(),
      (e: Error) =>
        e instanceof DbError &&
        e.kind === 'connect' &&
        /ECONNREFUSED/.test(e.message) &&
        !e.message.includes(DB_PASSWORD),
    );
  },
);

test(
  'postgres: down at reload the load throws and the running set stays; down at start: exit or start empty',
  { skip: skip ?? false },
  async () => {
    const url = await pg!.createDatabase('down');
    await runDbInit(url);
    await exec(url, ...fixtureStatements());
    const src = new DbListSource({ url, table: DEFAULT_TABLE, loadMode: 0 });
    const ds = engine();
    await ds.loadInitial(await src.source());
    const before = await listText(ds);
    await pg!.stop();
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
        /^error dispatcher: database postgres:\/\/dsd:\*\*\*@127\.0\.0\.1:\d+\/down: cannot connect: .*ds_db_start_empty=1/,
      );
      await assert.rejects(loadAtStart(src, { startEmpty: false }), DbError);
    } finally {
      await pg!.start();
    }
    await exec(url, "INSERT INTO dispatcher (id, setid, destination) VALUES (8, 4, 'sip:10.4.4.4')");
    await ds.reload(await src.source());
    assert.deepEqual(ds.list!.sets.map((s) => s.id).sort(), [1, 2, 3, 4]);
  },
);
