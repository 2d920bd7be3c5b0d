/**
 * A stateful proxy transaction — tm's "cell": the server transaction upstream and a
 * client transaction per branch downstream. Provisional and 2xx replies go upstream as
 * they come; negative finals wait until every branch is done, then failure_route may
 * add branches (dispatcher failover) before the best reply is sent (RFC 3261 §16.7).
 */
import type { SipMessage } from '../sip/message';
import type { EditList } from '../sip/editor';
import { ClientTxn, ClientOwner, ClientState } from '../transaction/client';
import type { ServerTxn, ServerUser } from '../transaction/server';
import type { TxnLayer } from '../transaction/layer';
import type { LocalSocket, Target } from '../transport/types';
import type { Logger } from '../core/log';
import { RouteType, type RequestContext, type RequestTxn } from './context';
import { buildBranchRequest, RrOptions, stripTopVia } from './forward';
import { chooseFinal, pickBest } from './best';
import { Branches, type BranchExtra, type NextTarget } from './branches';
import type { BranchIds } from './branch';
import type { RouteHooks } from './hooks';
import type { TxnReplyEvent } from './txn-events';
import type { AdmissionHold } from './admission';

/**
 * What a proxy transaction uses of the proxy around it. The core hands this out; the
 * transaction never sees the core itself.
 */
export interface ProxyTxnPort {
  readonly txns: TxnLayer;
  readonly branchIds: BranchIds;
  readonly rr: RrOptions;
  readonly log: Logger;
  readonly stats: { branchesSent: number };
  /** The routes to run for replies and failures. */
  hooks(): RouteHooks;
  /** The final reply went upstream (called again for each extra 2xx of a fork). */
  finished(txn: ProxyTxn): void;
  /** A branch ended (observers: the dispatcher's passive ejection and dialog count). */
  branchFinal(b: BranchFinal): void;
  /** A reply went upstream (tm's TMCB_RESPONSE_OUT), for the transaction observers (acc). */
  responseOut(txn: ProxyTxn, ev: TxnReplyEvent): void;
  /** Every branch failed, before failure_route (tm's TMCB_ON_FAILURE). */
  failure(txn: ProxyTxn, ev: TxnReplyEvent): void;
}

/** A branch's final outcome (408 for a local timeout). */
export interface BranchFinal {
  readonly method: string;
  readonly callId: string | null;
  readonly target: Target;
  readonly status: number;
}

export class ProxyTxn implements ClientOwner, ServerUser, RequestTxn, AdmissionHold {
  private readonly book: Branches;
  /** Admission bookkeeping (admission.ts): the source IP while in flight, and bytes held. */
  heldIp: string | null = null;
  heldBytes = 0;
  canceled = false;
  /** A final reply went upstream. */
  finalSent = false;
  /** Branch whose reply the failure route is looking at. */
  failedBranch: ClientTxn | null = null;
  private inFailure = false;

  constructor(
    private readonly port: ProxyTxnPort,
    readonly server: ServerTxn,
    readonly ctx: RequestContext,
    readonly id: number,
  ) {
    server.tu = this;
    this.book = new Branches(id);
  }

  get branches(): readonly ClientTxn[] {
    return this.book.list;
  }

  /** R-URI of branch i, or null. */
  branchRuri(i: number): string | null {
    return this.book.ruri(i);
  }

  private ex(i: number): BranchExtra {
    return this.book.ex(i);
  }

  get isInvite(): boolean {
    return this.server.isInvite;
  }

  /**
   * Starts one branch to `target` (the resolved $du or R-URI) with R-URI `ruri`.
   * Returns false when the transport would not send it.
   */
  addBranch(
    ruri: string,
    target: Target,
    out: LocalSocket,
    alts: readonly NextTarget[] = [],
    edits: EditList = this.ctx.edits,
  ): boolean {
    const idx = this.branches.length;
    const ctx = this.ctx;
    const branchId = this.port.branchIds.make(ctx.msg, ctx, this.id, idx);
    const buf = buildBranchRequest(ctx, ruri, out, branchId, this.port.rr, edits);
    const cfg = this.port.txns.cfg;
    const ct = new ClientTxn(
      this.port.txns,
      branchId,
      ctx.msg.method,
      buf,
      { proto: target.proto, ip: target.ip, port: target.port, local: out },
      this,
      idx,
      ctx.frTimer || cfg.frTimer,
      ctx.frInvTimer || cfg.frInvTimer,
    );
    this.book.add(ct, ruri, alts, edits);
    if (!ct.start()) {
      this.ex(idx).localStatus = 477;
      ct.lastStatus = 477;
      return false;
    }
    this.port.stats.branchesSent++;
    return true;
  }

