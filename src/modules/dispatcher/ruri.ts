/**
 * The R-URI rewrite of ds_select_domain()/ds_next_domain(): Kamailio's SET_HOSTALL_T
 * action with the destination URI minus its `sip:`/`sips:` prefix. The R-URI keeps its
 * scheme and `user[:password]@`; host, port, parameters and headers all come from the
 * destination.
 */

import { parseUri } from '../../sip/uri';

/** Destination URI without a leading sip:/sips: (case-insensitive), as ds_push_dst() cuts it. */
function hostAllOf(destUri: string): string {
  if (destUri.length > 4 && destUri.slice(0, 4).toLowerCase() === 'sip:') return destUri.slice(4);
  if (destUri.length > 5 && destUri.slice(0, 5).toLowerCase() === 'sips:') return destUri.slice(5);
  return destUri;
}

/** New R-URI, or null when the current one does not parse (the select then fails). */
export function rewriteHostAll(ruri: string, destUri: string): string | null {
  const u = parseUri(ruri);
  if (u === null) return null;
  let scheme: string;
  switch (u.scheme) {
    case 'sip':
      scheme = 'sip';
      break;
    case 'sips':
      scheme = 'sips';
      break;
    case 'tel':
      scheme = 'tel';
      break;
    case 'tels':
      scheme = 'tels';
      break;
    default:
      scheme = 'sip';
  }
  let out = scheme + ':';
  const hasUser = u.user.length > 0;
  if (hasUser) {
    out += u.user;
    if (u.password !== null) out += ':' + u.password;
  }
  if ((scheme === 'tel' || scheme === 'tels') && u.params.length > 0) out += ';' + u.params;
  const host = hostAllOf(destUri);
  if (hasUser) out += '@';
  return out + host;
}
