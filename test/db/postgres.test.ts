/**
 * The DB loader on a real PostgreSQL (a throwaway cluster started by this file), plus
 * what only a server can do: wrong password, unknown database, the server going down at
 * start and at reload.
 */
import { after, before } from 'node:test';
import { backendSuite } from './backend-suite';
import { serverSuite } from './server-suite';
import { missingPostgres, PgServer, startPostgres } from './helpers';

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
serverSuite({
  scheme: 'postgres',
  skip,
  server: () => pg!,
  badPassword: /password authentication failed/,
  unknownDbKinds: ['connect'],
});
