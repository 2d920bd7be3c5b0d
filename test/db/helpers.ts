/**
 * Throwaway database servers for the DB tests, each owned by the test file that starts it:
 * - PostgreSQL: `initdb` into a temp dir + `pg_ctl start` on a loopback port (binaries from
 *   /usr/lib/postgresql/<ver>/bin). As root, the server runs as the `postgres` user (or
 *   `nobody`), since PostgreSQL refuses to run as root.
 * - MariaDB: `mariadb-install-db --datadir=<tmp>` + `mariadbd` on a loopback port and a
 *   socket in the temp dir, as the current user.
 * Both are started once per test file and stopped (and their dirs removed) by it.
 * `null` from a start function means the binaries are missing: the caller skips with the
 * reason from `missingReason`.
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createConnection } from 'mysql2/promise';
import { freePorts } from '../helpers/ports';
import { IN_CI } from '../helpers/require';
import { dsctlArgsAsync } from '../helpers/ctl';
import { at } from '../helpers/at';

export const DB_USER = 'dsd';
/** Has URL-special characters on purpose: the masking must hide it whole. */
export const DB_PASSWORD = 'S3cr:t@pw';
const PG_PASSWORD_PLAIN = 'dsd-Pa55';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- PostgreSQL -------------------------------------------------------------------------

export function pgBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, at(versions, 0), 'bin') : null;
}

