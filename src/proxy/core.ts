/**
 * The proxy core: every message from the transport walks through here once. Requests
 * are parsed, checked (RFC 3261 §16.3), offered to the transaction layer (which absorbs
 * retransmissions and hop-by-hop ACKs) and handed to the routing hooks (the compiled
 * script, or a built-in route); replies go to the transaction layer, or are forwarded
 * statelessly when the top Via is ours. The core owns the proxy transactions it creates
 * and hands each a narrow port (ProxyTxnPort), never itself.
 */
import { parseMessage, SipMessage } from '../sip/message';
import { validateRequest, validateResponse } from '../sip/validate';
import type { SipUri } from '../sip/uri';
import type { Source, Transport } from '../transport/types';
import { Admission, AdmissionConfig, ADMISSION_DEFAULTS } from './admission';
import { QueueShed } from './queue-shed';
import { TxnLayer } from '../transaction/layer';
import { ServerTxn } from '../transaction/server';
import type { TmConfig } from '../transaction/config';
import { RequestContext } from './context';
import { BranchFinal, ProxyTxn, ProxyTxnPort } from './proxy-txn';
import { stripTopVia, RrOptions, RR_DEFAULTS } from './forward';
import { Relay } from './relay';
import { StatelessReplies, statelessReplyHop } from './stateless';
import { Myself } from './myself';
import { BranchIds, DSD_BRANCH } from './branch';
import type { RouteHooks } from './hooks';
import type { FirstMessageTap, BranchTap, CoreSteer } from './core-taps';
import type { Logger } from '../core/log';
import type { TxnObserver, TxnReplyEvent } from './txn-events';

export type { RouteHooks } from './hooks';

export type { BranchFinal } from './proxy-txn';

export type { FirstMessageTap, BranchTap, CoreSteer } from './core-taps';

export interface CoreOptions {
  /** The transport, not started yet: the core starts it and receives from it. */
  transport: Transport;
  tm: TmConfig;
  log: Logger;
  /** Whole `Server: …` line for local replies; null: none. */
  serverHeader: string | null;
  /** Whole `User-Agent: …` line for locally generated requests; null: none. */
  userAgentHeader?: string | null;
  /** Extra host names / addresses that are "myself" (`alias=`). */
  aliases?: readonly string[];
  /** rr modparams (enable_full_lr, append_fromtag). */
  rr?: RrOptions;
  /** The bound on transactions in flight (admission.ts). */
  admission?: AdmissionConfig;
  /** The transaction timers' clock (ms); performance.now unless a test mocks time. */
  clock?: () => number;
}

export interface CoreStats {
  requestsIn: number;
  repliesIn: number;
  dropped: number;
  rejected: number;
  branchesSent: number;
  statelessForwards: number;
}

export type { RelayError } from './context';

export class ProxyCore {
  readonly transport: Transport;
  readonly txns: TxnLayer;
  readonly log: Logger;
  hooks: RouteHooks;
  readonly serverHeader: string | null;
  readonly userAgentHeader: string | null;
  readonly rr: RrOptions;
  readonly stats: CoreStats = {
    requestsIn: 0,
    repliesIn: 0,
    dropped: 0,
    rejected: 0,
    branchesSent: 0,
    statelessForwards: 0,
  };
  /** Modules watching transactions (acc). */
  readonly observers: TxnObserver[] = [];
  readonly admission: Admission;
  readonly queueShed: QueueShed;
  draining = false;
  private isStopped = false;
  private markStopped: () => void = () => undefined;
  private readonly branchIds = new BranchIds();
  private readonly port: ProxyTxnPort;
  private readonly sl: StatelessReplies;
  private readonly myself: Myself;
  private readonly relayer: Relay;
  private drainWaiters: Array<() => void> = [];
  /** Set in a worker of several (children > 1); null: every message is ours. */
  steer: CoreSteer | null = null;
  /**
   * Told of the first message received, once (the daemon's "first SIP message read" line),
   * then null. A field set when the engine is built, before the warm-up, rather than a
   * wrapper put on `receive` later: an own property added to the real core after the
   * warm-up gave it another hidden class than the warm core's, and V8 threw away the warm-up's
   * code at the first real message (bench/PROFILE.md, session 17).
   */
  firstTap: FirstMessageTap | null = null;
  /**
   * Told about every branch's final outcome (the dispatcher's ejection and dialog count). An
   * object with a method, not a closure: the warm-up's dispatcher taps its own core
   * (daemon/warmup.ts), and V8's code for this call then fits the real one too.
   */
  branchTap: BranchTap | null = null;

