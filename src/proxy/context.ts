/**
 * The per-request state the routing logic works on, Kamailio's `sip_msg` plus the
 * bits tm and the script keep beside it: the new R-URI ($ru), the destination URI
 * ($du), lumps, flags, which failure/onreply route to arm, and the modules' state in
 * slots each module declares once (request-state.ts; the dispatcher's destination
 * records live there and travel into failure_route).
 */
import type { SipMessage } from '../sip/message';
import { EditList } from '../sip/editor';
import type { LocalSocket, Source } from '../transport/types';
import type { ServerTxn } from '../transaction/server';
import type { ClientTxn } from '../transaction/client';
import { RouteType, type RouteTypeBits } from '../core/route-type';
import type { RequestSlot } from './request-state';

export { RouteType } from '../core/route-type';

/** Why t_relay / forward failed: what sl_reply_error sends. */
export interface RelayError {
  code: number;
  reason: string;
}

/**
 * What the routing logic and the modules see of the request's transaction (tm's cell,
 * proxy-txn.ts's ProxyTxn implements it). Declared here so that the context, which the
 * transaction holds, never imports the transaction back.
 */
export interface RequestTxn {
  readonly id: number;
  readonly ctx: RequestContext;
  readonly server: ServerTxn;
  readonly branches: readonly ClientTxn[];
  readonly isInvite: boolean;
  /** A CANCEL came from upstream. */
  readonly canceled: boolean;
  /** A final reply went upstream. */
  readonly finalSent: boolean;
  /** R-URI of branch i, or null. */
  branchRuri(i: number): string | null;
  /** A reply generated here (t_reply), with the transaction's To tag. */
  replyLocal(status: number, reason: string, headers?: string[]): void;
}

export class RequestContext {
  /** Current Request-URI ($ru); starts as received. */
  ruri: string;
  /** Destination URI ($du): where the request is sent when set, R-URI untouched. */
  du: string | null = null;
  /** Header edits (lumps) applied to every branch built from this request. */
  edits = new EditList();
  /** Message flags (setflag/isflagset). */
  flags = 0;
  /** The route running now (RouteType.REQUEST, FAILURE, TM_ONREPLY, BRANCH, EVENT). */
  routeType: RouteTypeBits = RouteType.REQUEST;
  recordRoute = false;
  /** Routes armed with t_on_failure / t_on_reply / t_on_branch. */
  failureRoute: string | null = null;
  onReplyRoute: string | null = null;
  branchRoute: string | null = null;
  /** Send socket forced by the script or a destination attribute. */
  forceSocket: LocalSocket | null = null;
  /** t_set_fr overrides (ms), 0 = tm default. */
  frTimer = 0;
  frInvTimer = 0;
  /** Extra branches (append_branch / dispatcher alg 12): R-URI and optional $du. */
  extraBranches: Array<{ ruri: string; du: string | null }> = [];
  /** The transaction once t_relay / t_newtran created it. */
  txn: RequestTxn | null = null;
  /** In failure/onreply routes: the reply being handled (null for a local timeout). */
  reply: SipMessage | null = null;
  replyCode = 0;
  branchTimedOut = false;
  branchReplied = false;
  /** Loop-detection hash of the request as received, computed once for all its branches. */
  loopHash: string | null = null;
  /** The last t_relay / forward error, for sl_reply_error. */
  lastError: RelayError | null = null;
  /** Module state (request-state.ts slots); made on first write. */
  private state: unknown[] | null = null;

  constructor(
    readonly msg: SipMessage,
    readonly src: Source,
  ) {
    this.ruri = msg.ruri;
  }

  /** A module's state for this request (kept with it and its transaction), if set. */
  get<T>(slot: RequestSlot<T>): T | undefined {
    return this.state?.[slot.index] as T | undefined;
  }

  set<T>(slot: RequestSlot<T>, value: T): void {
    (this.state ??= [])[slot.index] = value;
  }
}
