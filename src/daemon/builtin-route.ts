/**
 * The built-in routing logic used when no cfg engine is present: the sample route of
 * Kamailio's dispatcher documentation, written against the same module functions the
 * cfg language calls, so etc/dsd.cfg replaces it one for one.
 *
 *   request_route: max-forwards (483), in-dialog via loose_route, CANCEL via its
 *   transaction, record_route for INVITE, ds_select_dst(1, 4) (404 when none),
 *   t_on_failure(RTF_DISPATCH), t_relay (sl_reply_error on failure).
 *   failure_route[RTF_DISPATCH]: unless canceled, on 500 or a timeout without reply,
 *   ds_next_dst() and relay again.
 */
import type { ProxyCore, RouteHooks } from '../proxy/core';
import type { RequestContext } from '../proxy/context';
import { mfProcessMaxfwd } from '../modules/maxfwd/functions';
import { looseRoute, recordRoute } from '../modules/rr/functions';
import { slSendReply, slReplyError } from '../modules/sl/functions';
import { tCheckStatus, tCheckTrans, tIsCanceled, tOnFailure, tRelay, tBranchTimeout, tBranchReplied } from '../modules/tm/functions';
import { parseUri } from '../sip/uri';

/** What the built-in route needs from the dispatcher. */
export interface Balancer {
  /** ds_select_dst(set, alg): sets ctx.du and keeps the failover records. */
  selectDst(ctx: RequestContext, set: number, alg: number): number;
  /** ds_next_dst(): the next record into ctx.du. */
  nextDst(ctx: RequestContext): number;
}

const STATUS_500 = /^500$/;

export function builtinRoute(core: ProxyCore, ds: Balancer): RouteHooks {
  const relay = (ctx: RequestContext): void => {
    const r = tRelay(core, ctx);
    if (typeof r === 'number') { if (r < 0) slReplyError(core, ctx); return; }
    r.then((code) => { if (code < 0) slReplyError(core, ctx); }, () => slReplyError(core, ctx));
  };
  return {
    request(ctx) {
      const msg = ctx.msg;
      if (mfProcessMaxfwd(ctx, 10) < 0) { slSendReply(core, ctx, 483, 'Too Many Hops'); return; }
      if (msg.to?.tag) {
        if (looseRoute(core, ctx) > 0) { relay(ctx); return; }
        if (msg.method === 'ACK') { if (tCheckTrans(core, ctx) > 0) relay(ctx); return; }
        slSendReply(core, ctx, 404, 'Not here');
        return;
      }
      if (msg.method === 'CANCEL') { if (tCheckTrans(core, ctx) > 0) relay(ctx); return; }
      if (msg.method === 'ACK') return;
      if (msg.method === 'INVITE' || msg.method === 'SUBSCRIBE') recordRoute(ctx);
      if (msg.method === 'REGISTER') { slSendReply(core, ctx, 404, 'No registrar'); return; }
      const ru = parseUri(ctx.ruri);
      if (!ru || (ru.scheme !== 'tel' && ru.user === '')) { slSendReply(core, ctx, 484, 'Address Incomplete'); return; }
      if (ds.selectDst(ctx, 1, 4) < 0) { slSendReply(core, ctx, 404, 'No destination'); return; }
      tOnFailure(ctx, 'RTF_DISPATCH');
      relay(ctx);
    },
    failure(_name, ctx) {
      if (tIsCanceled(ctx) > 0) return;
      if (tCheckStatus(ctx, STATUS_500) > 0 || (tBranchTimeout(ctx) > 0 && tBranchReplied(ctx) < 0)) {
        if (ds.nextDst(ctx) > 0) {
          tOnFailure(ctx, 'RTF_DISPATCH');
          relay(ctx);
        }
      }
    },
  };
}
