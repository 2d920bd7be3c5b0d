/** sl's script functions: replies without a transaction. */
import type { ProxyCore } from '../../proxy/core';
import type { RequestContext } from '../../proxy/context';
import { lastError } from '../tm/functions';

export function slSendReply(core: ProxyCore, ctx: RequestContext, code: number, reason: string): number {
  if (ctx.msg.method === 'ACK') return -1;
  core.replyStateless(ctx.msg, ctx.src, code, reason);
  return 1;
}

/** send_reply: statefully when a transaction exists, else statelessly. */
export function sendReply(core: ProxyCore, ctx: RequestContext, code: number, reason: string): number {
  return core.reply(ctx, code, reason);
}

/** sl_reply_error: the reply matching the last internal error (t_relay failures). */
export function slReplyError(core: ProxyCore, ctx: RequestContext): number {
  const e = lastError(ctx) ?? { code: 500, reason: 'Server Internal Error' };
  return core.reply(ctx, e.code, e.reason);
}