  constructor(
    private readonly opts: CoreOptions,
    hooks: RouteHooks,
  ) {
    this.log = opts.log;
    this.hooks = hooks;
    this.serverHeader = opts.serverHeader;
    this.userAgentHeader = opts.userAgentHeader ?? null;
    this.rr = opts.rr ?? RR_DEFAULTS;
    this.transport = opts.transport;
    this.txns = new TxnLayer(this.transport, {
      tm: opts.tm,
      serverHeader: opts.serverHeader,
      userAgentHeader: this.userAgentHeader,
      clock: opts.clock,
      toTagOf: (req) => this.sl.tag(req),
    });
    this.port = {
      txns: this.txns,
      branchIds: this.branchIds,
      rr: this.rr,
      log: this.log,
      stats: this.stats,
      hooks: () => this.hooks,
      finished: (txn) => this.txnFinished(txn),
      branchFinal: (b) => this.tapBranch(b),
      responseOut: (txn, ev) => this.observe('responseOut', txn, ev),
      failure: (txn, ev) => this.observe('failure', txn, ev),
    };
    this.admission = new Admission(opts.admission ?? ADMISSION_DEFAULTS);
    this.queueShed = new QueueShed(this.transport, this.admission, this.log);
    this.sl = new StatelessReplies(this.transport, this.txns, opts.serverHeader);
    this.myself = new Myself(() => this.transport.sockets);
    this.relayer = new Relay({
      transport: this.transport,
      txns: this.txns,
      log: this.log,
      rr: this.rr,
      admission: this.admission,
      branchIds: this.branchIds,
      stats: this.stats,
      hooks: () => this.hooks,
      newTxn: (ctx) => this.newTxn(ctx),
      stopped: () => this.isStopped,
      whenStopped: new Promise<null>((resolve) => {
        this.markStopped = () => resolve(null);
      }),
    });
  }

  async start(): Promise<void> {
    await this.transport.start({
      onMessage: (buf, src) => this.receive(buf, src),
      onFramingError: (partial, reason, src) => this.framingError(partial, reason, src),
      onSendError: (target) => this.txns.transportFailed(target),
    });
    this.myself.learn(this.opts.aliases ?? []);
  }

  /**
   * Proxy transactions whose final reply has not gone out yet: admission's count (it holds
   * each one from newTxn to its final reply). Not a Set of them: a small JS Set churned by
   * every call rehashes every few calls, and each obsolete hash table points on to the next
   * one, so one table promoted to the old generation kept every later call alive through the
   * scavenges until the next Mark-Compact (bench/PROFILE.md, session 14).
   */
  get inFlight(): number {
    return this.admission.inFlight;
  }

