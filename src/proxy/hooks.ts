/**
 * The routing logic the proxy runs (the compiled script, or a built-in route in tests):
 * the proxy calls out through this and nothing else above it.
 */
import type { SipMessage } from '../sip/message';
import type { RequestContext } from './context';
import type { ProxyTxn } from './proxy-txn';

export interface RouteHooks {
  request(ctx: RequestContext): void | Promise<void>;
  failure(name: string, ctx: RequestContext, txn: ProxyTxn): void | Promise<void>;
  /** onreply_route; return false to drop the reply. */
  onReply?(name: string, ctx: RequestContext, reply: SipMessage): boolean;
}
