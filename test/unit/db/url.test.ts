import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDbModule, DbError, maskDbUrl, parseDbUrl, scanLoadmodules } from '../../../src/db';

test('db_url forms Kamailio accepts', () => {
  const pg = parseDbUrl('postgres://kamailio:kamailiorw@db.example.com:5433/kamailio');
  assert.deepEqual(
    [pg.kind, pg.module, pg.user, pg.password, pg.host, pg.port, pg.database],
    ['postgres', 'db_postgres', 'kamailio', 'kamailiorw', 'db.example.com', 5433, 'kamailio'],
  );
  assert.equal(pg.masked, 'postgres://kamailio:***@db.example.com:5433/kamailio');
  const my = parseDbUrl('mysql://kamailio:kamailiorw@localhost/kamailio');
  assert.deepEqual(
    [my.kind, my.module, my.host, my.port, my.database],
    ['mysql', 'db_mysql', 'localhost', 0, 'kamailio'],
  );
  const lite = parseDbUrl('sqlite:///var/lib/dsd/dsd.db');
  assert.deepEqual(
    [lite.kind, lite.module, lite.database, lite.user, lite.password],
    ['sqlite', 'db_sqlite', '/var/lib/dsd/dsd.db', null, null],
  );
  assert.equal(lite.masked, 'sqlite:///var/lib/dsd/dsd.db');
});

test('Kamailio parse_db_url quirks: @ and : in the password, user@domain, [v6], ?params, no password', () => {
  const a = parseDbUrl('postgres://dsd:S3cr:t@pw@127.0.0.1:5432/dsd');
  assert.deepEqual([a.user, a.password, a.host, a.port], ['dsd', 'S3cr:t@pw', '127.0.0.1', 5432]);
  assert.equal(a.masked, 'postgres://dsd:***@127.0.0.1:5432/dsd');
  const b = parseDbUrl('mysql://user@example.com:pw@host/db');
  assert.deepEqual([b.user, b.password, b.host], ['user@example.com', 'pw', 'host']);
  const c = parseDbUrl('postgres://u:p@[2001:db8::1]:6432/db?sslmode=require');
  assert.deepEqual([c.host, c.port, c.database], ['2001:db8::1', 6432, 'db']);
  const d = parseDbUrl('mysql://root@127.0.0.1:3307/kam');
  assert.deepEqual([d.user, d.password, d.port], ['root', null, 3307]);
  const e = parseDbUrl('postgres://db.local/kam');
  assert.deepEqual([e.user, e.host, e.database], [null, 'db.local', 'kam']);
  assert.equal(parseDbUrl('  postgres://u:p@h/d  ').raw, 'postgres://u:p@h/d');
});

function urlError(raw: string, re: RegExp): void {
  assert.throws(
    () => parseDbUrl(raw),
    (e: Error) => e instanceof DbError && e.kind === 'url' && re.test(e.message),
    raw,
  );
}

test('bad db_urls: unknown scheme (with a hint), no database, bad port, SQLite with a host; never the password', () => {
  urlError('text:///etc/kamailio/dbtext', /unsupported scheme "text"/);
  urlError('postgresql://u:secret@h/d', /did you mean postgres:\/\//);
  urlError('redis://u:secret@h/d', /unsupported scheme/);
  urlError('postgres://u:secret@h', /no "\/database"/);
  urlError('postgres://u:secret@h/', /no database name/);
  urlError('mysql://u:secret@h:99999/d', /bad port "99999"/);
  urlError('mysql://u:secret@h:abc/d', /bad port "abc"/);
  urlError('sqlite://dsd.db', /sqlite:\/\/\/absolute\/path/);
  urlError('sqlite://localhost/var/x.db', /three slashes/);
  urlError('nourl', /too short|no scheme/);
  urlError('postgres:/u:secret@h/d', /expected "\/\/"/);
  for (const raw of ['postgresql://u:secret@h/d', 'postgres://u:secret@h', 'mysql://u:secret@h:abc/d']) {
    assert.throws(
      () => parseDbUrl(raw),
      (e: Error) => !e.message.includes('secret'),
    );
  }
});

test('maskDbUrl masks even URLs that do not parse', () => {
  assert.equal(maskDbUrl('postgres://u:p@ss@h/d'), 'postgres://u:***@h/d');
  assert.equal(maskDbUrl('weird://u:secret@'), 'weird://u:***@');
  assert.equal(maskDbUrl('mysql://u@h/d'), 'mysql://u@h/d');
  assert.equal(maskDbUrl('sqlite:///a:b@c'), 'sqlite:///a:***@c');
  assert.equal(maskDbUrl('no scheme at all'), 'no scheme at all');
});

test('the driver must agree with the cfg loadmodule lines', () => {
  const url = parseDbUrl('postgres://u:secret@h/d');
  checkDbModule(url, ['tm', 'db_postgres', 'dispatcher']);
  checkDbModule(url, ['/usr/lib/x86_64-linux-gnu/kamailio/modules/db_postgres.so']);
  assert.throws(
    () => checkDbModule(url, ['db_mysql.so', 'dispatcher.so']),
    (e: Error) =>
      e instanceof DbError &&
      e.kind === 'module' &&
      e.message ===
        'database postgres://u:***@h/d: db_url needs loadmodule "db_postgres.so" but the config loads db_mysql',
  );
  assert.throws(
    () => checkDbModule(parseDbUrl('sqlite:///x.db'), ['dispatcher']),
    /needs loadmodule "db_sqlite.so" but the config loads no database module/,
  );
  const cfg =
    '#!KAMAILIO\nloadmodule "tm.so"\n  loadmodule "/opt/kam/db_sqlite.so"\n# loadmodule "db_mysql.so"\nloadmodule("dispatcher")\n';
  assert.deepEqual(scanLoadmodules(cfg), ['tm', 'db_sqlite', 'dispatcher']);
});
