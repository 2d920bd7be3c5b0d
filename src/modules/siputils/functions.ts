/** siputils / core message tests. */
import type { RequestContext } from '../../proxy/context';

/** Method lists as given to is_method, split and upper-cased once (a cfg has a few). */
const methodLists = new Map<string, readonly string[]>();

function methodList(methods: string): readonly string[] {
  let list = methodLists.get(methods);
  if (list === undefined) {
    list = methods.split('|').map((x) => x.trim().toUpperCase());
    // a list built at run time ($var) could be new each time: keep the table bounded
    if (methodLists.size >= 256) methodLists.clear();
    methodLists.set(methods, list);
  }
  return list;
}

/** is_method("INVITE|BYE"): one of the `|`-separated methods (case-insensitive). */
export function isMethod(ctx: RequestContext, methods: string): number {
  const m = ctx.msg.isRequest ? ctx.msg.method : (ctx.msg.cseq?.method ?? '');
  const up = m.toUpperCase();
  for (const x of methodList(methods)) if (x === up) return 1;
  return -1;
}

export function hasTotag(ctx: RequestContext): number {
  return ctx.msg.to?.tag ? 1 : -1;
}
