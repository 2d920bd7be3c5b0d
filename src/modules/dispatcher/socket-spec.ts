/**
 * `[proto:]host[:port]` socket specs (the `socket` attribute, ds_default_socket) and the
 * hook through which the transport layer tells whether such a socket is local.
 */

import { DsSocketRef } from './model';
import { portNumber, splitHostPort } from '../../core/hostport';

export type SocketProto = 'udp' | 'tcp' | 'tls' | 'sctp' | 'ws' | 'wss';

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
