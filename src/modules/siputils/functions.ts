/** siputils / core message tests. */
import type { RequestContext } from '../../proxy/context';

/** is_method("INVITE|BYE"): one of the `|`-separated methods (case-insensitive). */
export function isMethod(ctx: RequestContext, methods: string): number {
  const m = ctx.msg.isRequest ? ctx.msg.method : (ctx.msg.cseq?.method ?? '');
  const up = m.toUpperCase();
  for (const x of methods.split('|')) if (x.trim().toUpperCase() === up) return 1;
  return -1;
}

export function hasTotag(ctx: RequestContext): number {
  return ctx.msg.to?.tag ? 1 : -1;
}
