// binrpc on ctl's further addresses (the first unix stream socket is the control socket
// itself, shared with dsctl): TCP streams like the Unix one, and datagrams (UDP, Unix
// datagram) with one packet per datagram and the reply sent back to the sender.
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { unixDgramSocket } from '../../core/unix-dgram';
import { addressText, type BinrpcAddress } from './address';
import { BINRPC_MAX_PACKET } from './codec';
import { answerPacket, serveBinrpcStream, type BinrpcBackend } from './session';
import type { CallerInfo } from '../registry';
import { fileOwnerCred, socketPeerCred } from '../peer-cred';

export interface ListenerLogger {
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ListenerOptions {
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly mode: number;
}

export interface BinrpcListeners {
  close(): Promise<void>;
}

type Closer = () => Promise<void> | void;

const NETWORK_PEER = 'a network peer has no uid (see remote)';

function replaceStaleSocket(p: string): void {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (st === undefined) return;
  if (!st.isSocket()) throw new Error(`${p} exists and is not a socket; refusing to replace it`);
  fs.unlinkSync(p);
}

/** A stream listener (TCP or Unix stream), binrpc on every connection. */
async function listenStream(
  listen: (server: net.Server, cb: () => void) => void,
  callerOf: (s: net.Socket) => CallerInfo,
  backend: BinrpcBackend,
  o: ListenerOptions,
  log: ListenerLogger,
): Promise<Closer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    if (o.idleTimeoutMs > 0) s.setTimeout(o.idleTimeoutMs, () => s.destroy());
    s.once('data', (first: Buffer) =>
      serveBinrpcStream(s, first, backend, {
        onClose: (reason) => log.debug({ reason }, 'binrpc connection closed'),
        caller: callerOf(s),
      }),
    );
  });
  server.maxConnections = o.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    listen(server, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

async function listenUdp(a: { host: string; port: number }, backend: BinrpcBackend, endpoint: string): Promise<Closer> {
  const s = dgram.createSocket(a.host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(a.port, a.host, () => {
      s.off('error', reject);
      resolve();
    });
  });
  s.on('error', () => {});
  s.on('message', (msg, rinfo) => {
    const remote = rinfo.family === 'IPv6' ? `[${rinfo.address}]:${rinfo.port}` : `${rinfo.address}:${rinfo.port}`;
    const caller = { transport: 'binrpc', endpoint, remote, noPeer: NETWORK_PEER };
    void answerPacket(msg, backend, caller).then((out) => {
      if (out.reply) s.send(out.reply, rinfo.port, rinfo.address);
    });
  });
  return () => new Promise<void>((resolve) => s.close(() => resolve()));
}

function listenUnixDgram(p: string, backend: BinrpcBackend, o: ListenerOptions, log: ListenerLogger): Closer {
  replaceStaleSocket(p);
  const s = unixDgramSocket();
  s.bind(p);
  fs.chmodSync(p, o.mode);
  const ino = fs.statSync(p).ino;
  s.on('error', (e: Error) => log.error({ err: e }, 'binrpc datagram socket error'));
  s.on('data', (msg: Buffer, from: string) => {
    if (!from || msg.length > BINRPC_MAX_PACKET) return;
    const caller = {
      transport: 'binrpc',
      endpoint: `unixd:${p}`,
      remote: from,
      peer: () => fileOwnerCred(from, 'socket'),
    };
    void answerPacket(msg, backend, caller).then((out) => {
      if (out.reply) s.sendTo(out.reply, 0, out.reply.length, from, () => {});
    });
  });
  return () => {
    s.close();
    try {
      if (fs.statSync(p).ino === ino) fs.unlinkSync(p);
    } catch {
      /* gone */
    }
  };
}

async function listenUnixStream(
  p: string,
  backend: BinrpcBackend,
  o: ListenerOptions,
  log: ListenerLogger,
): Promise<Closer> {
  replaceStaleSocket(p);
  const callerOf = (s: net.Socket): CallerInfo => ({
    transport: 'binrpc',
    endpoint: `unixs:${p}`,
    peer: () => socketPeerCred(s),
  });
  const close = await listenStream((srv, cb) => srv.listen(p, cb), callerOf, backend, o, log);
  fs.chmodSync(p, o.mode);
  return close;
}

/** Opens every address; on a failure the ones already open are closed and the error thrown. */
export async function startBinrpcListeners(
  addresses: readonly BinrpcAddress[],
  backend: BinrpcBackend,
  o: ListenerOptions,
  log: ListenerLogger,
): Promise<BinrpcListeners> {
  const closers: Closer[] = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.splice(0)) await c();
  };
  try {
    for (const a of addresses) {
      const endpoint = addressText(a);
      const tcpCaller = (s: net.Socket): CallerInfo => ({
        transport: 'binrpc',
        endpoint,
        remote:
          s.remoteFamily === 'IPv6' ? `[${s.remoteAddress}]:${s.remotePort}` : `${s.remoteAddress}:${s.remotePort}`,
        noPeer: NETWORK_PEER,
      });
      if (a.kind === 'tcp')
        closers.push(await listenStream((srv, cb) => srv.listen(a.port, a.host, cb), tcpCaller, backend, o, log));
      else if (a.kind === 'udp') closers.push(await listenUdp(a, backend, endpoint));
      else if (a.kind === 'unixd') closers.push(listenUnixDgram(a.path, backend, o, log));
      else closers.push(await listenUnixStream(a.path, backend, o, log));
      log.info({ address: addressText(a) }, 'binrpc listening');
    }
  } catch (e) {
    await closeAll();
    throw new Error(`ctl binrpc: ${(e as Error).message}`);
  }
  return { close: closeAll };
}
