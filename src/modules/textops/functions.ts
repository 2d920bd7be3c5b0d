/** textops' header functions, as lumps on the request (applied to every branch). */
import type { RequestContext } from '../../proxy/context';
import { canonicalName } from '../../sip/headers';

/** remove_hf(name): removes every header with that name (compact forms included). */
export function removeHf(ctx: RequestContext, name: string): number {
  const want = canonicalName(name);
  let n = 0;
  for (const h of ctx.msg.headers) {
    if (h.name === want && !ctx.edits.touches(h.lineStart, h.lineEnd)) {
      ctx.edits.remove(h.lineStart, h.lineEnd);
      n++;
    }
  }
  return n > 0 ? 1 : -1;
}

/**
 * append_hf(text): text is whole header lines as in Kamailio (with its CRLF; one is
 * added when missing), appended after the last header.
 */
export function appendHf(ctx: RequestContext, text: string): number {
  const line = text.endsWith('\n') ? text : `${text}\r\n`;
  ctx.edits.insert(ctx.msg.headersEnd, line);
  return 1;
}

export function isPresentHf(ctx: RequestContext, name: string): number {
  return ctx.msg.first(canonicalName(name)) ? 1 : -1;
}
