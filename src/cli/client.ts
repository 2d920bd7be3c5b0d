// dsctl's side of the control socket: one connection per call, one request line, one answer
// line. Errors become ConnectionError (cannot reach / no answer / garbage) or RpcCallError.
import * as net from 'node:net';
import type { RpcParams, RpcResponseMessage } from '../rpc-api/protocol';
import { ConnectionError, RpcCallError } from './errors';

export const DEFAULT_TIMEOUT_MS = 10_000;

function describeErrno(code: string | undefined, socketPath: string): string {
  switch (code) {
    case 'ENOENT':
      return `cannot connect to dsd at ${socketPath}: no such socket (is dsd running? -s picks another socket)`;
    case 'ECONNREFUSED':
      return `cannot connect to dsd at ${socketPath}: connection refused (stale socket, dsd is not running)`;
    case 'EACCES':
    case 'EPERM':
      return `cannot connect to dsd at ${socketPath}: permission denied (the socket is mode 0660: run as its owner or group)`;
    case 'ENOTSOCK':
      return `cannot connect to dsd at ${socketPath}: not a socket`;
    default:
      return `cannot connect to dsd at ${socketPath}: ${code ?? 'unknown error'}`;
  }
}

export function callRpc(
  socketPath: string,
  method: string,
  params: RpcParams | undefined,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<unknown> {
  const request = JSON.stringify(
    params === undefined ? { jsonrpc: '2.0', method, id: 1 } : { jsonrpc: '2.0', method, params, id: 1 },
  );
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const sock = net.createConnection(socketPath);
    const finish = (err: Error | undefined, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(
      () =>
        finish(
          new ConnectionError(
            socketPath,
            `no answer from dsd at ${socketPath} within ${timeoutMs / 1000} s`,
            'ETIMEDOUT',
          ),
        ),
      timeoutMs,
    );
    sock.once('connect', () => sock.write(request + '\n'));
    sock.on('data', (chunk: Buffer) => {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        chunks.push(chunk);
        return;
      }
      chunks.push(chunk.subarray(0, nl));
      finish(undefined, Buffer.concat(chunks).toString('utf8'));
    });
    sock.once('end', () =>
      finish(new ConnectionError(socketPath, `dsd at ${socketPath} closed the connection without answering`)),
    );
    sock.once('error', (err: NodeJS.ErrnoException) =>
      finish(new ConnectionError(socketPath, describeErrno(err.code, socketPath), err.code)),
    );
  }).then((line) => {
    let msg: RpcResponseMessage;
    try {
      msg = JSON.parse(line as string) as RpcResponseMessage;
    } catch {
      throw new ConnectionError(socketPath, `dsd at ${socketPath} sent an answer that is not JSON`);
    }
    if (msg === null || typeof msg !== 'object')
      throw new ConnectionError(socketPath, `dsd at ${socketPath} sent an invalid JSON-RPC answer`);
    if (msg.error) throw new RpcCallError(Number(msg.error.code), String(msg.error.message), msg.error.data);
    return msg.result;
  });
}
