/**
 * Forwarding, tm's t_relay and the core's forward(): the hops of a request (its R-URI or
 * $du, and appended branches) through branch_route, resolved to transport targets, sent
 * as branches of its proxy transaction — or, for an ACK to a 2xx and forward(), sent
 * once without one. CANCEL is matched to its INVITE here and CANCELs that INVITE's
 * branches. The core hands this a narrow host (RelayHost), never itself.
 */
import { isSecure, type LocalSocket, type Proto, type Target, type Transport } from '../transport/types';
import type { TxnLayer } from '../transaction/layer';
import type { EditList } from '../sip/editor';
import type { Logger } from '../core/log';
import type { Admission } from './admission';
import type { RequestContext } from './context';
import type { ProxyTxn } from './proxy-txn';
import type { NextTarget } from './branches';
import type { RouteHooks } from './hooks';
import type { BranchIds } from './branch';
import { reasonFor } from './best';
import { buildBranchRequest, type RrOptions } from './forward';
import { resolveHops, resolveTarget, TargetError } from './target';
import { runBranchRoutes, type Hop } from './branch-route';

/** What forwarding uses of the proxy core. */
export interface RelayHost {
  readonly transport: Transport;
  readonly txns: TxnLayer;
  readonly log: Logger;
  readonly rr: RrOptions;
  readonly admission: Admission;
  readonly branchIds: BranchIds;
  readonly stats: { statelessForwards: number };
  hooks(): RouteHooks;
  /** t_newtran: the request's proxy transaction, made when it has none. */
  newTxn(ctx: RequestContext): ProxyTxn;
  /** The core was stopped: a relay that resumes now (after DNS, an async branch route) starts nothing. */
  stopped(): boolean;
  /** Resolves (to null) when the core stops: a relay still waiting on DNS gives up then, not when DNS answers. */
  readonly whenStopped: Promise<null>;
}

interface BranchHop {
  readonly ruri: string;
  readonly edits: EditList | null;
}

export class Relay {
  /** The transports of the listen sockets, as of `socketsSeen` (the list grows only at start). */
  private protos: Proto[] = [];
  private socketsSeen: readonly LocalSocket[] | null = null;
  private socketsCount = -1;

  constructor(private readonly h: RelayHost) {
    // now, with the listen sockets known: the first relay then finds them, in the warm-up's
    // relays and the real one alike (a path taken once per object has no feedback for V8)
    this.allowed();
  }

  /** Transports we may send on (NAPTR/SRV choices are limited to them). */
  private allowed(): readonly Proto[] {
    const s = this.h.transport.sockets;
    if (s !== this.socketsSeen || s.length !== this.socketsCount) {
      this.protos = s.map((x) => x.proto);
      this.socketsSeen = s;
      this.socketsCount = s.length;
    }
    return this.protos;
  }

  /**
   * t_relay: statefully forward ctx to $du (or the R-URI) and any appended branches.
   * Returns 1, or a negative code with ctx.lastError set; a Promise when a host
   * name must be resolved first.
   */
  relay(ctx: RequestContext): number | Promise<number> {
    const msg = ctx.msg;
    if (msg.method === 'ACK') return this.forwardStateless(ctx);
    if (msg.method === 'CANCEL') return this.relayCancel(ctx);
    if (ctx.txn?.canceled || ctx.txn?.finalSent) return fail(ctx, 487, 'Request Terminated');
    const all: Hop[] = [{ ruri: ctx.ruri, du: ctx.du, edits: null }];
    const extra = ctx.extraBranches;
    if (extra.length > 0) {
      for (const b of extra) all.push({ ruri: b.ruri, du: b.du, edits: null });
      ctx.extraBranches = [];
    }
    const kept = runBranchRoutes(ctx, all, this.h.hooks());
    if (kept instanceof Promise) return kept.then((hs) => this.relayHops(ctx, hs));
    return this.relayHops(ctx, kept);
  }

  /** The rest of t_relay once branch routes ran: resolve each hop, send the branches. */
  private relayHops(ctx: RequestContext, kept: readonly Hop[]): number | Promise<number> {
    // every branch dropped in branch_route: nothing to send (tm's E_CFG, sl_reply_error sends 500)
    if (kept.length === 0) return fail(ctx, 500, 'Server Internal Error');
    const uris: string[] = [];
    for (const h of kept) uris.push(h.du ?? h.ruri);
    let targets: Target[][] | Promise<Target[][]>;
    try {
      targets = resolveHops(uris, this.allowed());
    } catch (e) {
      if (e instanceof TargetError) this.h.log.warn(`t_relay refused: ${e.message}`);
      return refuse(ctx, e, 400, 'Bad Request');
    }
    if (!(targets instanceof Promise)) return this.sendBranches(ctx, kept, targets);
    return Promise.race([targets, this.h.whenStopped]).then(
      (ts) => (ts === null ? fail(ctx, 503, reasonFor(503)) : this.sendBranches(ctx, kept, ts)),
      (e) => refuse(ctx, e, 500, 'Server Internal Error'),
    );
  }

