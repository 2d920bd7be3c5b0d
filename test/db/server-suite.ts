/**
 * What only a database server can do, for PostgreSQL and MySQL alike: refuse a wrong
 * password, an unknown database or a closed port (a DbError that never quotes the
 * password), and go down at reload (the running set stays) or at start (exit, or start
 * empty with ds_db_start_empty).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DbError } from '../../src/db';
import { DbListSource, DEFAULT_TABLE, loadAtStart, runDbInit } from '../../src/modules/dispatcher/db';
import { collectLog, engine, exec, listText } from './backend-suite';
import { DB_PASSWORD } from './helpers';
import { fixtureStatements } from '../fixtures/db/capture';

/** The part of PgServer and MyServer the cases use. */
export interface DbServer {
  readonly port: number;
  url(db?: string, password?: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface ServerTarget {
  readonly scheme: 'postgres' | 'mysql';
  readonly skip: string | null;
  server(): DbServer;
  /** How the server words a wrong password. */
  readonly badPassword: RegExp;
  /** The DbError kinds an unknown database may give (MariaDB checks grants first: auth). */
  readonly unknownDbKinds: string[];
}

export function serverSuite(t: ServerTarget): void {
  const opts = { skip: t.skip ?? false };
  const { scheme } = t;

  test(
    `${scheme}: wrong password, unknown database and a closed port are DbErrors without the password`,
    opts,
    async () => {
      const s = t.server();
      const src = (url: string): DbListSource => new DbListSource({ url, table: DEFAULT_TABLE, loadMode: 0 });
      await assert.rejects(
        src(s.url('dsd', 'Wr0ng:pa@ss')).load(),
        (e: Error) =>
          e instanceof DbError &&
          e.kind === 'auth' &&
          e.message.startsWith(`database ${scheme}://dsd:***@127.0.0.1:${s.port}/dsd: cannot connect: `) &&
          t.badPassword.test(e.message) &&
          !e.message.includes('Wr0ng'),
      );
      await assert.rejects(
        src(s.url('nosuchdb')).load(),
        (e: Error) =>
          e instanceof DbError &&
          t.unknownDbKinds.includes(e.kind) &&
          /nosuchdb/.test(e.message) &&
          !e.message.includes(DB_PASSWORD),
      );
      await assert.rejects(
        src(`${scheme}://dsd:${DB_PASSWORD}@127.0.0.1:1/dsd`).load(),
        (e: Error) =>
          e instanceof DbError &&
          e.kind === 'connect' &&
          /ECONNREFUSED/.test(e.message) &&
          !e.message.includes(DB_PASSWORD),
      );
    },
  );

  test(
    `${scheme}: down at reload the load throws and the running set stays; down at start: exit or start empty`,
    opts,
    async () => {
      const s = t.server();
      const url = await s.createDatabase('down');
      await runDbInit(url);
      await exec(url, ...fixtureStatements());
      const src = new DbListSource({ url, table: DEFAULT_TABLE, loadMode: 0 });
      const ds = engine();
      await ds.loadInitial(await src.source());
      const before = await listText(ds);
      await s.stop();
      try {
        await assert.rejects(
          src.source(),
          (e: Error) => e instanceof DbError && e.kind === 'connect' && !e.message.includes(DB_PASSWORD),
        );
        assert.equal(await listText(ds), before);
        const log = collectLog();
        assert.deepEqual(await loadAtStart(src, { startEmpty: true, log }), { records: [] });
        assert.match(
          log.lines[0]!,
          new RegExp(
            `^error dispatcher: database ${scheme}://dsd:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/down: cannot connect: .*ds_db_start_empty=1`,
          ),
        );
        await assert.rejects(loadAtStart(src, { startEmpty: false }), DbError);
      } finally {
        await s.start();
      }
      await exec(url, "INSERT INTO dispatcher (id, setid, destination) VALUES (8, 4, 'sip:10.4.4.4')");
      await ds.reload(await src.source());
      assert.deepEqual(ds.list!.sets.map((x) => x.id).sort(), [1, 2, 3, 4]);
    },
  );
}
