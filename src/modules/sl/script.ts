/** sl in the cfg language. */
import type { Reg, Services } from '../services';
import { coreOf } from '../services';
import * as sl from './functions';

export function registerSl(reg: Reg, svc: Services): void {
  reg.registerModule({ name: 'sl' });
  reg.registerFunction({
    name: 'sl_send_reply',
    exec: (ctx, code: number, reason: string) => sl.slSendReply(coreOf(svc), ctx, code, reason),
  });
  reg.registerFunction({
    name: 'sl_reply',
    exec: (ctx, code: number, reason: string) => sl.slSendReply(coreOf(svc), ctx, code, reason),
  });
  reg.registerFunction({
    name: 'send_reply',
    exec: (ctx, code: number, reason: string) => sl.sendReply(coreOf(svc), ctx, code, reason),
  });
  reg.registerFunction({ name: 'sl_reply_error', exec: (ctx) => sl.slReplyError(coreOf(svc), ctx) });
}
