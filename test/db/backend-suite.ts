/**
 * The loader tests every backend runs (SQLite, PostgreSQL, MySQL), against a real server:
 * `dsd db init`, rows → records in DB order, the Kamailio fixture byte for byte, extra
 * attrs, bad rows, ds_load_mode 1, missing schema, the --persist writes.
 * Each test gets a fresh, empty database from `fresh()`.
 */
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DbError, parseDbUrl, withDb } from '../../src/db';
import {
  DbListSource,
  DbLog,
  DEFAULT_TABLE,
  DsTableConfig,
  deleteDestination,
  insertDestination,
  loadAtStart,
  persistDestinationState,
  runDbInit,
  tableConfigFromParams,
} from '../../src/modules/dispatcher/db';
import { Dispatcher } from '../../src/modules/dispatcher/engine';
import { dispatcherRpcMethods } from '../../src/modules/dispatcher/rpc-handlers';
import { defaultParams, setParam } from '../../src/modules/dispatcher/params';
import { ListLoadError } from '../../src/modules/dispatcher/errors';
import { renderKamcmd } from '../../src/cli/render/kamcmd';
import { fixtureStatements, FIXTURE_DIR, Backend } from '../fixtures/db/capture';
import { DB_PASSWORD } from './helpers';
import { at, must } from '../helpers/at';

export interface SuiteTarget {
  readonly backend: Backend;
  /** A fresh empty database; returns its db_url. */
  fresh(): Promise<string>;
  /** Why the backend's tests are skipped (server binaries missing), or null. */
  readonly skip?: string | null;
}

export const silentLog = { info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };

