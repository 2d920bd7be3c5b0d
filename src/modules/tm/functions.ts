/**
 * tm's script functions over the request context. Return codes follow Kamailio:
 * positive is true, negative false; t_relay's errors leave ctx.lastError for
 * sl_reply_error.
 */
import type { ProxyCore, RelayError } from '../../proxy/core';
import { RequestContext, RouteType } from '../../proxy/context';
import { serverKey } from '../../transaction/keys';

export function tRelay(core: ProxyCore, ctx: RequestContext): number | Promise<number> {
  return core.relay(ctx);
}

export function tOnFailure(ctx: RequestContext, route: string): number {
  ctx.failureRoute = route;
  return 1;
}

export function tOnReply(ctx: RequestContext, route: string): number {
  ctx.onReplyRoute = route;
  return 1;
}

export function tOnBranch(ctx: RequestContext, route: string): number {
  ctx.branchRoute = route;
  return 1;
}

/** t_check_status(re): the reply code (failure/onreply route) matches the regex. */
export function tCheckStatus(ctx: RequestContext, re: RegExp): number {
  let code = ctx.replyCode;
  if (ctx.routeType === RouteType.REQUEST && ctx.txn) code = ctx.txn.server.lastStatus;
  if (!code) return -1;
  re.lastIndex = 0;
  return re.test(String(code)) ? 1 : -1;
}

export function tBranchTimeout(ctx: RequestContext): number {
  return ctx.routeType === RouteType.FAILURE && ctx.branchTimedOut ? 1 : -1;
}

export function tBranchReplied(ctx: RequestContext): number {
  return ctx.routeType === RouteType.FAILURE && ctx.branchReplied ? 1 : -1;
}

export function tIsCanceled(ctx: RequestContext): number {
  return ctx.txn?.canceled ? 1 : -1;
}

/**
 * t_check_trans: for CANCEL, whether the INVITE it cancels is known; for other requests
 * a retransmission was already absorbed by the core, so a request that reaches the
 * script matches only when its transaction was created (returns -1 otherwise).
 */
export function tCheckTrans(core: ProxyCore, ctx: RequestContext): number {
  const msg = ctx.msg;
  if (msg.method === 'CANCEL') {
    const key = serverKey(msg, 'INVITE');
    return key !== null && core.txns.hasServer(key) ? 1 : -1;
  }
  return ctx.txn ? 1 : -1;
}

export function tNewTran(core: ProxyCore, ctx: RequestContext): number {
  core.newTxn(ctx);
  return 1;
}

/**
 * t_reply: a reply through the request's transaction. As in Kamailio it needs one
 * (t_newtran() first, or a failure route): without it nothing is sent and -1 returned,
 * so `if (!t_reply(...)) sl_send_reply(...)` configs behave the same on both.
 */
export function tReply(core: ProxyCore, ctx: RequestContext, code: number, reason: string): number {
  if (!ctx.txn) return -1;
  return core.reply(ctx, code, reason);
}

/** t_send_reply: like t_reply, but creates the transaction first when there is none. */
export function tSendReply(core: ProxyCore, ctx: RequestContext, code: number, reason: string): number {
  core.newTxn(ctx);
  return core.reply(ctx, code, reason);
}

export function tSetFr(ctx: RequestContext, frInv: number, fr?: number): number {
  ctx.frInvTimer = frInv;
  if (fr !== undefined) ctx.frTimer = fr;
  return 1;
}

export function lastError(ctx: RequestContext): RelayError | undefined {
  return ctx.lastError ?? undefined;
}
