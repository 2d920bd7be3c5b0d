/**
 * Typed errors of the dispatcher engine. Each carries the context a caller needs to
 * report it without parsing the message text.
 */

/**
 * An RPC fault. `message` is Kamailio 5.6.3's exact fault text (clients and golden files
 * match on it); `detail` says what actually went wrong, for logs and `error.data`.
 */
export class DsRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly detail: string | null = null,
    /** Seconds after which a reload/add/remove will be accepted (reload_delta guard). */
    readonly retryAfterSec: number | null = null,
  ) {
    super(message);
    this.name = 'DsRpcError';
  }
}

/** A list file that cannot be loaded at all; `line`/`col` are 1-based. */
export class ListFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${col}: ${reason}`);
    this.name = 'ListFileError';
  }
}

/** A destination record that cannot be turned into a destination (bad URI, DNS, socket…). */
export class DestinationError extends Error {
  constructor(
    readonly setId: number,
    readonly uri: string,
    readonly reason: string,
    /** Where the record came from, e.g. "dispatcher.list:4" or "db row 7". */
    readonly origin: string | null = null,
  ) {
    super(`${origin ? origin + ': ' : ''}destination ${uri} in set ${setId}: ${reason}`);
    this.name = 'DestinationError';
  }
}

/** A whole load that failed (ds_load_mode=1 with a bad record, or a list file error). */
export class ListLoadError extends Error {
  constructor(message: string, readonly causes: readonly Error[]) {
    super(message);
    this.name = 'ListLoadError';
  }
}

/** A bad modparam value (wrong type, unknown name, out of range). */
export class ParamError extends Error {
  constructor(readonly param: string, readonly reason: string) {
    super(`modparam("dispatcher", "${param}"): ${reason}`);
    this.name = 'ParamError';
  }
}
