/**
 * Two real dsd daemons on one PostgreSQL with modparam("dispatcher", "ds_cluster", 1):
 * a row inserted by SQL + dispatcher.reload on A shows on B; set_state on A shows on B
 * and survives B's restart; cluster.list shows both nodes (and gone after
 * one stops); clear_overrides on A clears B's override and the stored row (B restarted does
 * not bring it back); PostgreSQL stopped for ten seconds under a sipp load loses no call on
 * either node, and the nodes resync when it returns. A drain on A reaches B (no new dialog
 * from B to the drained backend, its calls' BYEs still do), and an undrain on B restores A.
 *
 * DEPENDS ON THE DAEMON WIRING (src/daemon/db-glue.ts → daemon, cluster.list command).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startDsd, basicCfg, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { haveSipp, runUac, startSipp, UAC_XML, UAS_XML, num } from '../helpers/sipp';
import { Backends } from '../helpers/backends';
import { holdingUac } from '../helpers/lb-sipp';
import { tmpDir } from '../helpers/daemon';
import fs from 'node:fs';
import { withDb } from '../../src/db';
import { runDbInit } from '../../src/modules/dispatcher/db';
import { fixtureStatements } from '../fixtures/db/capture';
import { dbParams, dsctlRun, missingPostgres, PgServer, startPostgres } from './helpers';
import { at } from '../helpers/at';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const skip = missingPostgres() ?? false;
let pg: PgServer | null = null;

before(async () => {
  if (!skip) pg = await startPostgres();
});
after(async () => {
  await pg?.destroy();
});

const ctl = (d: Dsd): string => `unix:${path.join(d.dir, 'dsd_ctl')}`;

function nodeCfg(url: string, name: string, port: number): string {
  return basicCfg({
    listen: [`udp:127.0.0.1:${port}`],
    params: dbParams(url, [
      'modparam("dispatcher", "ds_cluster", 1)',
      `modparam("dispatcher", "ds_cluster_node", "${name}")`,
      'modparam("dispatcher", "ds_cluster_heartbeat", 1)',
      'modparam("dispatcher", "ds_cluster_gone_after", 3)',
      'modparam("dispatcher", "reload_delta", 0)',
      // a starved sipp may answer late: no 408 before 15 s
      'modparam("tm", "fr_timer", 15000)',
    ]),
  });
}

async function list(d: Dsd): Promise<string> {
  const r = await dsctlRun(['-s', ctl(d), 'dispatcher.list']);
  return r.stdout;
}

async function waitFor(what: string, cond: () => Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 <= ms) {
    if (await cond()) return Date.now() - t0;
    await sleep(50);
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

/** The FLAGS line of `uri` in a dispatcher.list output. */
function flagsIn(text: string, uri: string): string | null {
  const i = text.indexOf(`URI: ${uri}\n`);
  if (i < 0) return null;
  const m = /FLAGS: (\w+)/.exec(text.slice(i));
  return m ? at(m, 1) : null;
}

