/**
 * `[proto:]host[:port]` socket specs (the `socket` attribute, ds_default_socket) and the
 * hook through which the transport layer tells whether such a socket is local.
 */

import { DsSocketRef } from './model';
import { portNumber, splitHostPort } from '../../core/hostport';
import { ParamError } from './errors';
import type { DsParams } from './params';

type SocketProto = 'udp' | 'tcp' | 'tls' | 'sctp' | 'ws' | 'wss';

export interface SocketSpec {
  readonly proto: SocketProto | null;
  /** Host as written (IPv6 keeps brackets). */
  readonly host: string;
  /** 0 when absent. */
  readonly port: number;
  readonly text: string;
}

const PROTOS: readonly SocketProto[] = ['udp', 'tcp', 'tls', 'sctp', 'ws', 'wss'];

/** parse_phostport() (core/hostport.ts); port 0 when absent; null when malformed. */
export function parseSocketSpec(text: string): SocketSpec | null {
  const p = splitHostPort(text, PROTOS);
  if (!p) return null;
  let port = 0;
  if (p.port !== null) {
    const n = portNumber(p.port);
    if (n === null) return null;
    port = n;
  }
  return { proto: p.proto as SocketProto | null, host: p.host, port, text };
}

/**
 * How the dispatcher asks the transport layer about local sockets. Both return null for a
 * socket that is not local (the record is then rejected, as in Kamailio). When no lookup
 * is supplied every socket is accepted and represented by its spec.
 */
export interface DsSocketLookup {
  bySpec(spec: SocketSpec): DsSocketRef | null;
  byName(name: string): DsSocketRef | null;
}

export const acceptAllSockets: DsSocketLookup = {
  bySpec: (spec) => ({ ...spec }),
  byName: (name) => ({ name }),
};

/** ds_default_sockname / ds_default_socket looked up (null: none set); a non-local one is a ParamError. */
export function defaultSocket(
  p: Pick<DsParams, 'ds_default_sockname' | 'ds_default_socket'>,
  sockets: DsSocketLookup,
): DsSocketRef | null {
  if (p.ds_default_sockname) {
    const s = sockets.byName(p.ds_default_sockname);
    if (s === null) throw new ParamError('ds_default_sockname', `non-local socket name <${p.ds_default_sockname}>`);
    return s;
  }
  if (p.ds_default_socket) {
    const spec = parseSocketSpec(p.ds_default_socket);
    const s = spec === null ? null : sockets.bySpec(spec);
    if (s === null) throw new ParamError('ds_default_socket', `non-local socket <${p.ds_default_socket}>`);
    return s;
  }
  return null;
}
