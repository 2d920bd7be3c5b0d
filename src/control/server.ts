// The control socket: JSON-RPC 2.0 (json-rpc-2.0's JSONRPCServer) over a Unix stream socket,
// one JSON text per line each way. Requests of one connection are answered in order; many
// connections are served at once. Bad input (malformed JSON, invalid requests, oversized
// lines, throwing handlers) always gets a JSON-RPC error, never takes the daemon down.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  JSONRPCServer,
  createJSONRPCErrorResponse,
  createJSONRPCSuccessResponse,
  type JSONRPCRequest,
  type JSONRPCResponse,
} from 'json-rpc-2.0';
import { RPC_FAULTS, RpcError } from '../rpc-api/errors';
import { MAX_REQUEST_BYTES } from '../rpc-api/protocol';
import { LineFramer } from './line-framer';
import type { CallerInfo, MethodRegistry } from './registry';
import { socketPeerCred } from './peer-cred';
import { looksLikeBinrpc } from './binrpc/codec';
import { serveBinrpcStream } from './binrpc/session';
import { registryBackend } from './binrpc/backend';
import { DsdError } from '../core/errors';

/** The subset of pino's logger the server uses. */
export interface ControlLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const silentLogger: ControlLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface ControlServerOptions {
  readonly path: string;
  readonly registry: MethodRegistry;
  readonly log?: ControlLogger;
  /** Default MAX_REQUEST_BYTES (1 MiB). */
  readonly maxRequestBytes?: number;
  /** Socket file mode, default 0o660. */
  readonly mode?: number;
  /** Concurrent connections, default 128. */
  readonly maxConnections?: number;
  /** A connection idle this long is closed; default 120 s, 0 disables. */
  readonly idleTimeoutMs?: number;
}

export class ControlSocketInUseError extends DsdError {
  constructor(readonly path: string) {
    super('DSD_ERR_CTL_IN_USE', `control socket ${path} is in use by a running daemon`);
  }
}

export class ControlSocketPathError extends DsdError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super('DSD_ERR_CTL_PATH', `control socket ${path}: ${reason}`);
  }
}

function probeLive(p: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(p);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(true); // accepted but silent: somebody owns it
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(new ControlSocketPathError(p, err.message));
    });
  });
}

/**
 * An RPC fault: an RpcError, or any Error carrying an integer `code` (e.g. the dispatcher's
 * DsRpcError) — its `data` or `detail` goes out as the error's data. System errors have string
 * codes ('ENOENT') and stay internal errors.
 */
export function faultOf(err: unknown): { code: number; message: string; data?: unknown } | undefined {
  if (err instanceof RpcError) return err.toFault();
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; data?: unknown; detail?: unknown };
    if (typeof e.code === 'number' && Number.isInteger(e.code)) {
      const data = e.data ?? e.detail;
      return data === undefined || data === null
        ? { code: e.code, message: e.message }
        : { code: e.code, message: e.message, data };
    }
  }
  return undefined;
}

export class ControlServer {
  readonly path: string;
  private readonly registry: MethodRegistry;
  private readonly log: ControlLogger;
  private readonly maxRequestBytes: number;
  private readonly mode: number;
  private readonly rpc: JSONRPCServer<CallerInfo>;
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  private ino: number | undefined;
  private readonly opts: ControlServerOptions;

