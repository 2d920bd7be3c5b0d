/**
 * Typed errors of the dispatcher engine. Each carries the context a caller needs to
 * report it without parsing the message text.
 */
import { DsdError } from '../../core/errors';
import { RPC_FAULTS, type RpcFaultName } from '../../rpc-api/errors';

/**
 * An RPC fault. `message` is Kamailio 5.6.3's exact fault text (clients and golden files
 * match on it), taken from the RPC fault table (`DsRpcError.of`); `detail` says what
 * actually went wrong, for logs and `error.data`.
 */
export class DsRpcError extends DsdError<number> {
  constructor(
    code: number,
    message: string,
    readonly detail: string | null = null,
    /** Seconds after which a reload/add/remove will be accepted (reload_delta guard). */
    readonly retryAfterSec: number | null = null,
  ) {
    super(code, message);
  }

  /** The fault `name` of the RPC fault table, with what went wrong. */
  static of(name: RpcFaultName, detail: string | null = null, retryAfterSec: number | null = null): DsRpcError {
    const f = RPC_FAULTS[name];
    return new DsRpcError(f.code, f.message, detail, retryAfterSec);
  }

  /** Is this the fault `name` of the table? */
  is(name: RpcFaultName): boolean {
    const f = RPC_FAULTS[name];
    return this.code === f.code && this.message === f.message;
  }
}

/** A list file that cannot be loaded at all; `line`/`col` are 1-based. */
export class ListFileError extends DsdError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly reason: string,
  ) {
    super('DSD_ERR_LIST_FILE', `${file}:${line}:${col}: ${reason}`);
  }
}

/** A destination record that cannot be turned into a destination (bad URI, DNS, socket…). */
export class DestinationError extends DsdError {
  constructor(
    readonly setId: number,
    readonly uri: string,
    readonly reason: string,
    /** Where the record came from, e.g. "dispatcher.list:4" or "db row 7". */
    readonly origin: string | null = null,
  ) {
    super('DSD_ERR_DESTINATION', `${origin ? origin + ': ' : ''}destination ${uri} in set ${setId}: ${reason}`);
  }
}

/** A whole load that failed (ds_load_mode=1 with a bad record, or a list file error). */
export class ListLoadError extends DsdError {
  constructor(
    message: string,
    readonly causes: readonly Error[],
  ) {
    super('DSD_ERR_LIST_LOAD', message);
  }
}

/** A bad modparam value (wrong type, unknown name, out of range). */
export class ParamError extends DsdError {
  constructor(
    readonly param: string,
    readonly reason: string,
  ) {
    super('DSD_ERR_PARAM', `modparam("dispatcher", "${param}"): ${reason}`);
  }
}
