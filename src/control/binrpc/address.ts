// ctl's binrpc addresses, as Kamailio's modparam("ctl", "binrpc", …) takes them:
// unix:/path or unixs:/path (stream; a bare path too), unixd:/path (datagram),
// tcp:host[:port], udp:host[:port] (port 2049 when left out).
import { DsdError } from '../../core/errors';

export type BinrpcAddress =
  | { readonly kind: 'unixs'; readonly path: string }
  | { readonly kind: 'unixd'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'udp'; readonly host: string; readonly port: number };

const DEFAULT_CTL_PORT = 2049;

export class BinrpcAddressError extends DsdError {
  constructor(message: string) {
    super('DSD_ERR_BINRPC_ADDRESS', message);
  }
}

export function parseBinrpcAddress(spec: string): BinrpcAddress {
  const s = spec.trim();
  const m = /^([a-z]+):(.*)$/i.exec(s);
  if (!m || m[1]!.includes('/')) {
    if (s === '') throw new BinrpcAddressError('empty ctl address');
    return { kind: 'unixs', path: s };
  }
  const proto = m[1]!.toLowerCase();
  let rest = m[2]!;
  if (proto === 'unix' || proto === 'unixs' || proto === 'unixd') {
    if (rest.startsWith('//')) rest = rest.slice(1);
    if (rest === '') throw new BinrpcAddressError(`ctl address "${spec}": no path`);
    return proto === 'unixd' ? { kind: 'unixd', path: rest } : { kind: 'unixs', path: rest };
  }
  if (proto === 'tcp' || proto === 'udp') {
    let host = rest;
    let port = DEFAULT_CTL_PORT;
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
    if (v6) {
      host = v6[1]!;
      if (v6[2] !== undefined) port = Number(v6[2]);
    } else {
      const c = rest.lastIndexOf(':');
      if (c >= 0) {
        host = rest.slice(0, c);
        port = Number(rest.slice(c + 1));
      }
    }
    if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new BinrpcAddressError(`ctl address "${spec}": expected ${proto}:host[:port]`);
    }
    return proto === 'tcp' ? { kind: 'tcp', host, port } : { kind: 'udp', host, port };
  }
  throw new BinrpcAddressError(`ctl address "${spec}": unknown protocol "${proto}" (unix, unixs, unixd, tcp, udp)`);
}

export function addressText(a: BinrpcAddress): string {
  if (a.kind === 'unixs' || a.kind === 'unixd') return `${a.kind}:${a.path}`;
  return `${a.kind}:${a.host}:${a.port}`;
}
