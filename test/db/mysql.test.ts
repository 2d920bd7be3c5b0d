/**
 * The DB loader on a real MySQL-compatible server (MariaDB, started by this file), plus
 * what only a server can do: wrong password, unknown database, the server going down at
 * start and at reload.
 */
import { after, before } from 'node:test';
import { backendSuite } from './backend-suite';
import { serverSuite } from './server-suite';
import { missingMariadb, MyServer, startMariadb } from './helpers';

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
serverSuite({
  scheme: 'mysql',
  skip,
  server: () => my!,
  badPassword: /Access denied/,
  unknownDbKinds: ['connect', 'auth'],
});