export function collectLog(): {
  lines: string[];
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
} {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

export async function exec(url: string, ...sql: string[]): Promise<void> {
  await withDb(url, async (db) => {
    for (const s of sql) await db.exec(s);
  });
}

export function engine(over: Record<string, string | number> = {}, log?: (l: string, m: string) => void): Dispatcher {
  const p = defaultParams();
  for (const [k, v] of Object.entries(over)) setParam(p, k, v);
  return new Dispatcher({ params: p, log });
}

export async function listText(ds: Dispatcher): Promise<string> {
  return renderKamcmd(await must(dispatcherRpcMethods(ds)['dispatcher.list'], 'dispatcher.list')([]));
}

export function fixture(backend: Backend): string {
  return fs.readFileSync(path.join(FIXTURE_DIR, `${backend}-kamcmd.txt`), 'utf8');
}

function source(url: string, table: DsTableConfig = DEFAULT_TABLE, loadMode = 0, log: DbLog = silentLog): DbListSource {
  return new DbListSource({ url, table, loadMode, log });
}

/** The backend's plain SQL for a nullable copy of the dispatcher table (legacy / hand-made). */
function looseTable(backend: Backend): string {
  const id =
    backend === 'mysql'
      ? 'INT AUTO_INCREMENT PRIMARY KEY'
      : backend === 'postgres'
        ? 'SERIAL PRIMARY KEY'
        : 'INTEGER PRIMARY KEY';
  return `CREATE TABLE ds_loose (id ${id}, setid INTEGER, destination VARCHAR(192), flags INTEGER, priority INTEGER, attrs VARCHAR(128))`;
}

export function backendSuite(t: SuiteTarget): void {
  const b = t.backend;
  const test = (name: string, fn: () => Promise<void>): void => {
    nodeTest(name, { skip: t.skip ?? false }, fn);
  };

  test(`${b}: dsd db init creates Kamailio's schema once; a second run changes nothing`, async () => {
    const url = await t.fresh();
    const lines: string[] = [];
    const first = await runDbInit(url, { log: (l) => lines.push(l) });
    assert.deepEqual(first.created, [
      'table version',
      'version row version=1',
      'table dispatcher',
      'version row dispatcher=4',
    ]);
    assert.deepEqual(first.existed, []);
    assert.ok(lines.some((l) => l.startsWith('created table dispatcher')));
    assert.ok(lines.every((l) => !l.includes(DB_PASSWORD)));
    const second = await runDbInit(url);
    assert.deepEqual(second.created, []);
    assert.deepEqual(second.existed, ['table version', 'table dispatcher', 'version row dispatcher=4']);
    await withDb(url, async (db) => {
      const v = await db.queryArrays('select table_name, table_version from version order by table_name');
      assert.deepEqual(
        v.map((r) => [r[0], Number(r[1])]),
        [
          ['dispatcher', 4],
          ['version', 1],
        ],
      );
      // The Kamailio 5.6 columns, defaults included: an INSERT of only a destination works.
      await db.exec("INSERT INTO dispatcher (destination) VALUES ('sip:10.9.9.9')");
      const r = await db.query('select id, setid, destination, flags, priority, attrs, description from dispatcher');
      assert.equal(r.length, 1);
      const row = at(r, 0);
      assert.deepEqual(
        [Number(row.setid), Number(row.flags), Number(row.priority), row.attrs, row.description],
        [0, 0, 0, '', ''],
      );
    });
  });

  test(`${b}: rows load in DB order and dispatcher.list prints what Kamailio 5.6 printed (fixture)`, async () => {
    const url = await t.fresh();
    await runDbInit(url);
    await exec(url, ...fixtureStatements());
    const r = await source(url).load();
    assert.equal(r.version, 4);
    assert.equal(r.rowCount, 7);
    const ids = r.records.map((x) => Number(x.origin.replace('dispatcher id ', '')));
    // PostgreSQL hands the UPDATEd row 1 back last; SQLite and MySQL keep primary key order.
    assert.deepEqual(ids, b === 'postgres' ? [2, 3, 4, 5, 6, 7, 1] : [1, 2, 3, 4, 5, 6, 7]);
    const ds = engine();
    await ds.loadInitial({ records: r.records });
    assert.equal(await listText(ds), fixture(b));
  });

  test(`${b}: ds_db_extra_attrs appends name=value; for non-empty extra columns`, async () => {
    const url = await t.fresh();
    await runDbInit(url);
    await exec(
      url,
      'ALTER TABLE dispatcher ADD COLUMN xsock VARCHAR(64)',
      'ALTER TABLE dispatcher ADD COLUMN xnum INTEGER',
      "INSERT INTO dispatcher (id, setid, destination, attrs, xsock, xnum) VALUES (1, 1, 'sip:10.0.0.1', 'weight=5', 'lan', 7)",
      "INSERT INTO dispatcher (id, setid, destination, attrs, xsock, xnum) VALUES (2, 1, 'sip:10.0.0.2', '', '', NULL)",
      "INSERT INTO dispatcher (id, setid, destination, attrs, xsock, xnum) VALUES (3, 1, 'sip:10.0.0.3', 'duid=c;', NULL, 0)",
    );
    const p = defaultParams();
    setParam(p, 'ds_db_extra_attrs', 'sockname=xsock;n=xnum');
    const r = await source(url, tableConfigFromParams(p, parseDbUrl(url).masked)).load();
    assert.deepEqual(
      r.records.map((x) => x.attrs),
      ['weight=5;sockname=lan;n=7;', '', 'duid=c;n=0;'],
    );
  });

  test(`${b}: a broken row is skipped with a warning naming its id; ds_load_mode 1 refuses the load`, async () => {
    const url = await t.fresh();
    await runDbInit(url);
    await exec(
      url,
      looseTable(b),
      "INSERT INTO version (table_name, table_version) VALUES ('ds_loose', 4)",
      "INSERT INTO ds_loose (id, setid, destination, flags, priority, attrs) VALUES (1, 1, 'sip:10.0.0.1', 0, 0, '')",
      "INSERT INTO ds_loose (id, setid, destination, flags, priority, attrs) VALUES (2, 1, NULL, 0, 0, '')",
      "INSERT INTO ds_loose (id, setid, destination, flags, priority, attrs) VALUES (3, NULL, 'sip:10.0.0.3', 0, 0, '')",
      "INSERT INTO ds_loose (id, setid, destination, flags, priority, attrs) VALUES (4, 1, 'sip:[10.0.0.4', 0, 0, '')",
      "INSERT INTO ds_loose (id, setid, destination, flags, priority, attrs) VALUES (5, 1, 'sip:10.0.0.5', NULL, NULL, NULL)",
    );
    const table = { ...DEFAULT_TABLE, table: 'ds_loose' };
    const log = collectLog();
    const r = await source(url, table, 0, log).load();
    assert.deepEqual(r.warnings, [
      'ds_loose id 2: destination is NULL -- skipping',
      'ds_loose id 3: setid is NULL -- skipping',
    ]);
    assert.ok(log.lines.includes('warn dispatcher: ds_loose id 2: destination is NULL -- skipping'));
    assert.deepEqual(
      r.records.map((x) => x.origin),
      ['ds_loose id 1', 'ds_loose id 4', 'ds_loose id 5'],
    );
    // The engine skips the broken URI of id 4, naming it, and keeps the rest.
    const msgs: string[] = [];
    const ds = engine({}, (_l, m) => msgs.push(m));
    const rep = await ds.loadInitial({ records: r.records });
    assert.equal(rep.destinations, 2);
    assert.ok(
      msgs.some((m) => m.startsWith('ds_loose id 4: ') && m.endsWith('-- skipping')),
      msgs.join('\n'),
    );
    // ds_load_mode 1: the DB-level bad row refuses the load…
    await assert.rejects(
      source(url, table, 1).load(),
      (e: Error) => e instanceof ListLoadError && /ds_loose id 2: destination is NULL/.test(e.message),
    );
    // …and so does the broken URI, in the engine, with the running set kept.
    await exec(url, 'DELETE FROM ds_loose WHERE id IN (2, 3)');
    const strict = engine({ ds_load_mode: 1 });
    await strict.loadInitial({
      records: [{ setId: 9, uri: 'sip:10.9.9.9', flags: 0, priority: 0, attrs: null, origin: 'x' }],
    });
    const again = await source(url, table, 1).load();
    await assert.rejects(strict.reload({ records: again.records }), /Reload Failed/);
    assert.deepEqual(
      strict.list!.sets.map((s) => s.id),
      [9],
    );
  });

  test(`${b}: missing schema and missing table are DbErrors with the masked URL`, async () => {
    const url = await t.fresh();
    await assert.rejects(
      source(url).load(),
      (e: Error) =>
        e instanceof DbError &&
        e.kind === 'schema' &&
        e.message.includes('dsd db init') &&
        !e.message.includes(DB_PASSWORD) &&
        e.message.includes(parseDbUrl(url).masked),
    );
    await runDbInit(url);
    await exec(url, 'DROP TABLE dispatcher');
    await assert.rejects(
      source(url).load(),
      (e: Error) =>
        e instanceof DbError &&
        e.kind === 'schema' &&
        /cannot load table "dispatcher"/.test(e.message) &&
        !e.message.includes(DB_PASSWORD),
    );
    await exec(url, "DELETE FROM version WHERE table_name = 'dispatcher'");
    await assert.rejects(
      source(url).load(),
      (e: Error) => e instanceof DbError && e.kind === 'version' && /found 0/.test(e.message),
    );
    // ds_db_start_empty: an unreadable table at start gives an empty list and a log line.
    const log = collectLog();
    assert.deepEqual(await loadAtStart(source(url), { startEmpty: true, log }), { records: [] });
    assert.ok(log.lines.some((l) => l.startsWith('error dispatcher: database ') && l.includes('ds_db_start_empty')));
    await assert.rejects(loadAtStart(source(url), { startEmpty: false }), DbError);
  });

  test(`${b}: --persist writes: add inserts, set_state rewrites the state bits, remove deletes`, async () => {
    const url = await t.fresh();
    await runDbInit(url);
    await exec(url, "INSERT INTO dispatcher VALUES(1,1,'sip:10.0.0.1:5060',16,0,'duid=one','')");
    await withDb(url, async (db) => {
      const ins = await insertDestination(db, DEFAULT_TABLE, {
        setId: 1,
        uri: 'sip:10.0.0.2:5060',
        flags: 8,
        priority: 3,
        attrs: 'duid=two;weight=10',
      });
      assert.equal(ins.id, 2);
      assert.equal((await persistDestinationState(db, DEFAULT_TABLE, 1, 'SIP:10.0.0.1:5060', 1 | 8, false)).updated, 1);
      assert.equal((await persistDestinationState(db, DEFAULT_TABLE, 1, 'TWO', 4, true)).updated, 1);
      assert.equal((await persistDestinationState(db, DEFAULT_TABLE, 7, 'all', 4, false)).updated, 0);
    });
    let r = await source(url).load();
    assert.deepEqual(r.records.map((x) => [x.uri, x.flags, x.priority, x.attrs]).sort(), [
      ['sip:10.0.0.1:5060', 16 | 1 | 8, 0, 'duid=one'],
      ['sip:10.0.0.2:5060', 4, 3, 'duid=two;weight=10'],
    ]);
    await withDb(url, async (db) => {
      assert.deepEqual(await deleteDestination(db, DEFAULT_TABLE, 1, 'sip:10.0.0.2:5060'), { deleted: 1, ids: [2] });
      assert.equal((await deleteDestination(db, DEFAULT_TABLE, 1, 'sip:10.0.0.2:5060')).deleted, 0);
      // The exact URI, after the sip: fix-up on both sides.
      await db.exec("INSERT INTO dispatcher (setid, destination) VALUES (1, '10.0.0.3:5060')");
      assert.equal((await deleteDestination(db, DEFAULT_TABLE, 1, 'sip:10.0.0.3:5060')).deleted, 1);
    });
    r = await source(url).load();
    assert.deepEqual(
      r.records.map((x) => x.uri),
      ['sip:10.0.0.1:5060'],
    );
  });
}
