// Starts jsonrpcs' transports on the control socket's method registry.
import type { MethodRegistry } from '../../control/registry';
import { execJsonrpc, type CallerOf } from './exec';
import { JsonrpcFifo } from './fifo';
import { JsonrpcDgram } from './dgram';
import type { JsonrpcsConfig } from './config';

export interface JsonrpcsLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface Jsonrpcs {
  close(): void;
}

export async function startJsonrpcs(
  cfg: JsonrpcsConfig,
  registry: MethodRegistry,
  log: JsonrpcsLogger,
  faultOf: (err: unknown) => { code: number; message: string } | undefined,
): Promise<Jsonrpcs> {
  const exec = (wantReplyName: boolean) => (doc: string, callerOf: CallerOf) =>
    execJsonrpc(
      doc,
      registry,
      {
        pretty: cfg.pretty,
        wantReplyName,
        faultOf,
        onInternalError: (err, method) => log.error(`jsonrpcs: ${method} failed: ${(err as Error).message}`),
      },
      callerOf,
    );
  let fifo: JsonrpcFifo | undefined;
  let dgram: JsonrpcDgram | undefined;
  try {
    if (cfg.fifo) {
      fifo = new JsonrpcFifo({
        ...cfg.fifo,
        maxRequestBytes: cfg.maxRequestBytes,
        readTimeoutMs: cfg.readTimeoutMs,
        exec: exec(true),
        log,
      });
      fifo.start();
      log.info(`jsonrpcs: FIFO ${cfg.fifo.path}`);
    }
    if (cfg.dgram) {
      dgram = new JsonrpcDgram({ ...cfg.dgram, exec: exec(false), log });
      await dgram.start();
      const a = cfg.dgram.address;
      log.info(`jsonrpcs: datagram socket ${a.kind === 'udp' ? `udp:${a.host}:${a.port}` : a.path}`);
    }
  } catch (e) {
    fifo?.close();
    dgram?.close();
    throw e;
  }
  return {
    close() {
      fifo?.close();
      dgram?.close();
    },
  };
}