  /** Stops taking new transactions and resolves when in-flight ones finished or `ms` passed. */
  drain(ms: number): Promise<void> {
    this.draining = true;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.drainWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Worker `index` of several: our branches name it, so the reader hands its replies straight here. */
  setWorker(index: number): void {
    this.branchIds.setWorker(index);
  }

  get tmConfig(): Readonly<TmConfig> {
    return this.opts.tm;
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    this.queueShed.stop();
    this.markStopped();
    await this.transport.close();
  }

  // ---- receive path -------------------------------------------------------------

  /**
   * `steered`: handed over by the worker that read it; never handed on again. `waited`:
   * how long (ms) it waited in the queues it went through on the way (tm max_queue_wait).
   */
  receive(buf: Buffer, src: Source, steered = false, waited = -1): void {
    if (this.firstTap !== null) this.tellFirst(src, steered);
    let msg: SipMessage;
    try {
      // a datagram or a WebSocket message is one whole message: no Content-Length needed
      msg = parseMessage(buf, { datagram: src.proto === 'udp' || src.proto === 'ws' || src.proto === 'wss' });
    } catch (e) {
      this.stats.dropped++;
      this.log.debug(`dropped unparsable message from ${src.ip}:${src.port}: ${(e as Error).message}`);
      return;
    }
    if (!steered && this.steer !== null && this.steer.steer(msg, buf, src)) return;
    this.queueShed.handedWait = waited;
    try {
      if (msg.isRequest) this.onRequest(msg, src);
      else this.onReply(msg, src);
    } catch (e) {
      this.stats.dropped++;
      this.log.error(`error handling message from ${src.ip}:${src.port}: ${(e as Error).stack ?? e}`);
    } finally {
      this.queueShed.handedWait = -1;
    }
  }

  private framingError(partial: Buffer, reason: string, src: Source): void {
    try {
      const msg = parseMessage(partial, { datagram: true });
      if (msg.isRequest && msg.method !== 'ACK') this.replyStateless(msg, src, 400, reason);
    } catch {
      /* nothing we can answer */
    }
    this.stats.dropped++;
  }

  private onRequest(msg: SipMessage, src: Source): void {
    this.stats.requestsIn++;
    if (msg.defect) {
      this.stats.rejected++;
      if (msg.method !== 'ACK') this.replyStateless(msg, src, msg.defect.code, msg.defect.reason);
      return;
    }
    const rej = validateRequest(msg);
    if (rej) {
      this.stats.rejected++;
      if (msg.method !== 'ACK') this.replyStateless(msg, src, rej.code, rej.reason, rej.headers);
      return;
    }
    if (this.txns.absorbRequest(msg)) return;
    if (this.draining && msg.method !== 'ACK' && !msg.to?.tag) {
      this.replyStateless(msg, src, 503, 'Service Unavailable', ['Retry-After: 5']);
      return;
    }
    if (
      msg.method !== 'ACK' &&
      msg.method !== 'CANCEL' &&
      !msg.to?.tag &&
      (!this.admission.admits(src.ip) || this.queueShed.sheds(src))
    ) {
      this.replyStateless(msg, src, 503, 'Service Unavailable', [this.admission.retryAfterHeader]);
      return;
    }
    const ctx = new RequestContext(msg, src);
    const r = this.hooks.request(ctx);
    if (r && typeof (r as Promise<void>).then === 'function') {
      (r as Promise<void>).catch((e) => this.log.error(`request_route: ${(e as Error).stack ?? e}`));
    }
  }

  private onReply(msg: SipMessage, src: Source): void {
    this.stats.repliesIn++;
    if (!validateResponse(msg)) {
      this.stats.dropped++;
      return;
    }
    // the core reply_route runs for every reply before tm sees it; drop there ends it
    if (this.hooks.coreReply && !this.hooks.coreReply(msg, src)) {
      this.stats.dropped++;
      return;
    }
    if (this.txns.matchReply(msg)) return;
    // with workers, a provisional that outlived its transaction (the final ended it) is
    // dropped rather than relayed after the final
    if (this.steer !== null && msg.status < 200) {
      this.stats.dropped++;
      return;
    }
    // no transaction: forward statelessly when the top Via is ours (RFC 3261 §16.7, 18.1.2)
    const top = msg.vias[0];
    const hop =
      top?.branch?.startsWith(DSD_BRANCH) && this.isMyself(top.host, top.port) ? statelessReplyHop(msg) : null;
    if (hop === null) {
      this.stats.dropped++;
      return;
    }
    this.stats.statelessForwards++;
    this.transport.send(hop, stripTopVia(msg));
  }

  // ---- "myself" -------------------------------------------------------------------

  isMyself(host: string, port: number | null): boolean {
    return this.myself.is(host, port);
  }

  isMyselfUri = (u: SipUri): boolean => this.myself.isUri(u);

  // ---- replies ------------------------------------------------------------------

  /** sl_send_reply: a reply without a transaction. */
  replyStateless(req: SipMessage, src: Source, code: number, reason: string, headers?: string[]): void {
    this.sl.send(req, src, code, reason, headers);
  }

  /** t_reply / send_reply: through the transaction when there is one. */
  reply(ctx: RequestContext, code: number, reason: string, headers?: string[]): number {
    if (ctx.msg.method === 'ACK') return -1;
    if (ctx.txn) {
      if (ctx.txn.finalSent && code >= 200) return -1;
      ctx.txn.replyLocal(code, reason, headers);
      return 1;
    }
    this.replyStateless(ctx.msg, ctx.src, code, reason, headers);
    return 1;
  }

  // ---- forwarding -----------------------------------------------------------------

  /** Creates the proxy transaction for ctx (t_newtran); 100 Trying for an INVITE. */
  newTxn(ctx: RequestContext): ProxyTxn {
    if (ctx.txn instanceof ProxyTxn) return ctx.txn;
    const msg = ctx.msg;
    const id = this.branchIds.nextTxn();
    const key = this.txns.keyOf(msg) ?? `nokey|${id}`;
    const st = new ServerTxn(this.txns, key, msg, ctx.src, this.sl.tag(msg));
    const txn = new ProxyTxn(this.port, st, ctx, id);
    ctx.txn = txn;
    this.admission.start(txn, ctx.src.ip, msg.buf.length);
    for (const o of this.observers) o.created?.(txn);
    if (msg.method === 'INVITE') st.trying();
    return txn;
  }

  /**
   * t_relay: statefully forward ctx to $du (or the R-URI) and any appended branches.
   * Returns 1, or a negative code with ctx.lastError set; a Promise when a host
   * name must be resolved first.
   */
  relay(ctx: RequestContext): number | Promise<number> {
    return this.relayer.relay(ctx);
  }

  /** forward(): send without a transaction (2xx ACKs, or on request of the script). */
  forwardStateless(ctx: RequestContext): number | Promise<number> {
    return this.relayer.forwardStateless(ctx);
  }

  private tellFirst(src: Source, steered: boolean): void {
    const tap = this.firstTap;
    this.firstTap = null;
    tap?.firstMessage(src, steered);
  }

  private tapBranch(b: BranchFinal): void {
    if (this.branchTap === null) return;
    try {
      this.branchTap.branchFinal(b);
    } catch (e) {
      this.log.error(`branch observer: ${(e as Error).message}`);
    }
  }

  private observe(what: 'responseOut' | 'failure', txn: ProxyTxn, ev: TxnReplyEvent): void {
    for (const o of this.observers) {
      try {
        o[what]?.(txn, ev);
      } catch (e) {
        this.log.error(`transaction observer: ${(e as Error).stack ?? e}`);
      }
    }
  }

  private txnFinished(txn: ProxyTxn): void {
    if (!this.admission.release(txn)) return; // an extra 2xx of a fork: finished already
    if (this.draining && this.inFlight === 0) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    }
  }
}
