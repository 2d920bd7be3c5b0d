// jsonrpcs' datagram transport: one JSON document per datagram on a Unix datagram socket
// (dgram_socket = a path; node-unix-socket, since Node's dgram has no AF_UNIX) or UDP
// (dgram_socket = udp:host:port), the reply sent back to the sender's address — how kamcli
// talks to Kamailio. A datagram that is not a JSON document gets no reply, as in Kamailio.
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DgramSocket } from 'node-unix-socket';
import { unixDgramSocket } from '../../core/unix-dgram';
import { DsdError } from '../../core/errors';
import { fileOwnerCred } from '../../control/peer-cred';
import type { CallerInfo } from '../../control/registry';
import type { CallerOf } from './exec';

export type DgramAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'udp'; readonly host: string; readonly port: number };

/** Kamailio's largest datagram (JSONRPC_DGRAM_BUF_SIZE). */
const DGRAM_MAX = 65456;

interface DgramLogger {
  warn(msg: string): void;
  error(msg: string): void;
}

export interface DgramOptions {
  readonly address: DgramAddress;
  readonly mode: number;
  readonly exec: (doc: string, callerOf: CallerOf) => Promise<{ reply: string | null }>;
  readonly log: DgramLogger;
}

class DgramSetupError extends DsdError {
  constructor(message: string) {
    super('DSD_ERR_JSONRPC_DGRAM', message);
  }
}

/** `udp:host:port` (host may be [v6]) or a Unix socket path. */
export function parseDgramAddress(spec: string): DgramAddress {
  if (spec.startsWith('udp:')) {
    const rest = spec.slice(4);
    const colon = rest.lastIndexOf(':');
    const port = Number(rest.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(port) || port < 1024 || port > 65535) {
      throw new DgramSetupError(`jsonrpcs: dgram_socket "${spec}": expected udp:host:port with a port in [1024,65535]`);
    }
    return { kind: 'udp', host: rest.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
  }
  if (spec.startsWith('unix:')) return { kind: 'unix', path: spec.slice(5) };
  return { kind: 'unix', path: spec };
}

export class JsonrpcDgram {
  private unix: DgramSocket | undefined;
  private udp: dgram.Socket | undefined;
  private queue: Promise<void> = Promise.resolve();
  private ino = -1;

  constructor(private readonly o: DgramOptions) {}

  async start(): Promise<void> {
    const a = this.o.address;
    if (a.kind === 'udp') {
      const s = dgram.createSocket(a.host.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', (e) =>
          reject(new DgramSetupError(`jsonrpcs: cannot bind udp:${a.host}:${a.port}: ${e.message}`)),
        );
        s.bind(a.port, a.host, () => resolve());
      });
      s.on('error', (e) => this.o.log.error(`jsonrpcs: datagram socket error: ${e.message}`));
      const endpoint = `udp:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
      s.on('message', (msg, rinfo) => {
        const remote = rinfo.family === 'IPv6' ? `[${rinfo.address}]:${rinfo.port}` : `${rinfo.address}:${rinfo.port}`;
        const caller = {
          transport: 'jsonrpcs-dgram',
          endpoint,
          remote,
          noPeer: 'a network peer has no uid (see remote)',
        };
        this.enqueue(msg, caller, (reply) => s.send(reply, rinfo.port, rinfo.address));
      });
      this.udp = s;
      return;
    }
    try {
      const st = fs.lstatSync(a.path, { throwIfNoEntry: false });
      if (st && !st.isSocket())
        throw new DgramSetupError(`jsonrpcs: ${a.path} exists and is not a socket; refusing to replace it`);
      if (st) fs.unlinkSync(a.path);
      fs.mkdirSync(path.dirname(a.path), { recursive: true, mode: 0o755 });
      const s = unixDgramSocket();
      s.bind(a.path);
      fs.chmodSync(a.path, this.o.mode & 0o777);
      this.ino = fs.statSync(a.path).ino;
      s.on('error', (e: Error) => this.o.log.error(`jsonrpcs: datagram socket error: ${e.message}`));
      s.on('data', (msg: Buffer, from: string) => {
        if (!from) {
          this.o.log.warn('jsonrpcs: datagram from an unbound socket; no reply possible');
          return;
        }
        const caller = {
          transport: 'jsonrpcs-dgram',
          endpoint: a.path,
          remote: from,
          peer: () => fileOwnerCred(from, 'socket'),
        };
        this.enqueue(msg, caller, (reply) =>
          s.sendTo(reply, 0, reply.length, from, (err) => {
            if (err) this.o.log.warn(`jsonrpcs: reply to ${from}: ${err.message}`);
          }),
        );
      });
      this.unix = s;
    } catch (e) {
      if (e instanceof DgramSetupError) throw e;
      throw new DgramSetupError(`jsonrpcs: cannot bind ${a.path}: ${(e as Error).message}`);
    }
  }

  private enqueue(msg: Buffer, caller: CallerInfo, send: (reply: Buffer) => void): void {
    this.queue = this.queue
      .then(async () => {
        const r = await this.o.exec(msg.toString('utf8').trim(), () => caller);
        if (r.reply === null) {
          this.o.log.warn('jsonrpcs: datagram is not a JSON document; no reply');
          return;
        }
        const out = Buffer.from(r.reply, 'utf8');
        if (out.length > DGRAM_MAX) {
          this.o.log.warn(`jsonrpcs: reply of ${out.length} bytes is too big for a datagram`);
          return;
        }
        send(out);
      })
      .catch((e) => this.o.log.error(`jsonrpcs: datagram request failed: ${(e as Error).message}`));
  }

  close(): void {
    this.udp?.close();
    if (this.unix) {
      this.unix.close();
      const p = (this.o.address as { path: string }).path;
      try {
        if (fs.statSync(p).ino === this.ino) fs.unlinkSync(p);
      } catch {
        /* gone */
      }
    }
  }
}
