// dsctl's failures, each with its own exit status so that runbooks can tell them apart
// (kamcmd exits 0 even on errors):
//   0  success
//   1  the daemon answered with an RPC error (printed as `error: <code> - <message>`)
//   2  usage error: unknown command, missing/extra/mistyped arguments, bad options
//   3  the daemon could not be reached, did not answer in time, or answered garbage
//   4  internal error in dsctl itself
import { DsdError } from '../core/errors';
import { formatFault, type RpcFault } from '../rpc-api/errors';

export const ExitCode = {
  ok: 0,
  rpcError: 1,
  usage: 2,
  connection: 3,
  internal: 4,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class DsctlError<C extends string | number = string> extends DsdError<C> {
  abstract readonly exitCode: ExitCodeValue;
  /** The one line printed on stderr. */
  abstract line(): string;
}

export class UsageError extends DsctlError {
  readonly exitCode = ExitCode.usage;
  constructor(
    message: string,
    /** `dsctl dispatcher.set_state STATE GROUP ADDRESS|all`, appended so the user sees what is expected. */
    readonly usage?: string,
  ) {
    super('DSD_ERR_USAGE', message);
  }
  line(): string {
    return this.usage ? `dsctl: ${this.message}; usage: ${this.usage}` : `dsctl: ${this.message}`;
  }
}

export class ConnectionError extends DsctlError {
  readonly exitCode = ExitCode.connection;
  constructor(
    readonly socketPath: string,
    message: string,
    readonly errno?: string,
  ) {
    super('DSD_ERR_CONNECTION', message);
  }
  line(): string {
    return `dsctl: ${this.message}`;
  }
}

export class RpcCallError extends DsctlError<number> implements RpcFault {
  readonly exitCode = ExitCode.rpcError;
  constructor(
    code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(code, message);
  }
  line(): string {
    const detail = typeof this.data === 'string' && this.data !== '' ? ` (${this.data})` : '';
    return formatFault(this) + detail;
  }
}
