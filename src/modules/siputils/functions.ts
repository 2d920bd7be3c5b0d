/** siputils / core message tests. */
import type { RequestContext } from '../../proxy/context';

/**
 * `is_method` lists already split and upper-cased. The argument is nearly always a
 * literal of the script, so a few entries serve every request; bounded in case a script
 * builds it from variables.
 */
const METHOD_LISTS = new Map<string, readonly string[]>();
const METHOD_LISTS_MAX = 256;

function methodList(methods: string): readonly string[] {
  let list = METHOD_LISTS.get(methods);
  if (list === undefined) {
    list = methods.split('|').map((x) => x.trim().toUpperCase());
    if (METHOD_LISTS.size >= METHOD_LISTS_MAX) METHOD_LISTS.clear();
    METHOD_LISTS.set(methods, list);
  }
  return list;
}

/** is_method("INVITE|BYE"): one of the `|`-separated methods (case-insensitive). */
export function isMethod(ctx: RequestContext, methods: string): number {
  const m = ctx.msg.isRequest ? ctx.msg.method : (ctx.msg.cseq?.method ?? '');
  // methods are nearly always written in capitals: upper-case only when they are not
  const list = methodList(methods);
  if (list.includes(m)) return 1;
  const up = m.toUpperCase();
  return up !== m && list.includes(up) ? 1 : -1;
}

export function hasTotag(ctx: RequestContext): number {
  return ctx.msg.to?.tag ? 1 : -1;
}
