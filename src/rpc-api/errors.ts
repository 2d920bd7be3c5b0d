// RPC faults. Method-level faults carry Kamailio's codes and exact messages (kamcmd prints
// them as `error: <code> - <message>`, scripts grep for them); protocol-level faults
// (bad JSON, oversized request) use the JSON-RPC 2.0 reserved codes.
import { DsdError } from '../core/errors';

export interface RpcFault {
  readonly code: number;
  readonly message: string;
}

export const RPC_FAULTS = {
  // Kamailio 5.6.3 dispatcher
  invalidParameters: { code: 500, message: 'Invalid Parameters' },
  ongoingReload: { code: 500, message: 'Ongoing reload' },
  reloadFailed: { code: 500, message: 'Reload Failed' },
  noDestinationSets: { code: 500, message: 'No Destination Sets' },
  invalidStateParameter: { code: 500, message: 'Invalid State Parameter' },
  unknownStateValue: { code: 500, message: 'Unknown State Value' },
  stateUpdateFailed: { code: 500, message: 'State Update Failed' },
  pingStateUpdateFailed: { code: 500, message: 'Ping State Update Failed' },
  addFailed: { code: 500, message: 'Adding dispatcher dst failed' },
  removeFailed: { code: 500, message: 'Removing dispatcher dst failed' },
  groupNotFound: { code: 404, message: 'Destination Group Not Found' },
  // dsd: where Kamailio answers "Ok" to nonsense we say what is wrong
  destinationNotFound: { code: 404, message: 'Destination Not Found' },
  persistFailed: { code: 500, message: 'Persisting to the list file failed' },
  persistDbFailed: { code: 500, message: 'Persisting to the database failed' },
  clusterUnavailable: { code: 500, message: 'Cluster Unavailable' },
  overrideNotFound: { code: 404, message: 'Override Not Found' },
  drainTimeout: { code: 500, message: 'Drain Timeout' },
  // Kamailio core / jsonrpcs
  methodNotFound: { code: 500, message: 'Method Not Found' },
  methodNameExpected: { code: 400, message: 'Method Name Expected' },
  commandNotFound: { code: 400, message: 'command not found' },
  internalError: { code: 500, message: 'Internal Error' },
  // JSON-RPC 2.0 protocol
  parseError: { code: -32700, message: 'Parse error' },
  invalidRequest: { code: -32600, message: 'Invalid Request' },
  requestTooLarge: { code: -32600, message: 'Request too large' },
} as const satisfies Record<string, RpcFault>;

export type RpcFaultName = keyof typeof RPC_FAULTS;

/** Thrown by method handlers; the control server turns it into a JSON-RPC error object. */
export class RpcError extends DsdError<number> implements RpcFault {
  constructor(
    code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(code, message);
  }

  static of(fault: RpcFaultName | RpcFault, data?: unknown): RpcError {
    const f = typeof fault === 'string' ? RPC_FAULTS[fault] : fault;
    return new RpcError(f.code, f.message, data);
  }

  toFault(): RpcFault & { data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** kamcmd's fault line (without the newline). */
export function formatFault(f: RpcFault): string {
  return `error: ${f.code} - ${f.message}`;
}
