/** tm and tmx in the cfg language. */
import type { Reg, Services } from '../services';
import { coreOf } from '../services';
import * as tm from './functions';
import { kindsOf } from '../../core/modparams';
import { TM_PARAMS } from './params';
import { RouteType } from '../../proxy/context';
import type { RequestContext } from '../../proxy/context';

function relayResult(r: number | Promise<number>): number | Promise<number> {
  return r;
}

export function registerTm(reg: Reg, svc: Services): void {
  // Kamailio's parameters plus dsd's bound on work in flight (params.ts)
  reg.registerModule({ name: 'tm', params: kindsOf([TM_PARAMS]) });
  reg.registerModule({ name: 'tmx' });
  reg.registerFunction({ name: 't_relay', exec: (ctx) => relayResult(tm.tRelay(coreOf(svc), ctx)), variants: [[]] });
  reg.registerFunction({ name: 't_on_failure', exec: (ctx, r: string) => tm.tOnFailure(ctx, r) });
  reg.registerFunction({ name: 't_on_reply', exec: (ctx, r: string) => tm.tOnReply(ctx, r) });
  reg.registerFunction({ name: 't_on_branch', exec: (ctx, r: string) => tm.tOnBranch(ctx, r) });
  reg.registerFunction({ name: 't_check_trans', exec: (ctx) => tm.tCheckTrans(coreOf(svc), ctx) });
  // retransmissions never reach the script (the core absorbs them), so nothing is in progress
  reg.registerFunction({ name: 't_precheck_trans', exec: () => -1 });
  reg.registerFunction({ name: 't_newtran', exec: (ctx) => tm.tNewTran(coreOf(svc), ctx) });
  reg.registerFunction({ name: 't_is_canceled', exec: (ctx) => tm.tIsCanceled(ctx) });
  reg.registerFunction({ name: 't_check_status', exec: (ctx, re: RegExp) => tm.tCheckStatus(ctx, re) });
  reg.registerFunction({ name: 't_branch_timeout', exec: (ctx) => tm.tBranchTimeout(ctx) });
  reg.registerFunction({ name: 't_branch_replied', exec: (ctx) => tm.tBranchReplied(ctx) });
  reg.registerFunction({ name: 't_any_timeout', exec: (ctx) => (ctx.txn?.branches.some((b) => b.timedOut) ? 1 : -1) });
  reg.registerFunction({ name: 't_any_replied', exec: (ctx) => (ctx.txn?.branches.some((b) => b.replied) ? 1 : -1) });
  reg.registerFunction({
    name: 't_set_fr',
    exec: (ctx, inv: number, fr?: number) => tm.tSetFr(ctx, inv, fr),
  });
  reg.registerFunction({
    name: 't_reset_fr',
    exec: (ctx) => {
      ctx.frTimer = 0;
      ctx.frInvTimer = 0;
      return 1;
    },
  });
  reg.registerFunction({
    name: 't_reply',
    exec: (ctx, code: number, reason: string) => {
      const r = tm.tReply(coreOf(svc), ctx, code, reason);
      if (r < 0 && !ctx.txn)
        svc.log.error('t_reply: no transaction for this request (t_newtran() first, or t_send_reply())');
      return r;
    },
  });
  reg.registerFunction({
    name: 't_send_reply',
    exec: (ctx, code: number, reason: string) => tm.tSendReply(coreOf(svc), ctx, code, reason),
  });
  reg.registerFunction({ name: 't_release', exec: () => 1 });
  reg.registerFunction({ name: 't_is_failure_route', exec: (ctx) => (ctx.routeType === RouteType.FAILURE ? 1 : -1) });
  reg.registerFunction({ name: 't_is_reply_route', exec: (ctx) => (ctx.routeType === RouteType.TM_ONREPLY ? 1 : -1) });
  reg.registerFunction({ name: 't_is_request_route', exec: (ctx) => (ctx.routeType === RouteType.REQUEST ? 1 : -1) });
  reg.registerFunction({ name: 't_is_branch_route', exec: (ctx) => (ctx.routeType === RouteType.BRANCH ? 1 : -1) });
  reg.registerPv({ name: 'T_reply_code', module: 'tmx', get: (ctx) => replyCode(ctx) });
  reg.registerPv({
    name: 'T_req',
    module: 'tmx',
    parse: (inner, api) => api.parsePv(inner),
    get: (ctx, ref: { get(c: RequestContext): string | number | null }) => ref.get(ctx),
  });
  reg.registerPv({
    name: 'T_rpl',
    module: 'tmx',
    parse: (inner, api) => api.parsePv(inner),
    get: (ctx, ref: { get(c: RequestContext): string | number | null }) => ref.get(ctx),
  });
}

function replyCode(ctx: RequestContext): number | null {
  if (ctx.replyCode) return ctx.replyCode;
  const st = ctx.txn?.server.lastStatus;
  return st ? st : null;
}
