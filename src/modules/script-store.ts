/**
 * The script's per-request store ($avp, $xavp, $var) for a SIP request: one declared slot
 * of request state, made on first use. The script host hands it to the cfg engine and
 * modules that write AVPs/XAVPs (dispatcher records, setid_pvname) use the same one.
 */
import { MessageStore } from '../script';
import type { RequestContext } from '../proxy/context';
import { declareRequestState } from '../proxy/request-state';

const STORE = declareRequestState<MessageStore>('script.store');

export function storeOf(ctx: RequestContext): MessageStore {
  let s = ctx.get(STORE);
  if (!s) {
    s = new MessageStore();
    ctx.set(STORE, s);
  }
  return s;
}