  onBranchReply(ct: ClientTxn, msg: SipMessage | null): void {
    const ex = this.ex(ct.index);
    if (!msg || msg.status >= 200) {
      this.port.branchFinal({
        method: ct.method,
        callId: this.ctx.msg.get('call-id'),
        target: ct.target,
        status: msg ? msg.status : 408,
      });
    }
    if (this.finalSent && this.book.done(ct) && !(msg && msg.status < 300)) {
      // a branch finishing after the answer went upstream (a CANCELed fork): nothing left to do
      this.releaseBranches();
      return;
    }
    if (msg && msg.status < 200) {
      if (ex.cancelWanted && !ex.cancelSent) this.sendCancel(ct);
      if (this.finalSent || msg.status === 100 || ct.state !== ClientState.Proceeding) return;
      if (!this.runOnReply(msg)) return;
      this.server.reply(msg.status, stripTopVia(msg), false);
      this.port.responseOut(this, { code: msg.status, reply: msg, branch: ct.index });
      return;
    }
    if (msg && msg.status < 300) {
      if (!this.runOnReply(msg)) return;
      this.server.reply(msg.status, stripTopVia(msg), false);
      this.port.responseOut(this, { code: msg.status, reply: msg, branch: ct.index });
      if (!this.finalSent) {
        this.finalSent = true;
        this.cancelPending(ct);
      }
      this.finish();
      return;
    }
    if (this.nextTarget(ct, msg)) return;
    if (!msg) {
      // fr_timer / fr_inv_timer: an INVITE branch that rang is CANCELed downstream
      if (this.isInvite && ct.replied && !ex.cancelSent) this.sendCancel(ct);
    } else {
      if (msg.status >= 600) this.cancelPending(ct);
      this.runOnReply(msg);
    }
    this.maybeComplete();
  }

  /**
   * DNS failover (Kamailio's use_dns_failover): a branch that timed out without any
   * reply, failed to connect, or got a 503 goes on to the next address of its hop before
   * the failure route sees anything. The failed branch stops counting for the best reply.
   */
  private nextTarget(ct: ClientTxn, msg: SipMessage | null): boolean {
    const ex = this.ex(ct.index);
    if (!ex.alts.length || this.canceled || this.finalSent) return false;
    if (msg ? msg.status !== 503 : ct.replied) return false;
    const alts = ex.alts;
    ex.alts = [];
    ex.dropped = true;
    for (const [i, next] of alts.entries()) {
      this.port.log.info(
        `dns failover: ${ct.target.proto}:${ct.target.ip}:${ct.target.port} failed (${msg ? msg.status : 'no reply'}), ` +
          `trying ${next.target.proto}:${next.target.ip}:${next.target.port}`,
      );
      const idx = this.branches.length;
      if (this.addBranch(ex.ruri, next.target, next.out, alts.slice(i + 1), ex.edits)) {
        this.ex(idx).stepStart = false;
        return true;
      }
      this.ex(idx).dropped = true;
    }
    return false;
  }

  /** All branches are done with a negative outcome: failure_route, then the best reply. */
  private maybeComplete(): void {
    if (this.finalSent || this.inFailure || this.book.pending()) return;
    const outcomes = this.book.countedOutcomes();
    const best = pickBest(outcomes);
    const last = this.branches[best];
    const outcome = outcomes[best];
    if (!last || !outcome) return;
    this.port.failure(this, { code: outcome.status, reply: last.finalReply, branch: last.index });
    const route = this.ctx.failureRoute;
    if (route !== null) {
      this.ctx.failureRoute = null;
      this.failedBranch = last;
      const before = this.branches.length;
      const ctx = this.ctx;
      ctx.routeType = RouteType.FAILURE;
      ctx.reply = last.finalReply;
      ctx.replyCode = outcome.status;
      ctx.branchTimedOut = last.timedOut;
      ctx.branchReplied = last.replied;
      this.inFailure = true;
      const done = () => {
        this.inFailure = false;
        ctx.routeType = RouteType.REQUEST;
        if (this.finalSent) return;
        // replies dropped and no branch added: tm answers with an error of its own
        if (!this.book.dropReplies(before, this.port.txns.cfg.failureReplyMode))
          return this.replyLocal(500, 'Server Internal Error');
        if (this.branches.length > before && this.book.pending()) return; // new branch in flight
        this.sendBest();
      };
      const r = this.port.hooks().failure(route, ctx);
      if (r && typeof (r as Promise<void>).then === 'function') {
        (r as Promise<void>).then(done, (e) => {
          this.port.log.error(`failure_route[${route}]: ${(e as Error).message}`);
          done();
        });
      } else done();
      return;
    }
    this.sendBest();
  }

