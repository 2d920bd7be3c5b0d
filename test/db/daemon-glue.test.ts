/**
 * DispatcherDb, the object the daemon wires (see src/daemon/db-glue.ts), on SQLite:
 * cfg checks, the embedded default, the start policy, reload faults and --persist.
 * The cluster half runs in cluster.test.ts (it needs PostgreSQL).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DbError, withDb } from '../../src/db';
import { defaultDbParams } from '../../src/modules/dispatcher/db';
import { dbInitCommand, DispatcherDb } from '../../src/daemon/db-glue';
import { defaultClusterParams } from '../../src/cluster';
import { defaultParams, setParam } from '../../src/modules/dispatcher/params';
import { DsRpcError } from '../../src/modules/dispatcher/errors';
import { Dispatcher } from '../../src/modules/dispatcher/engine';
import { collectLog, exec } from './backend-suite';
import { fixtureStatements } from '../fixtures/db/capture';
import { at } from '../helpers/at';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-glue-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

function options(
  dbUrl: string | null,
  over: { modules?: string[]; cluster?: boolean; startEmpty?: boolean; params?: Record<string, string | number> } = {},
) {
  const ds = defaultParams();
  if (dbUrl !== null) setParam(ds, 'db_url', dbUrl);
  for (const [k, v] of Object.entries(over.params ?? {})) setParam(ds, k, v);
  const db = defaultDbParams();
  db.startEmpty = over.startEmpty ?? false;
  const cluster = defaultClusterParams();
  cluster.enabled = over.cluster ?? false;
  const log = collectLog();
  return {
    ds,
    db,
    cluster,
    loadedModules: over.modules ?? ['tm', 'db_sqlite', 'dispatcher'],
    log,
    version: 'dsd test',
    address: 'udp:127.0.0.1:5060',
  };
}

function runtime(ds: Dispatcher) {
  const changes: string[] = [];
  return {
    ds,
    changes,
    reload: (s?: Parameters<Dispatcher['reload']>[0]) => ds.reload(s),
    listChanged: (k: string, ok: boolean) => {
      changes.push(`${k}:${ok}`);
    },
  };
}

test('DispatcherDb.create: null without db_url; cfg errors are DbErrors with the masked URL', async () => {
  const o = options(null, { modules: ['tm', 'db_mysql.so', 'dispatcher'] });
  assert.equal(await DispatcherDb.create(o), null);
  assert.deepEqual(o.log.lines, [
    `warn dispatcher: loadmodule "db_mysql.so" has no effect without modparam("dispatcher", "db_url", …): destinations come from ${o.ds.list_file}`,
  ]);
  await assert.rejects(
    DispatcherDb.create(options(null, { cluster: true })),
    /ds_cluster", 1\) needs modparam\("dispatcher", "db_url"/,
  );
  await assert.rejects(
    DispatcherDb.create(options('postgres://u:secret@127.0.0.1:1/d', { modules: ['db_mysql'] })),
    (e: Error) => e instanceof DbError && e.kind === 'module' && !e.message.includes('secret'),
  );
  await assert.rejects(
    DispatcherDb.create(options(`sqlite://${dir}/c.db`, { cluster: true })),
    /needs a postgres:\/\/ db_url/,
  );
  await assert.rejects(
    DispatcherDb.create(options('text:///x/y')),
    (e: Error) => e instanceof DbError && e.kind === 'url',
  );
  await assert.rejects(
    DispatcherDb.create(options(`sqlite://${dir}/c.db`, { params: { table_name: 'x;drop' } })),
    /table_name/,
  );
});

test('SQLite embedded default: a missing file is created with the schema at start and logged', async () => {
  const file = path.join(dir, `e${++n}.db`);
  const o = options(`sqlite://${file}`);
  const dsDb = (await DispatcherDb.create(o))!;
  assert.ok(fs.existsSync(file));
  assert.ok(o.log.lines.some((l) => /^info dispatcher: SQLite database .* did not exist: created it with/.test(l)));
  const src = await dsDb.listSource.initial();
  assert.deepEqual(src, { records: [] });
  await dsDb.close();
});

test('start policy and reload faults: DB errors exit at start (unless ds_db_start_empty), "Reload Failed" later', async () => {
  const file = path.join(dir, `p${++n}.db`);
  fs.writeFileSync(file, ''); // exists, but has no schema: Kamailio's "failed to query table version"
  const strict = (await DispatcherDb.create(options(`sqlite://${file}`)))!;
  await assert.rejects(
    strict.listSource.initial(),
    (e: Error) => e instanceof DbError && /dsd db init/.test(e.message),
  );
  const o = options(`sqlite://${file}`, { startEmpty: true });
  const lenient = (await DispatcherDb.create(o))!;
  assert.deepEqual(await lenient.listSource.initial(), { records: [] });
  await assert.rejects(
    lenient.listSource.reload(),
    (e: Error) =>
      e instanceof DsRpcError && e.message === 'Reload Failed' && /cannot read the table version/.test(e.detail ?? ''),
  );
});

test('afterChange with persist writes the table: add, set_state, set_duid_state, remove', async () => {
  const url = `sqlite://${path.join(dir, `w${++n}.db`)}`;
  const dsDb = (await DispatcherDb.create(options(url)))!;
  await exec(url, ...fixtureStatements());
  const ds = new Dispatcher({});
  const rt = runtime(ds);
  dsDb.attach(rt);
  await ds.loadInitial(await dsDb.listSource.initial());
  await dsDb.afterChange(
    { kind: 'add', setId: 9, uri: 'sip:10.9.9.9:5060', flags: 8, priority: 2, attrs: 'duid=nine' },
    true,
  );
  await dsDb.afterChange({ kind: 'setState', state: 'd', setId: 1, uri: 'sip:127.0.0.1:5081' }, true);
  await dsDb.afterChange({ kind: 'setDuidState', state: 'ip', setId: 2, duid: 'gw5' }, true);
  await dsDb.afterChange({ kind: 'remove', setId: 3, uri: 'sip:127.0.0.3:5060' }, true);
  await dsDb.afterChange({ kind: 'setState', state: 'a', setId: 1, uri: 'sip:127.0.0.1:5080' }, false);
  const rows = await withDb(url, (db) =>
    db.queryArrays('select id, setid, destination, flags from dispatcher order by id'),
  );
  assert.deepEqual(rows, [
    [1, 1, 'sip:127.0.0.1:5080', 0],
    [2, 1, 'sip:127.0.0.1:5081', 4],
    [3, 1, 'sip:127.0.0.1:5082', 8],
    [4, 2, 'sip:127.0.0.2:5090;transport=tcp', 0],
    [5, 2, 'sip:127.0.0.2:5091', 9],
    [7, 2, 'sip:127.0.0.2:5092', 1],
    [8, 9, 'sip:10.9.9.9:5060', 8],
  ]);
  // A reload through the list source reads it back.
  await rt.reload(await dsDb.listSource.reload());
  assert.deepEqual(ds.list!.sets.map((s) => s.id).sort(), [1, 2, 9]);
  await dsDb.close();
});

test('dsd db init -f cfg: prints what it did, twice is a no-op, exit codes', async () => {
  const url = `sqlite://${path.join(dir, `i${++n}.db`)}`;
  const ds = options(url).ds;
  const out: string[] = [];
  const err: string[] = [];
  assert.equal(
    await dbInitCommand(
      ds,
      (l) => out.push(l),
      (l) => err.push(l),
    ),
    0,
  );
  assert.deepEqual(out, [
    'created table version',
    'created version row version=1',
    'created table dispatcher',
    'created version row dispatcher=4',
    `${url}: schema ready`,
  ]);
  out.length = 0;
  assert.equal(
    await dbInitCommand(
      ds,
      (l) => out.push(l),
      (l) => err.push(l),
    ),
    0,
  );
  assert.equal(out[out.length - 1], `${url}: schema already in place, nothing changed`);
  assert.equal(
    await dbInitCommand(
      defaultParams(),
      (l) => out.push(l),
      (l) => err.push(l),
    ),
    2,
  );
  const bad = options('postgres://dsd:secret@127.0.0.1:1/x').ds;
  assert.equal(
    await dbInitCommand(
      bad,
      (l) => out.push(l),
      (l) => err.push(l),
    ),
    1,
  );
  assert.match(
    at(err, err.length - 1),
    /^dsd db init: database postgres:\/\/dsd:\*\*\*@127\.0\.0\.1:1\/x: cannot connect: .*ECONNREFUSED/,
  );
});