  constructor(opts: ControlServerOptions) {
    this.opts = opts;
    this.path = opts.path;
    this.registry = opts.registry;
    this.log = opts.log ?? silentLogger;
    this.maxRequestBytes = opts.maxRequestBytes ?? MAX_REQUEST_BYTES;
    this.mode = opts.mode ?? 0o660;
    this.rpc = new JSONRPCServer<CallerInfo>({
      errorListener: (message, data) => this.log.error({ err: data }, message),
    });
    // Every call goes to the registry, which methods can join after start().
    this.rpc.applyMiddleware((_next, request, caller) => this.dispatch(request, caller));
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  async start(): Promise<void> {
    if (this.server) throw new Error('ControlServer already started');
    await fs.promises.mkdir(path.dirname(this.path), { recursive: true, mode: 0o755 });
    await this.clearStale();
    // Half-open: a client may send its request and shut its side; we still owe it the answer.
    const server = net.createServer({ allowHalfOpen: true }, (s) => this.onConnection(s));
    server.maxConnections = this.opts.maxConnections ?? 128;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          err.code === 'EADDRINUSE'
            ? new ControlSocketInUseError(this.path)
            : new ControlSocketPathError(this.path, err.message),
        );
      };
      server.once('error', onError);
      server.listen(this.path, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'control socket error'));
    this.server = server;
    await fs.promises.chmod(this.path, this.mode);
    this.ino = (await fs.promises.stat(this.path)).ino;
    this.log.info({ path: this.path }, 'control socket listening');
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
    // Remove the file only if it is still ours (a successor may already have replaced it).
    try {
      const st = await fs.promises.lstat(this.path);
      if (st.ino === this.ino) await fs.promises.unlink(this.path);
    } catch {
      /* already gone */
    }
  }

  private async clearStale(): Promise<void> {
    let st: fs.Stats;
    try {
      st = await fs.promises.lstat(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new ControlSocketPathError(this.path, (err as Error).message);
    }
    if (!st.isSocket())
      throw new ControlSocketPathError(this.path, 'exists and is not a socket; refusing to replace it');
    if (await probeLive(this.path, 1000)) throw new ControlSocketInUseError(this.path);
    await fs.promises.unlink(this.path);
    this.log.info({ path: this.path }, 'replaced stale control socket');
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const idle = this.opts.idleTimeoutMs ?? 120_000;
    if (idle > 0) {
      socket.setTimeout(idle, () => {
        this.log.debug({ idleMs: idle }, 'idle control connection closed');
        socket.destroy();
      });
    }
    // The first byte tells the protocols apart: binrpc (kamcmd) starts with magic 0xA_,
    // a JSON-RPC line (dsctl) never does.
    const onFirst = (first: Buffer): void => {
      socket.off('end', onEndFirst);
      const peer = () => socketPeerCred(socket);
      if (looksLikeBinrpc(first[0]!)) {
        serveBinrpcStream(socket, first, registryBackend(this.registry, this.log, faultOf), {
          onClose: (reason) => this.log.debug({ reason }, 'binrpc connection closed'),
          caller: { transport: 'binrpc', endpoint: this.path, peer },
        });
      } else this.serveJson(socket, first, { transport: 'jsonrpc', endpoint: this.path, peer });
    };
    const onEndFirst = (): void => {
      socket.off('data', onFirst);
      socket.end();
    };
    socket.once('data', onFirst);
    socket.once('end', onEndFirst);
    socket.on('error', (err) => this.log.debug({ err }, 'control connection error'));
  }

  private serveJson(socket: net.Socket, first: Buffer, caller: CallerInfo): void {
    const framer = new LineFramer(this.maxRequestBytes);
    let queue: Promise<void> = Promise.resolve();
    let closing = false;

    const send = (resp: JSONRPCResponse | JSONRPCResponse[] | null): void => {
      if (resp === null || socket.destroyed || !socket.writable) return;
      let text: string;
      try {
        text = JSON.stringify(resp);
      } catch (err) {
        this.log.error({ err }, 'unserializable RPC result');
        const id = Array.isArray(resp) ? null : resp.id;
        text = JSON.stringify(
          createJSONRPCErrorResponse(id, RPC_FAULTS.internalError.code, RPC_FAULTS.internalError.message),
        );
      }
      socket.write(text + '\n');
    };
    const handle = (events: ReturnType<LineFramer['push']>): void => {
      for (const ev of events) {
        if (closing) return;
        if (ev.kind === 'overflow') {
          closing = true;
          const f = RPC_FAULTS.requestTooLarge;
          queue = queue.then(() => {
            send(createJSONRPCErrorResponse(null, f.code, f.message, `limit is ${this.maxRequestBytes} bytes`));
            // Close both ways once the answer is flushed: the rest of the request is not read.
            socket.end(() => socket.destroy());
          });
          this.log.warn({ limit: this.maxRequestBytes }, 'control request too large, closing connection');
          return;
        }
        if (ev.line.trim() === '') continue;
        const line = ev.line;
        queue = queue
          .then(() => this.answer(line, caller))
          .then(send)
          .catch((err) => this.log.error({ err }, 'control reply failed'));
      }
    };

    socket.on('data', (chunk: Buffer) => handle(framer.push(chunk)));
    socket.on('end', () => {
      handle(framer.end());
      queue = queue.then(() => {
        if (!closing && !socket.destroyed) socket.end();
      });
    });
    handle(framer.push(first));
  }

  private async answer(line: string, caller: CallerInfo): Promise<JSONRPCResponse | JSONRPCResponse[] | null> {
    try {
      return await this.rpc.receiveJSON(line, caller);
    } catch (err) {
      // json-rpc-2.0 throws on some odd batches (e.g. [null]); answer instead of dropping.
      this.log.debug({ err }, 'invalid JSON-RPC request');
      const f = RPC_FAULTS.invalidRequest;
      return createJSONRPCErrorResponse(null, f.code, f.message);
    }
  }

  private async dispatch(request: JSONRPCRequest, caller: CallerInfo): Promise<JSONRPCResponse | null> {
    const id = request.id;
    try {
      const result = await this.registry.invoke(request.method, request.params, caller);
      return id === undefined ? null : createJSONRPCSuccessResponse(id, result);
    } catch (err) {
      const fault = faultOf(err);
      if (!fault) this.log.error({ err, method: request.method }, 'RPC method failed');
      if (id === undefined) return null;
      const f = fault ?? RPC_FAULTS.internalError;
      return createJSONRPCErrorResponse(id, f.code, f.message, fault?.data);
    }
  }
}
