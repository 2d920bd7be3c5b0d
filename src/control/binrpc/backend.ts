// The binrpc side of the method registry: the same methods dsctl calls, their faults as
// Kamailio's code/message pairs (the JSON-RPC error's data is dsd's own and not sent).
import { findCommand } from '../../rpc-api/commands';
import { RPC_FAULTS } from '../../rpc-api/errors';
import type { MethodRegistry } from '../registry';
import type { BinrpcBackend } from './session';

type Fault = { code: number; message: string };

export interface BackendLogger {
  error(obj: object, msg?: string): void;
}

/** `faultOf` maps a thrown error to its RPC fault (undefined: internal). */
export function registryBackend(
  registry: MethodRegistry,
  log: BackendLogger,
  faultOf: (err: unknown) => Fault | undefined,
): BinrpcBackend {
  return {
    has: (m) => registry.has(m),
    invoke: (m, params, caller) => registry.invoke(m, params, caller),
    faultOf: (err, method) => {
      const f = faultOf(err);
      if (f) return { code: f.code, message: f.message };
      log.error({ err, method }, 'RPC method failed');
      return RPC_FAULTS.internalError;
    },
    int32Keys: (m) => findCommand(m)?.output.int32Keys ?? [],
  };
}
