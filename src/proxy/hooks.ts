/**
 * The routing logic the proxy runs (the compiled script, or a built-in route in tests):
 * the proxy calls out through this and nothing else above it.
 */
import type { SipMessage } from '../sip/message';
import type { Source } from '../transport/types';
import type { RequestContext } from './context';

export interface RouteHooks {
  request(ctx: RequestContext): void | Promise<void>;
  /** failure_route[name]; ctx.txn is the transaction whose branches all failed. */
  failure(name: string, ctx: RequestContext): void | Promise<void>;
  /** branch_route[name] for one branch (ctx holds the branch's R-URI, $du, lumps); false: drop it. */
  branch?(name: string, ctx: RequestContext): boolean | Promise<boolean>;
  /** The core reply_route / onreply_route for every reply received; false: drop it. */
  coreReply?(reply: SipMessage, src: Source): boolean;
  /** onreply_route; return false to drop the reply. */
  onReply?(name: string, ctx: RequestContext, reply: SipMessage): boolean;
}
