/**
 * dispatcher.reload --dry-run and `dsd -c` when the destinations live in a database
 * (SQLite: a file, no server to start): after rows are added, removed, changed and one is
 * broken, both print the same diff naming the rows by table id and the broken row (the
 * RPC also what carries over: an admin state, a drain); the exit status says whether a reload would
 * be accepted (ds_load_mode 0: the row is skipped with a warning) or refused
 * (ds_load_mode 1); the running set never changes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startDsd, basicCfg, tmpDir, DSD_BIN } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { withDb } from '../../src/db';
import { runDbInit } from '../../src/modules/dispatcher/db';
import { dbParams, dsctlRun } from './helpers';

const dir = tmpDir('dsd-dryrun-db-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

for (const loadMode of [0, 1]) {
  test(`SQLite, ds_load_mode ${loadMode}: the diff by table id, the broken row, the verdict, nothing changed`, async () => {
    const url = `sqlite://${path.join(dir, `m${loadMode}.db`)}`;
    await runDbInit(url);
    await withDb(url, async (db) => {
      await db.exec("INSERT INTO dispatcher VALUES(1,1,'sip:127.0.0.1:5080',0,0,'','a')");
      await db.exec("INSERT INTO dispatcher VALUES(2,1,'sip:127.0.0.1:5081',0,0,'','b')");
      await db.exec("INSERT INTO dispatcher VALUES(3,1,'sip:127.0.0.1:5082',0,0,'duid=c','c')");
    });
    const [px] = await freePorts(1);
    const d = await startDsd({
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${px}`],
        params: dbParams(url, [
          'modparam("dispatcher", "reload_delta", 0)',
          `modparam("dispatcher", "ds_load_mode", ${loadMode})`,
          'modparam("dispatcher", "ds_ping_interval", 0)',
        ]),
      }),
    });
    const ctl = (...a: string[]) => dsctlRun(['-s', `unix:${path.join(d.dir, 'dsd_ctl')}`, ...a]);
    try {
      assert.equal((await ctl('dispatcher.set_state', 'ip', '1', 'sip:127.0.0.1:5082')).code, 0);
      assert.equal((await ctl('dispatcher.drain', '1', 'sip:127.0.0.1:5081')).code, 0);
      const before = (await ctl('dispatcher.list')).stdout;
      await withDb(url, async (db) => {
        await db.exec("INSERT INTO dispatcher VALUES(4,1,'sip:127.0.0.1:5083',0,0,'','added')");
        await db.exec('DELETE FROM dispatcher WHERE id = 2');
        await db.exec('UPDATE dispatcher SET priority = 7 WHERE id = 1');
        await db.exec("INSERT INTO dispatcher VALUES(5,1,'sip:127.0.0.1:5084',0,'x','','broken')");
      });
      const dry = await ctl('dispatcher.reload', '--dry-run');
      const check = spawnSync(process.execPath, [DSD_BIN, '-c', '-f', d.cfgFile], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      const checked = check.stdout + check.stderr;
      for (const out of [dry.stdout, checked]) {
        assert.match(out, /^\+ 1 sip:127\.0\.0\.1:5083 0 0 {2}\(dispatcher id 4\)$/m, out);
        assert.match(out, /^- 1 sip:127\.0\.0\.1:5081 0$/m, out);
        assert.match(out, /^~ 1 sip:127\.0\.0\.1:5080: priority 0 -> 7 {2}\(dispatcher id 1\)$/m, out);
        assert.match(out, /dispatcher id 5: priority is not an integer \(x\)/, out);
      }
      // what carries over is the daemon's to say (dsd -c does not know its admin states)
      assert.match(dry.stdout, /^kept: state ip on set 1 sip:127\.0\.0\.1:5082$/m, dry.stdout);
      assert.match(dry.stdout, /^matches nothing \(kept for later\): drain on set 1 sip:127\.0\.0\.1:5081$/m);
      assert.match(checked, /compared with the daemon on /);
      if (loadMode === 0) {
        assert.equal(dry.code, 0, dry.stdout + dry.stderr);
        assert.equal(check.status, 0, checked);
        assert.match(dry.stdout, /^warning: dispatcher id 5: .* -- skipping$/m);
        assert.match(dry.stdout, /the reload would be accepted/);
      } else {
        assert.equal(dry.code, 1, dry.stdout + dry.stderr);
        assert.equal(check.status, 1, checked);
        assert.match(dry.stdout, /^error: dispatcher id 5: .*ds_load_mode=1: load refused/m);
        assert.match(dry.stdout, /REFUSED/);
      }
      assert.equal((await ctl('dispatcher.list')).stdout, before, 'the running set did not change');
    } finally {
      await d.stop();
    }
  });
}
