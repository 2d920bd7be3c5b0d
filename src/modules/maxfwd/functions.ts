/**
 * maxfwd's mf_process_maxfwd_header(limit): a missing Max-Forwards is added with
 * `limit`; a present one above `max_limit` is lowered; 0 returns -1 (the script
 * answers 483); otherwise the value is decremented in place.
 */
import type { RequestContext } from '../../proxy/context';
import { digits } from '../../sip/start-line';

export function mfProcessMaxfwd(ctx: RequestContext, limit: number, maxLimit = 256): number {
  const msg = ctx.msg;
  const h = msg.first('max-forwards');
  if (!h) {
    ctx.edits.insert(msg.headersEnd, `Max-Forwards: ${limit}${msg.eol}`);
    return 1;
  }
  if (ctx.edits.touches(h.valueStart, h.valueEnd)) return 1; // already processed
  let v = digits(msg.head, h.valueStart, h.valueEnd);
  if (v < 0) return -2;
  if (v === 0) return -1;
  if (v > maxLimit) v = maxLimit;
  ctx.edits.replace(h.valueStart, h.valueEnd, String(v - 1));
  return 1;
}
