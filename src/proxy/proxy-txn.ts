/**
 * A stateful proxy transaction — tm's "cell": the server transaction upstream and a
 * client transaction per branch downstream. Provisional and 2xx replies go upstream as
 * they come; negative finals wait until every branch is done, then failure_route may
 * add branches (dispatcher failover) before the best reply is sent (RFC 3261 §16.7).
 */
import type { SipMessage } from '../sip/message';
import { buildReply } from '../sip/reply';
import { ClientTxn, ClientOwner, ClientState, setAckBuilder } from '../transaction/client';
import { ServerTxn } from '../transaction/server';
import type { LocalSocket, Target } from '../transport/types';
import { RequestContext, RouteType } from './context';
import { buildAck, buildBranchRequest, buildCancel, stripTopVia } from './forward';
import { pickBest, BranchOutcome } from './best';
import type { ProxyCore } from './core';

setAckBuilder(buildAck);

interface BranchExtra {
  cancelWanted: boolean;
  cancelSent: boolean;
  localStatus: number;
  /** The branch's R-URI (tm's uac[i].uri), for what is reported about it. */
  ruri: string;
}

export class ProxyTxn implements ClientOwner {
  readonly branches: ClientTxn[] = [];
  private readonly extra: BranchExtra[] = [];
  canceled = false;
  /** A final reply went upstream. */
  finalSent = false;
  /** Branch whose reply the failure route is looking at. */
  failedBranch: ClientTxn | null = null;
  private inFailure = false;

  constructor(readonly core: ProxyCore, readonly server: ServerTxn, readonly ctx: RequestContext, readonly id: number) {}

  /** R-URI of branch i, or null. */
  branchRuri(i: number): string | null {
    return this.extra[i]?.ruri ?? null;
  }

  get isInvite(): boolean {
    return this.server.isInvite;
  }

  /**
   * Starts one branch to `target` (the resolved $du or R-URI) with R-URI `ruri`.
   * Returns false when the transport would not send it.
   */
  addBranch(ruri: string, target: Target, out: LocalSocket): boolean {
    const idx = this.branches.length;
    const branchId = this.core.branchId(this.ctx, this.id, idx);
    const buf = buildBranchRequest(this.ctx, ruri, out, branchId, this.core.rr);
    const ctx = this.ctx;
    const cfg = this.core.txns.cfg;
    const ct = new ClientTxn(
      this.core.txns, branchId, this.ctx.msg.method, buf, { ...target, local: out }, this, idx,
      ctx.frTimer || cfg.frTimer, ctx.frInvTimer || cfg.frInvTimer,
    );
    this.branches.push(ct);
    this.extra.push({ cancelWanted: false, cancelSent: false, localStatus: 0, ruri });
    if (!ct.start()) {
      this.extra[idx].localStatus = 477;
      ct.lastStatus = 477;
      return false;
    }
    this.core.stats.branchesSent++;
    return true;
  }

  buildAck(ct: ClientTxn, reply: SipMessage): Buffer {
    return buildAck(ct.buf, reply);
  }

  onBranchReply(ct: ClientTxn, msg: SipMessage | null): void {
    const ex = this.extra[ct.index];
    if (this.finalSent && this.outcome(ct.index) !== null && !(msg && msg.status < 300)) {
      // a branch finishing after the answer went upstream (a CANCELed fork): nothing left to do
      this.releaseBranches();
      return;
    }
    if (msg && msg.status < 200) {
      if (ex.cancelWanted && !ex.cancelSent) this.sendCancel(ct);
      if (this.finalSent || msg.status === 100 || ct.state !== ClientState.Proceeding) return;
      if (!this.core.runOnReply(this, msg)) return;
      this.server.reply(msg.status, stripTopVia(msg), false);
      this.core.txnResponseOut(this, { code: msg.status, reply: msg, branch: ct.index });
      return;
    }
    if (msg && msg.status < 300) {
      if (!this.core.runOnReply(this, msg)) return;
      this.server.reply(msg.status, stripTopVia(msg), false);
      this.core.txnResponseOut(this, { code: msg.status, reply: msg, branch: ct.index });
      if (!this.finalSent) {
        this.finalSent = true;
        this.cancelPending(ct);
      }
      this.core.onFinal(this);
      return;
    }
    if (!msg) {
      // fr_timer / fr_inv_timer: an INVITE branch that rang is CANCELed downstream
      if (this.isInvite && ct.replied && !ex.cancelSent) this.sendCancel(ct);
    } else {
      if (msg.status >= 600) this.cancelPending(ct);
      this.core.runOnReply(this, msg);
    }
    this.maybeComplete();
  }

  private outcome(i: number): BranchOutcome | null {
    const ct = this.branches[i];
    const ex = this.extra[i];
    if (ct.finalReply) return { status: ct.finalReply.status, local: false };
    if (ct.timedOut) return { status: 408, local: true };
    if (ex.localStatus) return { status: ex.localStatus, local: true };
    return null;
  }

  private pending(): boolean {
    for (let i = 0; i < this.branches.length; i++) if (this.outcome(i) === null) return true;
    return false;
  }

