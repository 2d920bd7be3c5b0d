/**
 * db_url as Kamailio reads it (srdb1 parse_db_url):
 *
 *   scheme://[user[:password]@]host[:port]/database[?params]
 *
 * Kamailio quirks kept: the password runs to the LAST `@` of the URL (it may contain `@`
 * and `:`), a user may contain `@` when another `@` follows, `[v6]` hosts, `?params` after
 * the database are ignored, and the scheme names the driver module (`db_<scheme>`).
 * `sqlite:///var/lib/dsd/dsd.db` has an empty host, and its database part is the path;
 * Kamailio opens it relative to its working directory `/`, so dsd reads it as absolute.
 */

import { DbError } from './errors';

export type DbKind = 'sqlite' | 'postgres' | 'mysql';

export interface DbUrl {
  readonly kind: DbKind;
  /** The Kamailio module that db_url needs: db_sqlite, db_postgres or db_mysql. */
  readonly module: string;
  readonly user: string | null;
  readonly password: string | null;
  /** Host name or IP (brackets removed); '' when absent. */
  readonly host: string;
  /** 0 when absent (driver default). */
  readonly port: number;
  /** Database name; for SQLite the absolute file path. */
  readonly database: string;
  /** The URL as written. */
  readonly raw: string;
  /** The URL with the password replaced by `***`: use this in every message. */
  readonly masked: string;
}

const MODULES: Readonly<Record<DbKind, string>> = { sqlite: 'db_sqlite', postgres: 'db_postgres', mysql: 'db_mysql' };

const HINTS: Readonly<Record<string, string>> = {
  postgresql: 'postgres://',
  pgsql: 'postgres://',
  pg: 'postgres://',
  mariadb: 'mysql://',
  sqlite3: 'sqlite:///',
  file: 'sqlite:///',
};

/**
 * The URL with the password masked. Works on URLs that do not parse too: everything from
 * the first `:` after `//` up to the last `@` is treated as the password, as Kamailio would.
 */
export function maskDbUrl(raw: string): string {
  const s = raw.indexOf('://');
  if (s < 0) return raw;
  const startAuth = s + 3;
  const at = raw.lastIndexOf('@');
  if (at < startAuth) return raw;
  const colon = raw.indexOf(':', startAuth);
  if (colon < 0 || colon > at) return raw;
  return `${raw.slice(0, colon + 1)}***${raw.slice(at)}`;
}

interface RawParts {
  scheme: string;
  user: string | null;
  password: string | null;
  host: string;
  port: number;
  database: string;
}

function bad(raw: string, why: string): DbError {
  return new DbError('url', maskDbUrl(raw), `invalid db_url: ${why}`);
}

/** Kamailio's str2s: decimal digits only, else 0 (it logs and carries on). */
function portOf(s: string): number {
  if (s.length === 0 || s.length > 5) return 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return 0;
  }
  const n = Number(s);
  return n <= 65535 ? n : 0;
}

function dbName(rest: string): string {
  const q = rest.indexOf('?');
  return q < 0 ? rest : rest.slice(0, q);
}

/** srdb1's parse_db_url rules, returning the parts or the reason it does not parse. */
function splitUrl(url: string): RawParts | string {
  if (url.length < 7) return 'too short (the shortest form is s://a/b)';
  const colon = url.indexOf(':');
  if (colon <= 0) return 'no scheme (expected e.g. postgres://user:pass@host/db)';
  const scheme = url.slice(0, colon);
  if (url[colon + 1] !== '/' || url[colon + 2] !== '/') return `expected "//" after "${scheme}:"`;
  const len = url.length;
  const lastAt = url.lastIndexOf('@');
  let user: string | null = null;
  let password: string | null = null;
  let host = '';
  let begin = colon + 3;
  let i = begin;
  let portText: string | null = null;
  // user/host part: "user@", "user:pass@", "host:port/", "host/"
  for (; i < len; i++) {
    const c = url[i];
    if (c === '@') {
      if (i === lastAt) {
        user = url.slice(begin, i);
        begin = i + 1;
        i++;
        break;
      }
      continue; // another '@' follows: this one belongs to the user name
    }
    if (c === ':') {
      // "user:pass@" when an '@' comes before the next '/', else "host:port/"
      const token = url.slice(begin, i);
      let k = i + 1;
      while (k < len && url[k] !== '@' && url[k] !== '/') k++;
      if (k >= len) return 'no "/database" part';
      if (url[k] === '@') {
        user = token;
        password = url.slice(i + 1, lastAt);
        begin = lastAt + 1;
        i = lastAt + 1;
      } else {
        host = token;
        portText = url.slice(i + 1, k);
        i = k;
        begin = -1;
      }
      break;
    }
    if (c === '[' || c === '/') break;
  }
  if (begin >= 0) {
    // host part
    let j = i;
    if (url[j] === '[') {
      const close = url.indexOf(']', j);
      if (close < 0) return 'unterminated [IPv6] host';
      host = url.slice(j + 1, close);
      j = close + 1;
    } else {
      while (j < len && url[j] !== ':' && url[j] !== '/') j++;
      host = url.slice(begin, j);
    }
    if (url[j] === ':') {
      const slash = url.indexOf('/', j + 1);
      if (slash < 0) return 'no "/database" after the port';
      portText = url.slice(j + 1, slash);
      j = slash;
    }
    if (url[j] !== '/') return 'no "/database" part';
    i = j;
  }
  let port = 0;
  if (portText !== null) {
    port = portOf(portText);
    if (port === 0) return `bad port "${portText}"`;
  }
  return { scheme, user, password, host, port, database: dbName(url.slice(i + 1)) };
}

