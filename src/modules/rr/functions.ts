/** rr's script functions. */
import type { ProxyCore } from '../../proxy/core';
import type { RequestContext } from '../../proxy/context';
import { looseRoute as lr } from '../../proxy/rr';

/** record_route(): the Record-Route header(s) are written when the branch is built. */
export function recordRoute(ctx: RequestContext): number {
  ctx.recordRoute = true;
  return 1;
}

export function looseRoute(core: ProxyCore, ctx: RequestContext): number {
  return lr(ctx, core.isMyselfUri);
}