  /** All branches are done with a negative outcome: failure_route, then the best reply. */
  private maybeComplete(): void {
    if (this.finalSent || this.inFailure || this.pending()) return;
    const outcomes = this.branches.map((_, i) => this.outcome(i));
    const best = pickBest(outcomes);
    if (best < 0) return;
    this.core.txnFailure(this, { code: outcomes[best]!.status, reply: this.branches[best].finalReply, branch: best });
    const route = this.ctx.failureRoute;
    if (route !== null) {
      this.ctx.failureRoute = null;
      const last = this.branches[best];
      this.failedBranch = last;
      const before = this.branches.length;
      const ctx = this.ctx;
      ctx.routeType = RouteType.Failure;
      ctx.reply = last.finalReply;
      ctx.replyCode = outcomes[last.index]?.status ?? 0;
      ctx.branchTimedOut = last.timedOut;
      ctx.branchReplied = last.replied;
      this.inFailure = true;
      const done = () => {
        this.inFailure = false;
        ctx.routeType = RouteType.Request;
        if (this.finalSent) return;
        if (this.branches.length > before && this.pending()) return; // new branch in flight
        this.sendBest();
      };
      const r = this.core.runFailure(route, this);
      if (r && typeof (r as Promise<void>).then === 'function') {
        (r as Promise<void>).then(done, (e) => { this.core.log.error(`failure_route[${route}]: ${(e as Error).message}`); done(); });
      } else done();
      return;
    }
    this.sendBest();
  }

  private sendBest(): void {
    if (this.finalSent) return;
    const outcomes = this.branches.map((_, i) => this.outcome(i));
    const best = pickBest(outcomes);
    this.finalSent = true;
    if (best < 0) {
      this.replyLocal(500, 'Server Internal Error');
    } else {
      const ct = this.branches[best];
      if (ct.finalReply) {
        this.server.reply(ct.finalReply.status, stripTopVia(ct.finalReply), false);
        this.core.txnResponseOut(this, { code: ct.finalReply.status, reply: ct.finalReply, branch: best });
      } else {
        const st = outcomes[best]!.status;
        this.replyLocal(this.canceled ? 487 : st, reasonFor(this.canceled ? 487 : st), undefined, best);
      }
    }
    this.core.onFinal(this);
  }

  /**
   * Once the final reply went upstream, lingering transactions keep only what absorbing
   * retransmissions needs: branches that are done let go of this transaction (and with it
   * the request context, script store and parsed replies).
   */
  releaseBranches(): void {
    if (!this.finalSent) return;
    // decide before detaching: detach() forgets the final reply outcome() looks at
    const pending = this.pending();
    for (let i = 0; i < this.branches.length; i++) {
      if (this.outcome(i) !== null || this.branches[i].state === ClientState.Terminated) this.branches[i].detach();
    }
    if (!pending) this.server.tu = null;
  }

  /** A reply generated here (t_reply, timeouts): the transaction's To tag. */
  replyLocal(status: number, reason: string, headers?: string[], branch = -1): void {
    if (this.server.finished && status < 200) return; // too late for a provisional
    const buf = buildReply(this.ctx.msg, status, reason, {
      toTag: this.server.toTag, headers, server: this.core.serverHeader,
      viaEdits: this.core.viaEditsFor(this.ctx.msg, this.ctx.src),
    });
    if (status >= 200) this.finalSent = true;
    this.server.reply(status, buf, true);
    this.core.txnResponseOut(this, { code: status, reply: null, branch });
    if (status >= 200) this.core.onFinal(this);
  }

  /** CANCEL from upstream: CANCEL every branch that rang, end the silent ones. */
  cancelFromUpstream(): void {
    if (this.canceled) return;
    this.canceled = true;
    this.cancelPending(null);
    for (const ct of this.branches) if (ct.state !== ClientState.Terminated) this.maybeComplete();
  }

  private cancelPending(except: ClientTxn | null): void {
    for (let i = 0; i < this.branches.length; i++) {
      const ct = this.branches[i];
      if (ct === except || this.outcome(i) !== null) continue;
      const ex = this.extra[i];
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
    const ex = this.extra[ct.index];
    if (ex.cancelSent || !this.isInvite) return;
    ex.cancelSent = true;
    const cancel = new ClientTxn(
      this.core.txns, ct.branch, 'CANCEL', buildCancel(ct.buf), ct.target, CANCEL_OWNER, ct.index,
      this.core.txns.cfg.frTimer, this.core.txns.cfg.frTimer,
    );
    cancel.start();
  }
}

/** Replies to our CANCELs need nothing beyond the client transaction's own handling. */
const CANCEL_OWNER: ClientOwner = {
  onBranchReply(): void { /* 200/481 to a CANCEL: nothing to do */ },
  buildAck(): Buffer { return Buffer.alloc(0); },
};

export function reasonFor(code: number): string {
  switch (code) {
    case 408: return 'Request Timeout';
    case 416: return 'Unsupported URI Scheme';
    case 477: return 'Unfortunately error on sending to next hop occurred';
    case 478: return 'Unresolvable destination';
    case 487: return 'Request Terminated';
    case 500: return 'Server Internal Error';
    case 503: return 'Service Unavailable';
    default: return 'Error';
  }
}