test(
  'cluster: reload and set_state on A reach B, B restarted keeps the admin state, cluster.list',
  { skip, timeout: 90_000 },
  async () => {
    const url = await pg!.createDatabase('ce1');
    await runDbInit(url);
    await withDb(url, async (db) => {
      for (const s of fixtureStatements()) await db.exec(s);
    });
    const [pa, pb] = await freePorts(2);
    const a = await startDsd({ cfg: nodeCfg(url, 'node-a', pa) });
    let b = await startDsd({ cfg: nodeCfg(url, 'node-b', pb) });
    try {
      await withDb(url, (db) => db.exec("INSERT INTO dispatcher VALUES(8,4,'sip:127.0.0.4:5060',0,0,'','new')"));
      assert.equal((await dsctlRun(['-s', ctl(a), 'dispatcher.reload'])).code, 0);
      await waitFor('B lists set 4', async () => (await list(b)).includes('URI: sip:127.0.0.4:5060'), 30_000);
      const s = await dsctlRun(['-s', ctl(a), 'dispatcher.set_state', 'ip', '1', 'sip:127.0.0.1:5081']);
      assert.equal(s.code, 0, s.stderr);
      // how fast it spreads is the benchmark's business, not a test's: wait on the state
      await waitFor('B shows IP', async () => flagsIn(await list(b), 'sip:127.0.0.1:5081') === 'IP', 30_000);
      // B restarted keeps it (from dsd_admin_state).
      await b.stop();
      b = await startDsd({ cfg: nodeCfg(url, 'node-b', pb) });
      assert.equal(flagsIn(await list(b), 'sip:127.0.0.1:5081'), 'IP');
      // start-up says where the destinations came from (password masked) and what was restored
      assert.match(
        b.output(),
        /destinations loaded from postgres:\/\/dsd:\*\*\*@127\.0\.0\.1:\d+\/ce1 \(table dispatcher\): \d+ set\(s\), \d+ destination\(s\)/,
      );
      assert.match(b.output(), /admin states restored: [^"]*set 1 sip:127\.0\.0\.1:5081 ip/);
      // cluster.list: both up, with dest each node's view.
      const cl = await dsctlRun(['-s', ctl(a), '--json', 'cluster.list', 'dest']);
      assert.equal(cl.code, 0, cl.stderr);
      const nodes = JSON.parse(cl.stdout) as {
        NAME: string;
        STATE: string;
        DESTS: { DEST: { URI: string; FLAGS: string } }[];
      }[];
      assert.deepEqual(
        nodes.map((x) => [x.NAME, x.STATE]),
        [
          ['node-a', 'up'],
          ['node-b', 'up'],
        ],
      );
      assert.ok(at(nodes, 1).DESTS.some((x) => x.DEST.URI === 'sip:127.0.0.1:5081' && x.DEST.FLAGS === 'IP'));
      await b.stop();
      const after = JSON.parse((await dsctlRun(['-s', ctl(a), '--json', 'cluster.list'])).stdout) as {
        NAME: string;
        STATE: string;
      }[];
      assert.deepEqual(
        after.map((x) => [x.NAME, x.STATE]),
        [
          ['node-a', 'up'],
          ['node-b', 'gone'],
        ],
      );
    } finally {
      await a.stop();
      await b.stop();
    }
  },
);

interface OverrideRow {
  SET: number;
  URI?: string;
  DUID?: string;
  STATE: string;
  SOURCE: string;
}

async function overrides(d: Dsd): Promise<OverrideRow[]> {
  const r = await dsctlRun(['-s', ctl(d), '--json', 'dispatcher.overrides']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as OverrideRow[];
}

const key = (rows: OverrideRow[]): string[] => rows.map((r) => `${r.SET} ${r.URI ?? r.DUID} ${r.STATE}`).sort();

test(
  'cluster: clear_overrides on A clears B and the stored rows; B restarted does not bring them back',
  { skip, timeout: 90_000 },
  async () => {
    const url = await pg!.createDatabase('ce3');
    await runDbInit(url);
    await withDb(url, async (db) => {
      for (const s of fixtureStatements()) await db.exec(s);
    });
    const [pa, pb] = await freePorts(2);
    const a = await startDsd({ cfg: nodeCfg(url, 'node-a', pa) });
    let b = await startDsd({ cfg: nodeCfg(url, 'node-b', pb) });
    const rows = async (): Promise<number> =>
      withDb(url, async (db) => (await db.query('SELECT set_id FROM dsd_admin_state')).length);
    try {
      for (const [state, uri] of [
        ['ip', 'sip:127.0.0.1:5080'],
        ['d', 'sip:127.0.0.1:5081'],
      ] as const) {
        const r = await dsctlRun(['-s', ctl(a), 'dispatcher.set_state', state, '1', uri]);
        assert.equal(r.code, 0, r.stderr);
      }
      const both = ['1 sip:127.0.0.1:5080 ip', '1 sip:127.0.0.1:5081 d'];
      await waitFor('B has both overrides', async () => key(await overrides(b)).join() === both.join(), 30_000);
      assert.equal(await rows(), 2);

      // one destination: gone on both nodes and from the table, the other stays
      const one = await dsctlRun(['-s', ctl(a), 'dispatcher.clear_overrides', '1', 'sip:127.0.0.1:5080']);
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, /Ok\. 1 override\(s\) cleared\./);
      assert.deepEqual(key(await overrides(a)), [both[1]]);
      await waitFor('B dropped 5080', async () => key(await overrides(b)).join() === both[1], 30_000);
      assert.equal(await rows(), 1);
      // the destination keeps its state until the next reload: clearing is not set_state
      assert.equal(flagsIn(await list(b), 'sip:127.0.0.1:5080'), 'IP');

      // asking for one that is not there is 404 on the node asked, and nothing is sent
      const none = await dsctlRun(['-s', ctl(b), 'dispatcher.clear_overrides', '1', 'sip:127.0.0.1:5080']);
      assert.notEqual(none.code, 0);
      assert.match(none.stderr, /404|Override Not Found/);

      // all, run on B this time: A, the table and a restarted B are clean
      const all = await dsctlRun(['-s', ctl(b), 'dispatcher.clear_overrides']);
      assert.equal(all.code, 0, all.stderr);
      await waitFor('A has no overrides', async () => (await overrides(a)).length === 0, 30_000);
      assert.equal(await rows(), 0);
      await b.stop();
      b = await startDsd({ cfg: nodeCfg(url, 'node-b', pb) });
      assert.deepEqual(await overrides(b), []);
      // the list's own flags again, not the cleared DX
      assert.notEqual(flagsIn(await list(b), 'sip:127.0.0.1:5081'), 'DX');

      // the audit line of the change names the method on the node that ran it
      assert.match(b.output() + a.output(), /rpc dispatcher\.clear_overrides: ok/);
    } finally {
      await a.stop();
      await b.stop();
    }
  },
);

test(
  'cluster: PostgreSQL stopped for ten seconds under load: no call lost on either node, resync on return',
  { skip: skip || (haveSipp() ? false : 'sipp missing'), timeout: 120_000 },
  async () => {
    const url = await pg!.createDatabase('ce2');
    await runDbInit(url);
    const [pa, pb, b1, b2, ua, ub, c1, c2, c3, c4] = await freePorts(10);
    await withDb(url, async (db) => {
      await db.exec(`INSERT INTO dispatcher VALUES(1,1,'sip:127.0.0.1:${b1}',0,0,'','')`);
      await db.exec(`INSERT INTO dispatcher VALUES(2,1,'sip:127.0.0.1:${b2}',0,0,'','')`);
      await db.exec("INSERT INTO dispatcher VALUES(3,2,'sip:127.0.0.1:9',0,0,'','spare')");
    });
    const a = await startDsd({ cfg: nodeCfg(url, 'node-a', pa) });
    const b = await startDsd({ cfg: nodeCfg(url, 'node-b', pb) });
    const uas1 = startSipp({ scenario: UAS_XML, port: b1, controlPort: c1 });
    const uas2 = startSipp({ scenario: UAS_XML, port: b2, controlPort: c2 });
    try {
      await uas1.ready();
      await uas2.ready();
      const loadA = startSipp({
        scenario: UAC_XML,
        port: ua,
        controlPort: c3,
        remote: `127.0.0.1:${pa}`,
        calls: 300,
        rate: 20,
      });
      const loadB = startSipp({
        scenario: UAC_XML,
        port: ub,
        controlPort: c4,
        remote: `127.0.0.1:${pb}`,
        calls: 300,
        rate: 20,
      });
      await sleep(1500);
      await pg!.stop();
      await sleep(2000);
      // An admin decision while the database is away: applied on A now, on B after the return.
      assert.equal((await dsctlRun(['-s', ctl(a), 'dispatcher.set_state', 'd', '2', 'sip:127.0.0.1:9'])).code, 0);
      await sleep(8000);
      await pg!.start();
      const [ca, cb] = await Promise.all([loadA.done, loadB.done]);
      const [sa, sb] = await Promise.all([loadA.stop(), loadB.stop()]);
      assert.equal(num(sa, 'SuccessfulCall(C)'), 300, loadA.output().slice(-1500));
      assert.equal(num(sb, 'SuccessfulCall(C)'), 300, loadB.output().slice(-1500));
      assert.equal(num(sa, 'FailedCall(C)') + num(sb, 'FailedCall(C)'), 0);
      assert.equal(ca, 0);
      assert.equal(cb, 0);
      await waitFor('B resynced', async () => flagsIn(await list(b), 'sip:127.0.0.1:9') === 'DX', 30_000);
      for (const d of [a, b]) {
        const lost = d
          .output()
          .split('\n')
          .filter((l) => /routing continues on the current list/.test(l));
        assert.equal(lost.length, 1, d.output().slice(-3000));
        assert.match(d.output(), /connected to postgres:\/\/dsd:\*\*\*@127\.0\.0\.1:\d+\/ce2 again/);
      }
    } finally {
      await uas1.stop();
      await uas2.stop();
      await a.stop();
      await b.stop();
      await pg!.start().catch(() => undefined);
    }
  },
);

/** Is `uri` marked draining in a dispatcher.list output? */
function drainingIn(text: string, uri: string): boolean {
  const i = text.indexOf(`URI: ${uri}\n`);
  if (i < 0) return false;
  const next = text.indexOf('URI: ', i + 1);
  return /DRAIN: 1/.test(text.slice(i, next < 0 ? undefined : next));
}

test(
  'cluster: drain on A, B sends no new dialog to the backend but its BYEs; undrain on B restores A',
  { skip: skip || (haveSipp() ? false : 'sipp missing'), timeout: 120_000 },
  async () => {
    const url = await pg!.createDatabase('ce3');
    await runDbInit(url);
    const [pa, pb, b0, b1, ...uac] = await freePorts(10);
    await withDb(url, async (db) => {
      await db.exec(`INSERT INTO dispatcher VALUES(1,1,'sip:127.0.0.1:${b0}',0,0,'','')`);
      await db.exec(`INSERT INTO dispatcher VALUES(2,1,'sip:127.0.0.1:${b1}',0,0,'','')`);
    });
    const work = tmpDir('dsd-cluster-drain-');
    const bk = await Backends.open([b0, b1]);
    const a = await startDsd({ cfg: nodeCfg(url, 'node-a', pa) });
    const b = await startDsd({ cfg: nodeCfg(url, 'node-b', pb) });
    // each sipp run gets its own pair of ports (the held calls overlap the next run)
    let run = 0;
    const calls = (node: number, n: number, scenario = UAC_XML) => {
      const k = 2 * (run++ % 3);
      return runUac({
        scenario,
        port: at(uac, k),
        controlPort: at(uac, k + 1),
        remote: `127.0.0.1:${node}`,
        calls: n,
        rate: 20,
        timeoutMs: 60_000,
      });
    };
    try {
      // calls through B held for a while, on both backends
      const mark = bk.log.length;
      const held = calls(pb, 6, holdingUac(work, 5000));
      await waitFor(
        '6 held calls answered',
        async () => bk.count(0, 'INVITE', mark) + bk.count(1, 'INVITE', mark) >= 6,
        20_000,
      );
      const onB1 = bk.callIds(1, 'INVITE', mark);
      assert.ok(onB1.size >= 1, 'backend 1 took held calls');
      const r = await dsctlRun(['-s', ctl(a), 'dispatcher.drain', '1', bk.uri(1)]);
      assert.equal(r.code, 0, r.stderr);
      await waitFor('B shows the drain', async () => drainingIn(await list(b), bk.uri(1)), 30_000);
      const afterDrain = bk.log.length;
      const more = await calls(pb, 10);
      assert.equal(num(more.stats, 'SuccessfulCall(C)'), 10, more.output.slice(-1500));
      const h = await held;
      assert.equal(num(h.stats, 'SuccessfulCall(C)'), 6, h.output.slice(-1500));
      assert.equal(bk.count(1, 'INVITE', afterDrain), 0, 'no new INVITE from B to the drained backend');
      assert.equal(bk.count(0, 'INVITE', afterDrain), 10);
      const byes = bk.callIds(1, 'BYE', mark);
      for (const cid of onB1) assert.ok(byes.has(cid), `the BYE of ${cid} reached the drained backend`);
      // an undrain on B reaches A
      assert.equal((await dsctlRun(['-s', ctl(b), 'dispatcher.undrain', '1', bk.uri(1)])).code, 0);
      await waitFor('A lifted the drain', async () => !drainingIn(await list(a), bk.uri(1)), 30_000);
      const m2 = bk.log.length;
      const back = await calls(pa, 10);
      assert.equal(num(back.stats, 'SuccessfulCall(C)'), 10, back.output.slice(-1500));
      assert.equal(bk.count(1, 'INVITE', m2), 5, 'round robin over both again on A');
      assert.equal(bk.count(0, 'INVITE', m2), 5);
    } finally {
      await a.stop();
      await b.stop();
      await bk.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
);
