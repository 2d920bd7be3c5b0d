/**
 * Typed database errors. Every message names the database by its masked URL (never the
 * password) and keeps the driver's own text, so an operator sees what failed and why.
 */
import { DsdError } from '../core/errors';

/** What went wrong, for callers that react differently (exit code, RPC fault, retry). */
export type DbErrorKind =
  | 'url' // db_url does not parse or names an unsupported scheme
  | 'module' // db_url and the cfg's loadmodule lines disagree
  | 'connect' // server unreachable, unknown database, file cannot be opened
  | 'auth' // wrong user or password
  | 'schema' // a table or column is missing
  | 'version' // the version table row is missing or has an unsupported value
  | 'query' // any other failing statement
  | 'config'; // a table/column modparam that is not a plain SQL identifier

/** `code` is `DSD_ERR_DB_<KIND>`; the driver's own code is `driverCode`. */
export class DbError extends DsdError {
  constructor(
    readonly kind: DbErrorKind,
    /** The db_url with its password replaced by `***`. */
    readonly url: string,
    /** What dsd was doing, e.g. "cannot connect" or "cannot load table dispatcher". */
    readonly what: string,
    /** The driver's message (password scrubbed), or null. */
    readonly driverMessage: string | null = null,
    /** The driver's error code (SQLSTATE, MySQL code name, SQLite code), if any. */
    readonly driverCode: string | null = null,
  ) {
    super(`DSD_ERR_DB_${kind.toUpperCase()}`, `database ${url}: ${what}${driverMessage ? `: ${driverMessage}` : ''}`);
  }
}

/** Removes every occurrence of `secret` from `text` (driver messages may echo the URL). */
export function scrub(text: string, secret: string | null): string {
  if (!secret) return text;
  return text.split(secret).join('***');
}