  private sendBest(): void {
    if (this.finalSent) return;
    const cfg = this.port.txns.cfg;
    const choice = chooseFinal(this.book.countedOutcomes(), this.book.countedReplies(), {
      remap503: cfg.remap503,
      aggregateChallenges: cfg.aggregateChallenges,
      canceled: this.canceled,
    });
    this.finalSent = true;
    if (choice.kind === 'relay') {
      this.server.reply(choice.reply.status, stripTopVia(choice.reply), false);
      this.port.responseOut(this, { code: choice.reply.status, reply: choice.reply, branch: choice.branch });
    } else {
      this.replyLocal(choice.status, choice.reason, choice.headers, choice.branch);
    }
    this.finish();
  }

  /** onreply_route, when armed; false when it dropped the reply. */
  private runOnReply(reply: SipMessage): boolean {
    const ctx = this.ctx;
    const name = ctx.onReplyRoute;
    const hooks = this.port.hooks();
    if (name === null || !hooks.onReply) return true;
    const prev = ctx.routeType;
    ctx.routeType = RouteType.TM_ONREPLY;
    ctx.reply = reply;
    ctx.replyCode = reply.status;
    try {
      return hooks.onReply(name, ctx, reply);
    } catch (e) {
      this.port.log.error(`onreply_route[${name}]: ${(e as Error).message}`);
      return true;
    } finally {
      ctx.routeType = prev;
    }
  }

  private finish(): void {
    this.releaseBranches();
    this.port.finished(this);
  }

  /**
   * Once the final reply went upstream, lingering transactions keep only what absorbing
   * retransmissions needs: branches that are done let go of this transaction (and with it
   * the request context, script store and parsed replies).
   */
  private releaseBranches(): void {
    if (!this.finalSent) return;
    // decide before detaching: detach() forgets the final reply outcome() looks at
    const pending = this.book.pending();
    for (const ct of this.branches) {
      if (this.book.done(ct) || ct.state === ClientState.Terminated) ct.detach();
    }
    if (!pending) this.server.tu = null;
  }

  /** A reply generated here (t_reply, timeouts): the transaction's To tag. */
  replyLocal(status: number, reason: string, headers?: string[], branch = -1): void {
    if (this.server.finished && status < 200) return; // too late for a provisional
    if (status >= 200) this.finalSent = true;
    this.server.replyLocal(status, reason, headers);
    this.port.responseOut(this, { code: status, reply: null, branch });
    if (status >= 200) this.finish();
  }

  /** CANCEL from upstream: CANCEL every branch that rang, end the silent ones. */
  onCancel(): void {
    if (this.canceled) return;
    this.canceled = true;
    this.cancelPending(null);
    for (const ct of this.branches) if (ct.state !== ClientState.Terminated) this.maybeComplete();
  }

  private cancelPending(except: ClientTxn | null): void {
    for (const ct of this.branches) {
      if (ct === except || this.book.done(ct)) continue;
      const ex = this.ex(ct.index);
      ex.cancelWanted = true;
      if (ct.state === ClientState.Proceeding) this.sendCancel(ct);
      else {
        // no provisional yet: a CANCEL may not be sent (RFC 3261 §9.1); stop
        // retransmitting, count the branch as 487, CANCEL if it rings later
        ct.quiet();
        ex.localStatus = 487;
      }
    }
  }

  private sendCancel(ct: ClientTxn): void {
    const ex = this.ex(ct.index);
    if (ex.cancelSent || !this.isInvite) return;
    ex.cancelSent = true;
    ct.cancel();
  }
}
