/**
 * The real dsd daemon with its destinations in a database, for SQLite, PostgreSQL and
 * MySQL: `dsd db init -f dsd.cfg` (twice), rows inserted with plain SQL, `dsctl
 * dispatcher.list` byte for byte against what Kamailio 5.6 printed for the same table
 * (test/fixtures/db/<backend>-kamcmd.txt), calls through sipp to the table's backends,
 * `dispatcher.add --persist` / `remove --persist` landing in the table, and bad input:
 * unknown scheme, wrong password, missing table, a broken row, the database down at start
 * and at reload.
 *
 * DEPENDS ON THE DAEMON WIRING (src/daemon/db-glue.ts → daemon, `dsd db init`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, tmpDir, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { haveSipp, runUac, UAC_XML, num, withUasPair } from '../helpers/sipp';
import { withDb } from '../../src/db';
import { fixtureStatements, Backend } from '../fixtures/db/capture';
import { fixture } from './backend-suite';
import {
  DB_PASSWORD,
  dbParams,
  dsctlRun,
  dsdRun,
  missingMariadb,
  missingPostgres,
  MyServer,
  PgServer,
  startMariadb,
  startPostgres,
} from './helpers';

const sqliteDir = tmpDir('dsd-dbe2e-');
let pg: PgServer | null = null;
let my: MyServer | null = null;
let n = 0;
const missing: Record<Backend, string | null> = { sqlite: null, postgres: missingPostgres(), mysql: missingMariadb() };

before(async () => {
  if (!missing.postgres) pg = await startPostgres();
  if (!missing.mysql) my = await startMariadb();
});
const cfgDirs: string[] = [];
after(async () => {
  await pg?.destroy();
  await my?.destroy();
  for (const d of [sqliteDir, ...cfgDirs]) fs.rmSync(d, { recursive: true, force: true });
});

async function freshUrl(b: Backend): Promise<string> {
  n++;
  if (b === 'sqlite') return `sqlite://${path.join(sqliteDir, `e${n}.db`)}`;
  if (b === 'postgres') return pg!.createDatabase(`e${n}`);
  return my!.createDatabase(`e${n}`);
}

function writeCfg(dbUrl: string, px: number, extra: string[] = []): { dir: string; cfg: string; text: string } {
  const dir = tmpDir('dsd-dbcfg-');
  cfgDirs.push(dir);
  const text = basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: dbParams(dbUrl, extra) }).replaceAll('{DIR}', dir);
  const cfg = path.join(dir, 'dsd.cfg');
  fs.writeFileSync(cfg, text);
  return { dir, cfg, text };
}

const ctl = (d: Dsd): string => `unix:${path.join(d.dir, 'dsd_ctl')}`;

for (const b of ['sqlite', 'postgres', 'mysql'] as const) {
  const skip = missing[b] ?? false;

  test(
    `${b}: dsd db init twice, then dispatcher.list prints Kamailio's output for the same table`,
    { skip, timeout: 60_000 },
    async () => {
      const url = await freshUrl(b);
      const [px] = await freePorts(1);
      const c = writeCfg(url, px);
      const first = dsdRun(['db', 'init', '-f', c.cfg]);
      assert.equal(first.code, 0, first.out);
      assert.match(first.out, /created table dispatcher/);
      assert.ok(!first.out.includes(DB_PASSWORD));
      const second = dsdRun(['db', 'init', '-f', c.cfg]);
      assert.equal(second.code, 0, second.out);
      assert.match(second.out, /nothing changed/);
      fs.rmSync(c.dir, { recursive: true, force: true });
      await withDb(url, async (db) => {
        for (const s of fixtureStatements()) await db.exec(s);
      });
      const d = await startDsd({
        cfg: basicCfg({
          listen: [`udp:127.0.0.1:${px}`],
          params: dbParams(url, ['modparam("dispatcher", "reload_delta", 0)']),
        }),
      });
      try {
        const r = await dsctlRun(['-s', ctl(d), 'dispatcher.list']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, fixture(b));
        // --persist: the row lands in the table, and a reload keeps it.
        const add = await dsctlRun([
          '-s',
          ctl(d),
          'dispatcher.add',
          '--persist',
          '5',
          'sip:127.0.0.9:5099',
          '0',
          '3',
          'duid=nine',
        ]);
        assert.equal(add.code, 0, add.stderr);
        const rows = await withDb(url, (db) =>
          db.queryArrays('select setid, destination, priority, attrs from dispatcher where setid = 5'),
        );
        assert.deepEqual(
          rows.map((x) => [Number(x[0]), x[1], Number(x[2]), x[3]]),
          [[5, 'sip:127.0.0.9:5099', 3, 'duid=nine']],
        );
        assert.equal((await dsctlRun(['-s', ctl(d), 'dispatcher.reload'])).code, 0);
        assert.match((await dsctlRun(['-s', ctl(d), 'dispatcher.list'])).stdout, /URI: sip:127\.0\.0\.9:5099/);
        const rm = await dsctlRun(['-s', ctl(d), 'dispatcher.remove', '--persist', '5', 'sip:127.0.0.9:5099']);
        assert.equal(rm.code, 0, rm.stderr);
        const left = await withDb(url, (db) => db.queryArrays('select id from dispatcher where setid = 5'));
        assert.equal(left.length, 0);
      } finally {
        await d.stop();
      }
    },
  );

  test(
    `${b}: calls through sipp go to the backends of the table`,
    { skip: skip || (haveSipp() ? false : 'sipp missing'), timeout: 60_000 },
    async () => {
      const url = await freshUrl(b);
      const [px, b1, b2, uac, c1, c2, c3] = await freePorts(7);
      const c = writeCfg(url, px);
      assert.equal(dsdRun(['db', 'init', '-f', c.cfg]).code, 0);
      fs.rmSync(c.dir, { recursive: true, force: true });
      await withDb(url, async (db) => {
        await db.exec(`INSERT INTO dispatcher VALUES(1,1,'sip:127.0.0.1:${b1}',0,0,'','a')`);
        await db.exec(`INSERT INTO dispatcher VALUES(2,1,'sip:127.0.0.1:${b2}',0,0,'','b')`);
        await db.exec("INSERT INTO dispatcher VALUES(3,2,'sip:127.0.0.1:9',0,0,'','other set')");
      });
      const d = await startDsd({
        cfg: basicCfg({
          listen: [`udp:127.0.0.1:${px}`],
          params: dbParams(url, ['modparam("tm", "fr_timer", 15000)']),
        }),
      });
      try {
        await withUasPair({ b1, b2, c1, c2 }, async (uas1, uas2) => {
          const r = await runUac({
            scenario: UAC_XML,
            port: uac,
            controlPort: c3,
            remote: `127.0.0.1:${px}`,
            calls: 100,
            rate: 100,
            timeoutMs: 60_000,
          });
          assert.equal(num(r.stats, 'SuccessfulCall(C)'), 100, r.output.slice(-2000));
          assert.equal(num(await uas1.stop(), 'IncomingCall(C)'), 50);
          assert.equal(num(await uas2.stop(), 'IncomingCall(C)'), 50);
        });
      } finally {
        await d.stop();
      }
    },
  );

  test(
    `${b}: bad input: unknown scheme, missing table, a broken row; nothing crashes`,
    { skip, timeout: 60_000 },
    async () => {
      const [px] = await freePorts(1);
      // Unknown scheme: a clear error, exit 1.
      const bad = writeCfg('redis://dsd:secret@127.0.0.1/0', px);
      const r1 = dsdRun(['-DD', '-E', '-f', bad.cfg]);
      assert.notEqual(r1.code, 0);
      assert.match(r1.out, /unsupported scheme "redis"/);
      assert.ok(!r1.out.includes('secret'));
      fs.rmSync(bad.dir, { recursive: true, force: true });
      // Missing table: exit non-zero naming the table and the masked URL.
      const url = await freshUrl(b);
      const c = writeCfg(url, px);
      if (b !== 'sqlite') {
        const r2 = dsdRun(['-DD', '-E', '-f', c.cfg]);
        assert.notEqual(r2.code, 0);
        assert.match(r2.out, /dsd db init/);
        assert.ok(!r2.out.includes(DB_PASSWORD));
      }
      // A broken row is skipped with a warning naming its id; the rest loads.
      assert.equal(dsdRun(['db', 'init', '-f', c.cfg]).code, 0);
      await withDb(url, async (db) => {
        await db.exec("INSERT INTO dispatcher VALUES(1,1,'sip:127.0.0.1:5070',0,0,'','')");
        await db.exec("INSERT INTO dispatcher VALUES(2,1,'sip:[broken',0,0,'','')");
      });
      fs.rmSync(c.dir, { recursive: true, force: true });
      const d = await startDsd({ cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: dbParams(url) }) });
      try {
        assert.match(d.output(), /dispatcher id 2: .*sip:\[broken.*-- skipping/);
        const l = await dsctlRun(['-s', ctl(d), 'dispatcher.list']);
        assert.match(l.stdout, /URI: sip:127\.0\.0\.1:5070/);
        assert.doesNotMatch(l.stdout, /broken/);
        // The table disappears: the reload is refused, the running set stays.
        await withDb(url, (db) => db.exec('DROP TABLE dispatcher'));
        const rr = await dsctlRun(['-s', ctl(d), 'dispatcher.reload']);
        assert.notEqual(rr.code, 0);
        assert.match(rr.stdout + rr.stderr, /Reload Failed/);
        assert.equal((await dsctlRun(['-s', ctl(d), 'dispatcher.list'])).stdout, l.stdout);
      } finally {
        await d.stop();
      }
    },
  );
}

for (const b of ['postgres', 'mysql'] as const) {
  const skip = missing[b] ?? false;
  test(
    `${b}: wrong password and the server down at start: exit 1 with the masked URL; ds_db_start_empty starts empty; down at reload: refused, set kept`,
    { skip, timeout: 90_000 },
    async () => {
      const srv = b === 'postgres' ? pg! : my!;
      const url = await freshUrl(b);
      const [px] = await freePorts(1);
      const wrong = writeCfg(url.replace(DB_PASSWORD, 'Wr0ng-pw'), px);
      const r = dsdRun(['-DD', '-E', '-f', wrong.cfg]);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, new RegExp(`database ${b}://dsd:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/e\\d+: cannot connect`));
      assert.ok(!r.out.includes('Wr0ng-pw'));
      fs.rmSync(wrong.dir, { recursive: true, force: true });
      const c = writeCfg(url, px);
      assert.equal(dsdRun(['db', 'init', '-f', c.cfg]).code, 0);
      fs.rmSync(c.dir, { recursive: true, force: true });
      await withDb(url, async (db) => {
        for (const s of fixtureStatements()) await db.exec(s);
      });
      const d = await startDsd({ cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: dbParams(url) }) });
      try {
        const l = await dsctlRun(['-s', ctl(d), 'dispatcher.list']);
        await srv.stop();
        const rr = await dsctlRun(['-s', ctl(d), 'dispatcher.reload']);
        assert.notEqual(rr.code, 0);
        assert.match(rr.stdout + rr.stderr, /Reload Failed/);
        assert.equal((await dsctlRun(['-s', ctl(d), 'dispatcher.list'])).stdout, l.stdout);
        const down = writeCfg(url, px + 0);
        await d.stop();
        const r2 = dsdRun(['-DD', '-E', '-f', down.cfg]);
        assert.equal(r2.code, 1, r2.out);
        assert.match(r2.out, /cannot connect/);
        assert.ok(!r2.out.includes(DB_PASSWORD));
        fs.rmSync(down.dir, { recursive: true, force: true });
        const e = await startDsd({
          cfg: basicCfg({
            listen: [`udp:127.0.0.1:${px}`],
            params: dbParams(url, ['modparam("dispatcher", "ds_db_start_empty", 1)']),
          }),
        });
        try {
          assert.match(e.output(), /ds_db_start_empty=1/);
          await srv.start();
          const rl = await dsctlRun(['-s', ctl(e), 'dispatcher.reload']);
          assert.equal(rl.code, 0, rl.stderr);
          assert.equal((await dsctlRun(['-s', ctl(e), 'dispatcher.list'])).stdout, fixture(b));
        } finally {
          await e.stop();
        }
      } finally {
        await d.stop();
        await srv.start().catch(() => undefined);
      }
    },
  );
}
