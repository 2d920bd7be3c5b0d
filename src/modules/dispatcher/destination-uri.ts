/**
 * The URI part of Kamailio's pack_dest(): parse the destination URI, prepending `sip:`
 * when it does not parse (and is longer than 4, shorter than 500 chars and does not
 * already start with "sip:"), then take host, port and transport. In 5.6 the protocol
 * comes only from `;transport=` (none when absent; `wss` is not recognized).
 */

import { parseUri, SipUri, uriParam } from '../../sip/uri';
import { PROTO_NONE, PROTO_SCTP, PROTO_TCP, PROTO_TLS, PROTO_UDP, PROTO_WS } from './model';

export interface DestUriInfo {
  /** The stored URI (with `sip:` prepended when it had to be). */
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  readonly proto: number;
  /** True when `sip:` was prepended. */
  readonly fixed: boolean;
  readonly parsed: SipUri;
}

/** Hostnames longer than this are refused (DS_HN_SIZE - 2). */
const MAX_HOST = 254;

function sipParse(s: string): SipUri | 'other-scheme' | null {
  const u = parseUri(s);
  if (u === null) return null;
  if (u.scheme === 'sip' || u.scheme === 'sips') return u;
  // Kamailio's parse_uri() knows tel/tels/urn and fails any other scheme.
  return u.scheme === 'tel' || u.scheme === 'tels' || u.scheme === 'urn' ? 'other-scheme' : null;
}

export function parseDestinationUri(raw: string): DestUriInfo | { readonly error: string } {
  let uri = raw;
  let fixed = false;
  let u = sipParse(uri);
  if (u === null) {
    if (raw.length > 4 && !raw.startsWith('sip:') && raw.length < 500) {
      uri = 'sip:' + raw;
      fixed = true;
      u = sipParse(uri);
    }
    if (u === null || u === 'other-scheme') return { error: `bad uri [${raw}]` };
  }
  if (u === 'other-scheme') return { error: `unsupported URI scheme in [${raw}] (destinations must be sip: or sips:)` };
  if (u.host.length > MAX_HOST) return { error: `hostname in uri is too long [${uri}]` };
  return { uri, host: u.host, port: u.port ?? 0, proto: transportProto(u), fixed, parsed: u };
}

/** 5.6 parse_uri() proto: only udp/tcp/tls/sctp/ws are recognized. */
function transportProto(u: SipUri): number {
  const t = uriParam(u, 'transport');
  if (t === null) return PROTO_NONE;
  switch (t.toLowerCase()) {
    case 'udp':
      return PROTO_UDP;
    case 'tcp':
      return PROTO_TCP;
    case 'tls':
      return PROTO_TLS;
    case 'sctp':
      return PROTO_SCTP;
    case 'ws':
      return PROTO_WS;
    default:
      return PROTO_NONE;
  }
}
