/**
 * `[proto:]host[:port]` socket specs (the `socket` attribute, ds_default_socket) and the
 * hook through which the transport layer tells whether such a socket is local.
 */

import { DsSocketRef } from './model';

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

/** parse_phostport(); null when malformed. */
export function parseSocketSpec(text: string): SocketSpec | null {
  let s = text;
  let proto: SocketProto | null = null;
  const c1 = s.indexOf(':');
  if (c1 > 0) {
    const head = s.slice(0, c1).toLowerCase();
    if ((PROTOS as readonly string[]).includes(head)) {
      proto = head as SocketProto;
      s = s.slice(c1 + 1);
    }
  }
  if (s.length === 0) return null;
  let host: string;
  let rest: string;
  if (s.charCodeAt(0) === 91) {
    const rb = s.indexOf(']');
    if (rb < 0) return null;
    host = s.slice(0, rb + 1);
    rest = s.slice(rb + 1);
  } else {
    const c = s.indexOf(':');
    host = c < 0 ? s : s.slice(0, c);
    rest = c < 0 ? '' : s.slice(c);
  }
  if (host.length === 0) return null;
  let port = 0;
  if (rest.length > 0) {
    if (rest.charCodeAt(0) !== 58 || rest.length === 1) return null;
    for (let i = 1; i < rest.length; i++) {
      const d = rest.charCodeAt(i);
      if (d < 48 || d > 57) return null;
      port = port * 10 + (d - 48);
    }
    if (port > 65535) return null;
  }
  return { proto, host, port, text };
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
