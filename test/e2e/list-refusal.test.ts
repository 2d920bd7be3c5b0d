/**
 * A list that parses to nothing, or whose every line is bad, is refused on reload (RPC and
 * SIGHUP) and the running set stays, unless ds_reload_allow_empty says otherwise; `dsd -c`
 * checks the list file and the database rows, through the real binaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startDsd, basicCfg, DSD_BIN, tmpDir } from '../helpers/daemon';
import { dsctlOn } from '../helpers/ctl';
import { freePorts } from '../helpers/ports';

const dsctl = dsctlOn;

function check(cfgFile: string): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [DSD_BIN, '-c', '-f', cfgFile], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, err: r.stderr };
}

const params = ['modparam("dispatcher", "reload_delta", 0)'];

test(
  'reload of an empty or all-bad list is refused and the running set stays (RPC and SIGHUP)',
  { timeout: 60_000 },
  async () => {
    const [port, b1, b2] = await freePorts(3);
    const good = `1 sip:127.0.0.1:${b1}\n1 sip:127.0.0.1:${b2}\n`;
    const d = await startDsd({ cfg: basicCfg({ listen: [`udp:127.0.0.1:${port}`], params }), list: good });
    const listFile = path.join(d.dir, 'dispatcher.list');
    try {
      const before = dsctl(d, 'dispatcher.list').out;
      assert.match(before, /NRSETS: 1/);
      for (const [text, why] of [
        ['', /has no destinations; reload refused/],
        ['# only a comment\n\n', /has no destinations; reload refused/],
        ['1 sip:[broken\n2 sip:[also-broken\n', /every line of .* is bad \(2 skipped\); reload refused/],
      ] as const) {
        fs.writeFileSync(listFile, text);
        const r = dsctl(d, 'dispatcher.reload');
        assert.equal(r.code, 1, `${JSON.stringify(text)}: ${r.out}`);
        assert.match(r.err, /^error: 500 - Reload Failed/);
        assert.match(r.err, why);
        assert.equal(dsctl(d, 'dispatcher.list').out, before);
      }
      fs.writeFileSync(listFile, '');
      d.proc.kill('SIGHUP');
      await d.waitFor(/SIGHUP: reload refused, running set kept: .*has no destinations/);
      assert.equal(dsctl(d, 'dispatcher.list').out, before);
      // a good list still reloads
      fs.writeFileSync(listFile, `1 sip:127.0.0.1:${b1}\n`);
      assert.equal(dsctl(d, 'dispatcher.reload').code, 0);
      assert.doesNotMatch(dsctl(d, 'dispatcher.list').out, new RegExp(`:${b2}`));
    } finally {
      await d.stop();
    }
  },
);

test('ds_reload_allow_empty 1: an empty list reloads to no sets', { timeout: 60_000 }, async () => {
  const [port, b1] = await freePorts(2);
  const d = await startDsd({
    cfg: basicCfg({
      listen: [`udp:127.0.0.1:${port}`],
      params: [...params, 'modparam("dispatcher", "ds_reload_allow_empty", 1)'],
    }),
    list: `1 sip:127.0.0.1:${b1}\n`,
  });
  try {
    fs.writeFileSync(path.join(d.dir, 'dispatcher.list'), '');
    const r = dsctl(d, 'dispatcher.reload');
    assert.equal(r.code, 0, r.err);
    const l = dsctl(d, 'dispatcher.list');
    assert.notEqual(l.code, 0);
    assert.match(l.err, /No Destination Sets/);
  } finally {
    await d.stop();
  }
});

test('dsd -c checks the list file: file:line warnings, fatal with ds_load_mode 1, no usable destination is an error', async () => {
  const dir = tmpDir('dsd-check-');
  try {
    const cfg = (extra: string[]) =>
      basicCfg({ listen: ['udp:127.0.0.1:5060'], params: extra }).replaceAll('{DIR}', dir);
    const write = (name: string, list: string, extra: string[] = []) => {
      fs.writeFileSync(path.join(dir, 'dispatcher.list'), list);
      fs.writeFileSync(path.join(dir, name), cfg(extra));
      return path.join(dir, name);
    };
    let r = check(write('ok.cfg', '1 sip:127.0.0.1:5080\n1 sip:127.0.0.1:5081 0 0 duid=a\n'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /destinations ok: 2 usable in .*dispatcher\.list/);
    r = check(write('mixed.cfg', '1 sip:127.0.0.1:5080\n1 sip:[bad\n'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /warning: .*dispatcher\.list:2: destination sip:\[bad/);
    r = check(write('strict.cfg', '1 sip:127.0.0.1:5080\n1 sip:[bad\n', ['modparam("dispatcher", "ds_load_mode", 1)']));
    assert.equal(r.code, 1);
    assert.match(r.err, /dispatcher\.list:2: destination sip:\[bad/);
    assert.match(r.err, /1 error\(s\) in the destinations/);
    r = check(write('empty.cfg', '# nothing\n'));
    assert.equal(r.code, 1);
    assert.match(r.err, /no usable destination \(the list is empty\)/);
    r = check(write('allbad.cfg', '1 sip:[a\n2 sip:[b\n'));
    assert.equal(r.code, 1);
    assert.match(r.err, /no usable destination \(every line is bad\)/);
    fs.rmSync(path.join(dir, 'dispatcher.list'));
    fs.writeFileSync(path.join(dir, 'missing.cfg'), cfg([]));
    r = check(path.join(dir, 'missing.cfg'));
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot read the list file: ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('dsd -c checks the database rows (SQLite dispatcher table)', async () => {
  const dir = tmpDir('dsd-check-db-');
  try {
    const dbFile = path.join(dir, 'dsd.db');
    const cfgText = basicCfg({
      listen: ['udp:127.0.0.1:5060'],
      params: [`modparam("dispatcher", "db_url", "sqlite://${dbFile}")`],
    })
      .replace('loadmodule "dispatcher.so"', 'loadmodule "db_sqlite.so"\nloadmodule "dispatcher.so"')
      .replaceAll('{DIR}', dir);
    const cfgFile = path.join(dir, 'dsd.cfg');
    fs.writeFileSync(cfgFile, cfgText);
    const init = spawnSync(process.execPath, [DSD_BIN, 'db', 'init', '-f', cfgFile], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(init.status, 0, init.stderr);
    const db = new Database(dbFile);
    db.exec(
      "INSERT INTO dispatcher (id, setid, destination, flags, priority, attrs, description) VALUES (1, 1, 'sip:127.0.0.1:5080', 0, 0, '', '')",
    );
    db.exec(
      "INSERT INTO dispatcher (id, setid, destination, flags, priority, attrs, description) VALUES (2, 1, 'sip:[nope', 0, 0, '', '')",
    );
    db.close();
    let r = check(cfgFile);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /warning: .*sip:\[nope/);
    assert.match(r.err, /destinations ok: 1 usable in sqlite:\/\/.* table dispatcher/);
    const db2 = new Database(dbFile);
    db2.exec('DELETE FROM dispatcher WHERE id = 1');
    db2.close();
    r = check(cfgFile);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /no usable destination \(every line is bad\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
