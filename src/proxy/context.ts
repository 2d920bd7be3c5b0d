/**
 * The per-request state the routing logic works on, Kamailio's `sip_msg` plus the
 * bits tm and the script keep beside it: the new R-URI ($ru), the destination URI
 * ($du), lumps, flags, which failure/onreply route to arm, module data (the
 * dispatcher's destination records live here and travel into failure_route).
 */
import type { SipMessage } from '../sip/message';
import { EditList } from '../sip/editor';
import type { LocalSocket, Source } from '../transport/types';
import type { ProxyTxn } from './proxy-txn';

export const enum RouteType { Request = 1, Failure = 2, OnReply = 4, Branch = 8, Event = 16 }

export class RequestContext {
  /** Current Request-URI ($ru); starts as received. */
  ruri: string;
  /** Destination URI ($du): where the request is sent when set, R-URI untouched. */
  du: string | null = null;
  /** Header edits (lumps) applied to every branch built from this request. */
  edits = new EditList();
  /** Message flags (setflag/isflagset). */
  flags = 0;
  routeType: RouteType = RouteType.Request;
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
  txn: ProxyTxn | null = null;
  /** In failure/onreply routes: the reply being handled (null for a local timeout). */
  reply: SipMessage | null = null;
  replyCode = 0;
  branchTimedOut = false;
  branchReplied = false;
  /** Loop-detection hash of the request as received, computed once for all its branches. */
  loopHash: string | null = null;
  /** Per-module data kept with the request and its transaction (e.g. dispatcher records). */
  readonly mod: Record<string, unknown> = Object.create(null);
  /** Script variables / AVPs live with the script engine; it may hang them here. */
  script: unknown = null;

  constructor(readonly msg: SipMessage, readonly src: Source) {
    this.ruri = msg.ruri;
  }
}