/** Runs as this OS user when we are root (PostgreSQL refuses root). */
function pgRunAs(): { user: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const user of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (r.status === 0 && g.status === 0) return { user, uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  throw new Error('running as root and neither the postgres nor the nobody user exists');
}

export interface PgServer {
  readonly port: number;
  readonly dir: string;
  /** postgres://dsd:<pw>@127.0.0.1:<port>/<db> */
  url(db?: string, password?: string): string;
  /** Creates a database (owned by dsd) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** A pg Client on `db`, connected (caller ends it). */
  client(db?: string): Promise<Client>;
  /** pg_ctl stop -m fast (the data dir stays: start() brings it back). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

export function missingPostgres(): string | null {
  // in CI the server must be there (.ci/run installs it): run, and fail, rather than skip
  return pgBinDir() === null && !IN_CI
    ? 'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql; .ci/db-servers.sh does it)'
    : null;
}

export async function startPostgres(): Promise<PgServer | null> {
  const bin = pgBinDir();
  if (bin === null) return null;
  const runAs = pgRunAs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-pg-'));
  if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
  const data = path.join(dir, 'data');
  const pwFile = path.join(dir, 'pw');
  fs.writeFileSync(pwFile, PG_PASSWORD_PLAIN + '\n');
  if (runAs) fs.chownSync(pwFile, runAs.uid, runAs.gid);
  const run = (cmd: string, args: string[]): { status: number | null; out: string } => {
    const full = runAs ? ['-u', runAs.user, '--', path.join(bin, cmd), ...args] : args;
    const r = spawnSync(runAs ? 'runuser' : path.join(bin, cmd), full, { encoding: 'utf8', timeout: 60000 });
    return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
  };
  const init = run('initdb', [
    '-D',
    data,
    '-U',
    DB_USER,
    '--auth=md5',
    `--pwfile=${pwFile}`,
    '-E',
    'UTF8',
    '--no-sync',
    '--locale=C',
  ]);
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.out}`);
  // md5 auth for TCP; the password is changed below to one with URL-special characters.
  const [port] = await freePorts(1);
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50`;
  const srv: PgServer = {
    port,
    dir,
    url: (db = 'dsd', password = DB_PASSWORD) => `postgres://${DB_USER}:${password}@127.0.0.1:${port}/${db}`,
    async createDatabase(name) {
      const c = await srv.client('postgres');
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
        await c.query(`CREATE DATABASE ${name} OWNER ${DB_USER}`);
      } finally {
        await c.end();
      }
      return srv.url(name);
    },
    async client(db = 'dsd') {
      const c = new Client({ host: '127.0.0.1', port, user: DB_USER, password: DB_PASSWORD, database: db });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
    async start() {
      if (run('pg_ctl', ['-D', data, 'status']).status === 0) return;
      const r = run('pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
      if (r.status !== 0) throw new Error(`pg_ctl start failed:\n${r.out}\n${readTail(path.join(dir, 'log'))}`);
    },
    async stop() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
    },
    async destroy() {
      if (fs.existsSync(path.join(data, 'postmaster.pid'))) await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await srv.start();
    const c = new Client({ host: '127.0.0.1', port, user: DB_USER, password: PG_PASSWORD_PLAIN, database: 'postgres' });
    await c.connect();
    await c.query(`ALTER USER ${DB_USER} PASSWORD '${DB_PASSWORD.replace(/'/g, "''")}'`);
    await c.query(`CREATE DATABASE dsd OWNER ${DB_USER}`);
    await c.end();
  } catch (e) {
    await srv.destroy();
    throw e;
  }
  return srv;
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

// ---- MariaDB ----------------------------------------------------------------------------

function which(names: string[], dirs = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']): string | null {
  for (const n of names) for (const d of dirs) if (fs.existsSync(path.join(d, n))) return path.join(d, n);
  return null;
}

export function missingMariadb(): string | null {
  if (
    !IN_CI &&
    (which(['mariadbd', 'mysqld']) === null || which(['mariadb-install-db', 'mysql_install_db']) === null)
  ) {
    return 'MariaDB server binaries (mariadbd, mariadb-install-db) not found (apt-get install mariadb-server; .ci/db-servers.sh does it)';
  }
  return null;
}

export interface MyServer {
  readonly port: number;
  readonly dir: string;
  readonly socket: string;
  /** mysql://dsd:<pw>@127.0.0.1:<port>/<db> */
  url(db?: string, password?: string): string;
  createDatabase(name: string): Promise<string>;
  /** Runs statements as root over the socket. */
  rootQuery(sql: string, db?: string): Promise<unknown>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startMariadb(): Promise<MyServer | null> {
  const daemon = which(['mariadbd', 'mysqld']);
  const install = which(['mariadb-install-db', 'mysql_install_db']);
  if (daemon === null || install === null) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-my-'));
  const data = path.join(dir, 'data');
  const socket = path.join(dir, 'sock');
  const asRoot = process.getuid?.() === 0;
  const userArgs = asRoot ? ['--user=root'] : [];
  const inst = spawnSync(
    install,
    ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...userArgs],
    { encoding: 'utf8', timeout: 120000 },
  );
  if (inst.status !== 0) throw new Error(`mariadb-install-db failed:\n${inst.stdout}${inst.stderr}`);
  const [port] = await freePorts(1);
  let proc: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const rootConn = (db?: string) =>
    createConnection({ socketPath: socket, user: 'root', database: db, multipleStatements: true });
  const srv: MyServer = {
    port,
    dir,
    socket,
    url: (db = 'dsd', password = DB_PASSWORD) => `mysql://${DB_USER}:${password}@127.0.0.1:${port}/${db}`,
    async createDatabase(name) {
      await srv.rootQuery(
        `DROP DATABASE IF EXISTS ${name}; CREATE DATABASE ${name}; GRANT ALL ON ${name}.* TO '${DB_USER}'@'127.0.0.1'`,
      );
      return srv.url(name);
    },
    async rootQuery(sql, db) {
      const c = await rootConn(db);
      try {
        const [r] = await c.query(sql);
        return r;
      } finally {
        await c.end();
      }
    },
    async start() {
      if (proc !== null && proc.exitCode === null) return;
      const p = spawn(
        daemon,
        [
          '--no-defaults',
          `--datadir=${data}`,
          `--socket=${socket}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          `--pid-file=${path.join(dir, 'pid')}`,
          `--log-error=${path.join(dir, 'err.log')}`,
          '--skip-log-bin',
          '--innodb-buffer-pool-size=16M',
          '--innodb-log-file-size=8M',
          '--skip-name-resolve',
          '--innodb-flush-log-at-trx-commit=0',
          ...userArgs,
        ],
        { stdio: 'ignore' },
      );
      proc = p;
      exited = new Promise((r) => p.once('exit', () => r()));
      const until = Date.now() + 60000;
      for (;;) {
        if (p.exitCode !== null) throw new Error(`mariadbd exited:\n${readTail(path.join(dir, 'err.log'))}`);
        try {
          const c = await rootConn();
          await c.end();
          return;
        } catch {
          if (Date.now() > until) throw new Error(`mariadbd did not come up:\n${readTail(path.join(dir, 'err.log'))}`);
          await sleep(100);
        }
      }
    },
    async stop() {
      const p = proc;
      if (p === null || p.exitCode !== null) return;
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 30000);
      await exited;
      clearTimeout(t);
      proc = null;
    },
    async destroy() {
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await srv.start();
    await srv.rootQuery(
      `CREATE USER '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}'; CREATE DATABASE dsd; GRANT ALL ON dsd.* TO '${DB_USER}'@'127.0.0.1'`,
    );
  } catch (e) {
    await srv.destroy();
    throw e;
  }
  return srv;
}

// ---- data -------------------------------------------------------------------------------

/**
 * The rows every backend test (and the Kamailio fixtures) use: equal priorities in two
 * sets (their order is what differs between loads), attrs with weights and a duid, a
 * flags value (8 = probing), a row without attrs and one without the sip: scheme.
 */
export const FIXTURE_ROWS: readonly (readonly [number, number, string, number, number, string, string])[] = [
  [1, 1, 'sip:127.0.0.1:5080', 0, 0, 'weight=50;rweight=50', 'gw a'],
  [2, 1, 'sip:127.0.0.1:5081', 0, 0, 'weight=50;rweight=50', 'gw b'],
  [3, 1, 'sip:127.0.0.1:5082', 8, 5, 'duid=gw3;maxload=20', 'gw c'],
  [4, 2, 'sip:127.0.0.2:5090;transport=tcp', 0, 10, '', 'tcp gw'],
  [5, 2, 'sip:127.0.0.2:5091', 8, 10, 'duid=gw5;weight=20;', 'probed'],
  [6, 3, '127.0.0.3:5060', 0, 0, 'rweight=50;weight=50;cc=1;', 'no scheme'],
  [7, 2, 'sip:127.0.0.2:5092', 1, 10, '', 'inactive'],
];

/** INSERT statements for FIXTURE_ROWS, as an operator would type them. */
export function fixtureInserts(): string[] {
  return FIXTURE_ROWS.map(
    (r) => `INSERT INTO dispatcher VALUES(${r[0]},${r[1]},'${r[2]}',${r[3]},${r[4]},'${r[5]}','${r[6]}')`,
  );
}

// ---- daemons (e2e) ----------------------------------------------------------------------

/** bin/dsctl with arguments, outside any DSD_CTL/COLUMNS of the caller; never throws. */
export async function dsctlRun(
  args: readonly string[],
  timeoutMs = 20000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.DSD_CTL;
  delete env.COLUMNS;
  const r = await dsctlArgsAsync(args, timeoutMs, env);
  return { code: r.code ?? -1, stdout: r.out, stderr: r.err };
}

/** `bin/dsd ARGS…` to completion (e.g. `db init -f cfg`, or a start that must fail). */
export function dsdRun(args: readonly string[], timeoutMs = 20000): { code: number | null; out: string } {
  const bin = path.resolve(__dirname, '..', '..', '..', 'bin', 'dsd');
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** The cfg lines that put the destinations in a database (added after loadmodule "dispatcher.so"). */
export function dbParams(dbUrl: string, extra: string[] = []): string[] {
  const kind = dbUrl.slice(0, dbUrl.indexOf(':'));
  const mod = kind === 'postgres' ? 'db_postgres' : kind === 'mysql' ? 'db_mysql' : 'db_sqlite';
  return [`loadmodule "${mod}.so"`, `modparam("dispatcher", "db_url", "${dbUrl}")`, ...extra];
}