  private outSocket(ctx: RequestContext, t: Target): LocalSocket | null {
    const family = t.ip.indexOf(':') >= 0 ? 6 : 4;
    const f = ctx.forceSocket;
    if (f && f.proto === t.proto && f.family === family) return f;
    if (ctx.src.local.proto === t.proto && ctx.src.local.family === family) return ctx.src.local;
    return this.h.transport.selectSocket(t.proto, family);
  }

  private sendBranches(ctx: RequestContext, hops: readonly BranchHop[], candidates: Target[][]): number {
    if (ctx.txn?.canceled) return fail(ctx, 487, 'Request Terminated');
    // no transaction may outlive its core: its timers would run routes after the stop
    if (this.h.stopped()) return fail(ctx, 503, reasonFor(503));
    const txn = this.h.newTxn(ctx);
    let sent = 0;
    let refused = false;
    for (let i = 0; i < hops.length; i++) {
      const hop = hops[i]!;
      // each hop: its first usable candidate now, the others for DNS failover
      let first: NextTarget | null = null;
      let rest: NextTarget[] | null = null;
      for (const t of candidates[i] ?? []) {
        const out = this.outSocket(ctx, t);
        if (!out) refused = this.noSocket(t) || refused;
        else if (first === null) first = { target: t, out };
        else (rest ??= []).push({ target: t, out });
      }
      if (first && txn.addBranch(hop.ruri, first.target, first.out, rest ?? NO_ALTS, hop.edits ?? ctx.edits)) sent++;
    }
    this.h.admission.hold(txn, sent * ctx.msg.buf.length);
    if (sent === 0) return refused ? fail(ctx, 503, reasonFor(503)) : fail(ctx, 477, reasonFor(477));
    return 1;
  }

  /**
   * No listen socket for the hop's transport. A secure hop (sips:, transport=tls/wss)
   * is refused outright and logged: it is never sent over another transport.
   */
  private noSocket(t: Target): boolean {
    if (!isSecure(t.proto)) return false;
    this.h.log.warn(
      `refused: no ${t.proto} listen socket for secure destination ${t.ip}:${t.port}; not sent in clear text`,
    );
    return true;
  }

  /** CANCEL: 200 to the CANCEL, CANCEL every branch of the INVITE it names. */
  private relayCancel(ctx: RequestContext): number | Promise<number> {
    const inv = this.h.txns.receiveCancel(ctx.msg, ctx.src);
    if (inv === undefined) return this.forwardStateless(ctx);
    inv?.tu?.onCancel(); // none: the INVITE was answered already (RFC 3261 9.2)
    return 1;
  }

  /** forward(): send without a transaction (2xx ACKs, or on request of the script). */
  forwardStateless(ctx: RequestContext): number | Promise<number> {
    let t: Target | Promise<Target>;
    try {
      t = resolveTarget(ctx.du ?? ctx.ruri);
    } catch (e) {
      if (e instanceof TargetError) this.h.log.warn(`forward refused: ${e.message}`);
      return fail(ctx, e instanceof TargetError ? e.code : 400, 'Bad destination');
    }
    if (t instanceof Promise)
      return t.then(
        (target) => this.sendStateless(ctx, target),
        () => fail(ctx, 478, reasonFor(478)),
      );
    return this.sendStateless(ctx, t);
  }

  private sendStateless(ctx: RequestContext, target: Target): number {
    const out = this.outSocket(ctx, target);
    if (!out) return this.noSocket(target) ? fail(ctx, 503, reasonFor(503)) : fail(ctx, 477, reasonFor(477));
    const ids = this.h.branchIds;
    const branch = ids.make(ctx.msg, ctx, ids.nextTxn(), 0);
    const buf = buildBranchRequest(ctx, ctx.ruri, out, branch, this.h.rr);
    this.h.stats.statelessForwards++;
    const to: Target = { proto: target.proto, ip: target.ip, port: target.port, local: out };
    return this.h.transport.send(to, buf) ? 1 : fail(ctx, 477, reasonFor(477));
  }
}

const NO_ALTS: readonly NextTarget[] = [];

/** t_relay failed on a destination: its TargetError's code, else `code`. */
function refuse(ctx: RequestContext, e: unknown, code: number, reason: string): number {
  return e instanceof TargetError ? fail(ctx, e.code, reasonFor(e.code)) : fail(ctx, code, reason);
}

function fail(ctx: RequestContext, code: number, reason: string): number {
  ctx.lastError = { code, reason };
  return -1;
}
