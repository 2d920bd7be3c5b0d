// Framing of the control socket, shared by the server and dsctl: JSON-RPC 2.0, one JSON text
// per line in both directions (a JSON text never contains a raw newline), UTF-8.

/** A request line longer than this is answered with a `Request too large` error and the connection is closed. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export type RpcParamValue = number | string | boolean | null;
export type RpcParams = RpcParamValue[] | Record<string, RpcParamValue>;

interface RpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export interface RpcResponseMessage {
  readonly jsonrpc: '2.0';
  readonly id: number | string | null;
  readonly result?: unknown;
  readonly error?: RpcErrorObject;
}

/** The named param that asks the daemon to write the change back to the list file. */
export const PERSIST_PARAM = 'persist';
