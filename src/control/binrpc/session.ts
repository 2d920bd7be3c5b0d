// Answers binrpc requests, as Kamailio's ctl module does: one packet in, one reply or fault
// out, with the cookie echoed. A stream connection may carry several packets; a broken
// packet is answered with Kamailio's 400 fault and the connection closed, an oversized one
// is closed at once (Kamailio's 64 KiB stream buffer), an unknown method is the fault
// `500 - command NAME not found` and the connection stays.
import type * as net from 'node:net';
import {
  BINRPC_MAX_PACKET,
  BinrpcError,
  BodyReader,
  PacketType,
  buildFault,
  buildPacket,
  parseHeader,
  type ParamValue,
} from './codec';
import { encodeResult } from './result';
import type { CallerInfo } from '../registry';

interface BinrpcFault {
  readonly code: number;
  readonly message: string;
}

export interface BinrpcBackend {
  has(method: string): boolean;
  /** Runs a method; throws what the registry throws. `caller` is for the audit line. */
  invoke(method: string, params: ParamValue[], caller?: CallerInfo): Promise<unknown>;
  /** The fault for a thrown error (undefined: an internal error, logged by the caller). */
  faultOf(err: unknown, method: string): BinrpcFault;
  /** Members Kamailio sends as unsigned ints for this method (printed signed by kamcmd). */
  int32Keys(method: string): readonly string[];
}

export interface PacketOutcome {
  readonly reply: Buffer | null;
  /** Close the connection after the reply (the packet was broken). */
  readonly close: boolean;
}

/** Answers one whole packet (header + body). */
export async function answerPacket(
  packet: Buffer,
  backend: BinrpcBackend,
  caller?: CallerInfo,
): Promise<PacketOutcome> {
  let header;
  try {
    header = parseHeader(packet);
  } catch (e) {
    return { reply: buildFault(0, 400, `bad request: ${(e as Error).message}`), close: true };
  }
  if (header === null || packet.length < header.headerSize + header.length) {
    return { reply: buildFault(header?.cookie ?? 0, 400, 'bad request: more data needed'), close: true };
  }
  const cookie = header.cookie;
  if (header.type !== PacketType.Request)
    return { reply: buildFault(cookie, 400, 'bad request: corrupted packet'), close: true };
  const reader = new BodyReader(packet.subarray(header.headerSize, header.headerSize + header.length));
  let method: string;
  try {
    method = reader.method();
  } catch (e) {
    return { reply: buildFault(cookie, 400, `bad request method: ${(e as Error).message}`), close: true };
  }
  if (!backend.has(method)) return { reply: buildFault(cookie, 500, `command ${method} not found`), close: false };
  const params: ParamValue[] = [];
  try {
    while (!reader.done) params.push(reader.next());
  } catch (e) {
    const msg = e instanceof BinrpcError ? e.message : 'bad record';
    return { reply: buildFault(cookie, 400, `error at parameter ${params.length + 1}: ${msg}`), close: false };
  }
  try {
    const result = await backend.invoke(method, params, caller);
    return {
      reply: buildPacket(PacketType.Reply, cookie, encodeResult(result, backend.int32Keys(method))),
      close: false,
    };
  } catch (err) {
    const f = backend.faultOf(err, method);
    return { reply: buildFault(cookie, f.code, f.message), close: false };
  }
}

export interface StreamOptions {
  readonly maxPacket?: number;
  readonly onClose?: (reason: string) => void;
  /** Who is calling, for the audit line. */
  readonly caller?: CallerInfo;
}

/**
 * Serves binrpc on a stream socket whose first bytes (`first`) were already read. Packets are
 * answered in order; reading pauses while one is being answered.
 */
export function serveBinrpcStream(
  socket: net.Socket,
  first: Buffer,
  backend: BinrpcBackend,
  opts: StreamOptions = {},
): void {
  const max = opts.maxPacket ?? BINRPC_MAX_PACKET;
  let buf = first;
  let busy = false;
  let ended = false;
  const drop = (reason: string): void => {
    opts.onClose?.(reason);
    socket.destroy();
  };
  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    socket.pause();
    try {
      for (;;) {
        if (socket.destroyed) return;
        let header;
        try {
          header = parseHeader(buf);
        } catch {
          header = undefined; // answerPacket writes the fault
        }
        if (header === null) break;
        const total = header ? header.headerSize + header.length : buf.length;
        if (total > max) return drop(`binrpc packet of ${total} bytes over the ${max} byte limit`);
        if (buf.length < total) break;
        const packet = buf.subarray(0, total);
        buf = buf.subarray(total);
        const out = await answerPacket(packet, backend, opts.caller);
        if (socket.destroyed) return;
        if (out.close) {
          if (out.reply) socket.end(out.reply, () => socket.destroy());
          else socket.destroy();
          opts.onClose?.('bad binrpc packet');
          return;
        }
        if (out.reply) socket.write(out.reply);
      }
      if (buf.length > max) return drop('binrpc header over the packet limit');
      if (ended) socket.end();
      else socket.resume();
    } finally {
      busy = false;
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    void pump();
  });
  socket.on('end', () => {
    ended = true;
    if (!busy) {
      // An unfinished packet at end of stream is dropped, as Kamailio's "unexpected EOF".
      socket.end();
    }
  });
  void pump();
}