/** Parses db_url; throws DbError (kind 'url') with the masked URL. */
export function parseDbUrl(raw: string): DbUrl {
  const url = raw.trim();
  const parts = splitUrl(url);
  if (typeof parts === 'string') {
    const sqliteHint = /^sqlite:/i.test(url) ? '; an SQLite db_url is sqlite:///absolute/path/to/file.db' : '';
    throw bad(url, parts + sqliteHint);
  }
  const scheme = parts.scheme.toLowerCase();
  if (scheme !== 'sqlite' && scheme !== 'postgres' && scheme !== 'mysql') {
    const hint = HINTS[scheme] ? ` (did you mean ${HINTS[scheme]}?)` : '';
    throw bad(
      url,
      `unsupported scheme "${parts.scheme}"${hint}; dsd reads sqlite:///path, postgres://user:pass@host[:port]/db and mysql://user:pass@host[:port]/db`,
    );
  }
  const kind = scheme as DbKind;
  let database = parts.database;
  if (kind === 'sqlite') {
    if (parts.host.length > 0 || parts.user !== null) {
      throw bad(url, 'an SQLite db_url is sqlite:///absolute/path/to/file.db (three slashes, no host)');
    }
    if (database.length === 0) throw bad(url, 'no SQLite file path after sqlite:///');
    database = '/' + database;
  } else {
    if (database.length === 0) throw bad(url, 'no database name after the host');
  }
  return {
    kind,
    module: MODULES[kind],
    user: parts.user,
    password: parts.password,
    host: parts.host,
    port: parts.port,
    database,
    raw: url,
    masked: maskDbUrl(url),
  };
}

/** `loadmodule "…/db_postgres.so"` → `db_postgres`. */
export function moduleBaseName(spec: string): string {
  const base = spec.slice(spec.lastIndexOf('/') + 1);
  return base.endsWith('.so') ? base.slice(0, -3) : base;
}

/**
 * Kamailio binds the driver by the scheme (`db_<scheme>`), so the cfg must load that
 * module. Throws DbError (kind 'module') naming both when it does not, e.g. a config that
 * loads db_mysql with a postgres:// URL.
 */
export function checkDbModule(url: DbUrl, loadedModules: readonly string[]): void {
  const names = loadedModules.map(moduleBaseName);
  if (names.includes(url.module)) return;
  const dbMods = names.filter((n) => n === 'db_sqlite' || n === 'db_postgres' || n === 'db_mysql');
  const loaded = dbMods.length ? `the config loads ${dbMods.join(', ')}` : 'the config loads no database module';
  throw new DbError('module', url.masked, `db_url needs loadmodule "${url.module}.so" but ${loaded}`);
}

/** The loadmodule names of a cfg text (for configs read without the cfg engine). */
export function scanLoadmodules(cfgText: string): string[] {
  const out: string[] = [];
  for (const line of cfgText.split('\n')) {
    const m = /^\s*loadmodule\s*\(?\s*"([^"]+)"/.exec(line);
    if (m?.[1]) out.push(moduleBaseName(m[1]));
  }
  return out;
}
