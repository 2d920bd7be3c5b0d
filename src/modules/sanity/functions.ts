/**
 * sanity_check(): the checks Kamailio's sanity module makes by default (version, URI
 * scheme, required headers, Via, CSeq, Content-Length, Proxy-Require) already run in the
 * core before any route (src/sip/validate.ts), so a request that reaches the script has
 * passed them; the function exists so Kamailio configs run unchanged.
 */
import type { RequestContext } from '../../proxy/context';

export function sanityCheck(ctx: RequestContext): number {
  return ctx.msg.defect ? -1 : 1;
}
