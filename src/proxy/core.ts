/**
 * The proxy core: every message from the transport walks through here once. Requests
 * are parsed, checked (RFC 3261 §16.3), matched against server transactions
 * (retransmissions and hop-by-hop ACKs are absorbed) and handed to the routing hooks
 * (the compiled script, or the built-in route); replies are matched to client
 * transactions, or forwarded statelessly when the top Via is ours.
 */
import { parseMessage, SipMessage } from '../sip/message';
import { validateRequest, validateResponse } from '../sip/validate';
import { buildReply, natEdits } from '../sip/reply';
import type { Edit } from '../sip/editor';
import { bareHost, SipUri } from '../sip/uri';
import { TransportLayer } from '../transport/layer';
import type { ListenSpec, LocalSocket, Source, Target, Proto } from '../transport/types';
import { TxnLayer } from '../transaction/layer';
import { ServerTxn } from '../transaction/server';
import { serverKey, clientKeyOfResponse } from '../transaction/keys';
import type { TmConfig } from '../transaction/config';
import { RequestContext, RouteType } from './context';
import { ProxyTxn, reasonFor } from './proxy-txn';
import { stripTopVia, buildBranchRequest, RrOptions, RR_DEFAULTS } from './forward';
import { resolveTarget, TargetError } from './target';
import { fnv1a } from './hash';
import { DSD_BRANCH, isLooped, loopHash, makeBranch } from './branch';
import type { Logger } from '../core/log';
import type { TxnObserver, TxnReplyEvent } from './txn-events';

export interface RouteHooks {
  request(ctx: RequestContext): void | Promise<void>;
  failure(name: string, ctx: RequestContext, txn: ProxyTxn): void | Promise<void>;
  /** onreply_route; return false to drop the reply. */
  onReply?(name: string, ctx: RequestContext, reply: SipMessage): boolean;
}

export interface CoreOptions {
  listen: readonly ListenSpec[];
  tm: TmConfig;
  log: Logger;
  /** Whole `Server: …` line for local replies; null: none. */
  serverHeader: string | null;
  /** Whole `User-Agent: …` line for locally generated requests; null: none. */
  userAgentHeader?: string | null;
  /** Extra host names / addresses that are "myself" (`alias=`). */
  aliases?: readonly string[];
  maxStreamMessage?: number;
  /** rr modparams (enable_full_lr, append_fromtag). */
  rr?: RrOptions;
}

export interface CoreStats {
  requestsIn: number;
  repliesIn: number;
  dropped: number;
  rejected: number;
  branchesSent: number;
  statelessForwards: number;
}

/** Result codes of relay(): positive = sent; negative = error (see lastError). */
export interface RelayError { code: number; reason: string }

export class ProxyCore {
  readonly transport: TransportLayer;
  readonly txns: TxnLayer;
  readonly log: Logger;
  hooks: RouteHooks;
  serverHeader: string | null;
  userAgentHeader: string | null;
  readonly rr: RrOptions;
  readonly stats: CoreStats = { requestsIn: 0, repliesIn: 0, dropped: 0, rejected: 0, branchesSent: 0, statelessForwards: 0 };
  /** Modules watching transactions (acc). */
  readonly observers: TxnObserver[] = [];
  /** Proxy transactions whose final reply has not gone out yet. */
  readonly active = new Set<ProxyTxn>();
  draining = false;
  private nextTxnId = 1;
  private readonly boot = Math.floor(Math.random() * 36 ** 6).toString(36);
  private readonly tagPrefix = Math.floor(Math.random() * 0xffffffff).toString(16);
  private myHosts = new Set<string>();
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly opts: CoreOptions, hooks: RouteHooks) {
    this.log = opts.log;
    this.hooks = hooks;
    this.serverHeader = opts.serverHeader;
    this.userAgentHeader = opts.userAgentHeader ?? null;
    this.rr = opts.rr ?? RR_DEFAULTS;
    this.transport = new TransportLayer(opts.listen, {
      onMessage: (buf, src) => this.receive(buf, src),
      onFramingError: (partial, reason, src) => this.framingError(partial, reason, src),
    }, {
      maxStreamMessage: opts.maxStreamMessage ?? 65535,
      tcpIdleMs: 120_000,
      log: opts.log,
    });
    this.txns = new TxnLayer(this.transport, opts.tm);
  }

  async start(): Promise<void> {
    await this.transport.start();
    for (const s of this.transport.sockets) {
      this.myHosts.add(s.ip.toLowerCase());
      this.myHosts.add(bareHost(s.advHost).toLowerCase());
    }
    for (const a of this.opts.aliases ?? []) this.myHosts.add(bareHost(a).toLowerCase());
  }

  /** Stops taking new transactions and resolves when in-flight ones finished or `ms` passed. */
  drain(ms: number): Promise<void> {
    this.draining = true;
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.drainWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  async stop(): Promise<void> {
    await this.transport.close();
  }

  // ---- receive path -------------------------------------------------------------

  receive(buf: Buffer, src: Source): void {
    let msg: SipMessage;
    try {
      msg = parseMessage(buf, { datagram: src.proto === 'udp' });
    } catch (e) {
      this.stats.dropped++;
      this.log.debug(`dropped unparsable message from ${src.ip}:${src.port}: ${(e as Error).message}`);
      return;
    }
    try {
      if (msg.isRequest) this.onRequest(msg, src);
      else this.onReply(msg);
    } catch (e) {
      this.stats.dropped++;
      this.log.error(`error handling message from ${src.ip}:${src.port}: ${(e as Error).stack ?? e}`);
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
    const key = serverKey(msg);
    if (key !== null) {
      const st = this.txns.servers.get(key);
      if (msg.method === 'ACK') {
        if (st && st.isInvite && st.lastStatus >= 300) { st.onAck(); return; }
      } else if (st) {
        st.onRetransmission();
        return;
      }
    }
    if (isLooped(msg, this.isMyselfHostPort)) {
      this.replyStateless(msg, src, 482, 'Loop Detected');
      return;
    }
    if (this.draining && msg.method !== 'ACK' && !msg.to?.tag) {
      this.replyStateless(msg, src, 503, 'Service Unavailable', ['Retry-After: 5']);
      return;
    }
    const ctx = new RequestContext(msg, src);
    const r = this.hooks.request(ctx);
    if (r && typeof (r as Promise<void>).then === 'function') {
      (r as Promise<void>).catch((e) => this.log.error(`request_route: ${(e as Error).stack ?? e}`));
    }
  }

  private onReply(msg: SipMessage): void {
    this.stats.repliesIn++;
    if (!validateResponse(msg)) { this.stats.dropped++; return; }
    const key = clientKeyOfResponse(msg);
    const ct = key !== null ? this.txns.clients.get(key) : undefined;
    if (ct) { ct.onResponse(msg); return; }
    // no transaction: forward statelessly when the top Via is ours (RFC 3261 §16.7, 18.1.2)
    const vias = msg.vias;
    const top = vias[0];
    if (!top || !top.branch?.startsWith(DSD_BRANCH) || !this.isMyself(top.host, top.port)) {
      this.stats.dropped++;
      return;
    }
    const next = vias[1];
    if (!next) { this.stats.dropped++; return; }
    // only plain transports here: a reply owed over TLS/WS is never sent in clear text
    if (next.transport !== 'UDP' && next.transport !== 'TCP') { this.stats.dropped++; return; }
    const proto: Proto = next.transport === 'TCP' ? 'tcp' : 'udp';
    const ip = bareHost(next.received ?? next.host);
    const port = next.rport ? Number(next.rport) : (next.port ?? 5060);
    this.stats.statelessForwards++;
    this.transport.send({ proto, ip, port }, stripTopVia(msg));
  }

  /** A unique branch id that also carries the loop-detection hash. */
  branchId(ctx: RequestContext, txnId: number, idx: number): string {
    let lh = ctx.mod.__loop as string | undefined;
    if (lh === undefined) { lh = loopHash(ctx.msg); ctx.mod.__loop = lh; }
    return makeBranch(lh, `${this.boot}${txnId.toString(36)}`, idx);
  }

  // ---- "myself" -------------------------------------------------------------------

  isMyself(host: string, port: number | null): boolean {
    if (!this.myHosts.has(bareHost(host).toLowerCase())) return false;
    const p = port ?? 5060;
    for (const s of this.transport.sockets) if (s.port === p || s.advPort === p) return true;
    return false;
  }

  /** isMyself as a bound function, handed to helpers without a closure per message. */
  readonly isMyselfHostPort = (host: string, port: number | null): boolean => this.isMyself(host, port);

  isMyselfUri = (u: SipUri): boolean => {
    return this.isMyself(u.host, u.port ?? (u.scheme === 'sips' ? 5061 : 5060));
  };

  // ---- replies ------------------------------------------------------------------

  viaEditsFor(req: SipMessage, src: Source): Edit[] {
    try {
      const top = req.topVia;
      return top ? natEdits(top, src.ip, src.port) : [];
    } catch {
      return [];
    }
  }

  /** Where replies to `req` go (RFC 3261 §18.2.2 with RFC 3581 rport). */
  replyTarget(req: SipMessage, src: Source): Target {
    if (src.proto === 'tcp') return { proto: 'tcp', ip: src.ip, port: src.port, conn: src.conn, local: src.local };
    let port = src.port;
    try {
      const top = req.topVia;
      if (top && top.rport === null) port = top.port ?? 5060;
    } catch { /* malformed Via: answer the packet's source */ }
    return { proto: 'udp', ip: src.ip, port, local: src.local };
  }

  /** A stable To tag for stateless replies, so retransmissions get the same one. */
  slTag(req: SipMessage): string {
    let branch = '';
    try { branch = req.topVia?.branch ?? ''; } catch { /* ignore */ }
    return `${this.tagPrefix}-${fnv1a(`${req.callId}|${req.from?.tag ?? ''}|${branch}`).toString(16)}`;
  }

  /** sl_send_reply: a reply without a transaction. */
  replyStateless(req: SipMessage, src: Source, code: number, reason: string, headers?: string[]): void {
    if (req.method === 'ACK') return;
    const buf = buildReply(req, code, reason, {
      toTag: this.slTag(req), headers, server: this.serverHeader, viaEdits: this.viaEditsFor(req, src),
    });
    this.txns.stats.rplGenerated++;
    this.transport.send(this.replyTarget(req, src), buf);
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
    if (ctx.txn) return ctx.txn;
    const msg = ctx.msg;
    const key = serverKey(msg) ?? `nokey|${this.nextTxnId}`;
    const st = new ServerTxn(this.txns, key, msg, ctx.src, this.replyTarget(msg, ctx.src), this.slTag(msg));
    const txn = new ProxyTxn(this, st, ctx, this.nextTxnId++);
    st.tu = txn;
    ctx.txn = txn;
    this.active.add(txn);
    for (const o of this.observers) o.created?.(txn);
    if (msg.method === 'INVITE') {
      st.reply(100, buildReply(msg, 100, 'Trying', { server: this.serverHeader, viaEdits: this.viaEditsFor(msg, ctx.src) }), true);
    }
    return txn;
  }

  /**
   * t_relay: statefully forward ctx to $du (or the R-URI) and any appended branches.
   * Returns 1, or a negative code with ctx.mod.lastError set; a Promise when a host
   * name must be resolved first.
   */
  relay(ctx: RequestContext): number | Promise<number> {
    const msg = ctx.msg;
    if (msg.method === 'ACK') return this.forwardStateless(ctx);
    if (msg.method === 'CANCEL') return this.relayCancel(ctx);
    if (ctx.txn?.canceled || ctx.txn?.finalSent) return this.fail(ctx, 487, 'Request Terminated');
    const hops: Array<{ ruri: string; uri: string }> = [{ ruri: ctx.ruri, uri: ctx.du ?? ctx.ruri }];
    for (const b of ctx.extraBranches) hops.push({ ruri: b.ruri, uri: b.du ?? b.ruri });
    ctx.extraBranches = [];
    const targets: Array<Target | Promise<Target>> = [];
    try {
      for (const h of hops) targets.push(resolveTarget(h.uri));
    } catch (e) {
      if (e instanceof TargetError) this.log.warn(`t_relay refused: ${e.message}`);
      return this.fail(ctx, e instanceof TargetError ? e.code : 400, e instanceof TargetError ? reasonFor(e.code) : 'Bad Request');
    }
    if (targets.every((t) => !(t instanceof Promise))) return this.sendBranches(ctx, hops, targets as Target[]);
    return Promise.all(targets).then(
      (ts) => this.sendBranches(ctx, hops, ts),
      (e) => this.fail(ctx, e instanceof TargetError ? e.code : 500, e instanceof TargetError ? reasonFor(e.code) : 'Server Internal Error'),
    );
  }

  private fail(ctx: RequestContext, code: number, reason: string): number {
    ctx.mod.lastError = { code, reason } satisfies RelayError;
    return -1;
  }

  private outSocket(ctx: RequestContext, t: Target): LocalSocket | null {
    const family = t.ip.indexOf(':') >= 0 ? 6 : 4;
    const f = ctx.forceSocket;
    if (f && f.proto === t.proto && f.family === family) return f;
    if (ctx.src.local.proto === t.proto && ctx.src.local.family === family) return ctx.src.local;
    return this.transport.selectSocket(t.proto, family);
  }

  private sendBranches(ctx: RequestContext, hops: Array<{ ruri: string }>, targets: Target[]): number {
    if (ctx.txn?.canceled) return this.fail(ctx, 487, 'Request Terminated');
    const txn = this.newTxn(ctx);
    let sent = 0;
    for (let i = 0; i < targets.length; i++) {
      const out = this.outSocket(ctx, targets[i]);
      if (!out) continue;
      if (txn.addBranch(hops[i].ruri, targets[i], out)) sent++;
    }
    if (sent === 0) return this.fail(ctx, 477, reasonFor(477));
    return 1;
  }

  /** CANCEL: 200 to the CANCEL, CANCEL every branch of the INVITE it names. */
  private relayCancel(ctx: RequestContext): number | Promise<number> {
    const msg = ctx.msg;
    const key = serverKey(msg, 'INVITE');
    const inv = key !== null ? this.txns.servers.get(key) : undefined;
    const txn = inv?.tu as ProxyTxn | undefined;
    if (!inv) return this.forwardStateless(ctx);
    const ckey = serverKey(msg);
    if (ckey !== null && !this.txns.servers.has(ckey)) {
      const st = new ServerTxn(this.txns, ckey, msg, ctx.src, this.replyTarget(msg, ctx.src), inv.toTag);
      st.reply(200, buildReply(msg, 200, 'canceling', {
        toTag: inv.toTag, server: this.serverHeader, viaEdits: this.viaEditsFor(msg, ctx.src),
      }), true);
    }
    txn?.cancelFromUpstream(); // none: the INVITE was answered already (RFC 3261 9.2)
    return 1;
  }

  /** forward(): send without a transaction (2xx ACKs, or on request of the script). */
  forwardStateless(ctx: RequestContext): number | Promise<number> {
    let t: Target | Promise<Target>;
    try {
      t = resolveTarget(ctx.du ?? ctx.ruri);
    } catch (e) {
      if (e instanceof TargetError) this.log.warn(`forward refused: ${e.message}`);
      return this.fail(ctx, e instanceof TargetError ? e.code : 400, 'Bad destination');
    }
    const send = (target: Target): number => {
      const out = this.outSocket(ctx, target);
      if (!out) return this.fail(ctx, 477, reasonFor(477));
      const branch = this.branchId(ctx, this.nextTxnId++, 0);
      const buf = buildBranchRequest(ctx, ctx.ruri, out, branch, this.rr);
      this.stats.statelessForwards++;
      return this.transport.send({ ...target, local: out }, buf) ? 1 : this.fail(ctx, 477, reasonFor(477));
    };
    if (t instanceof Promise) return t.then(send, () => this.fail(ctx, 478, reasonFor(478)));
    return send(t);
  }

  // ---- hooks back from transactions ---------------------------------------------

  runOnReply(txn: ProxyTxn, reply: SipMessage): boolean {
    const name = txn.ctx.onReplyRoute;
    if (name === null || !this.hooks.onReply) return true;
    const ctx = txn.ctx;
    const prev = ctx.routeType;
    ctx.routeType = RouteType.OnReply;
    ctx.reply = reply;
    ctx.replyCode = reply.status;
    try {
      return this.hooks.onReply(name, ctx, reply);
    } catch (e) {
      this.log.error(`onreply_route[${name}]: ${(e as Error).message}`);
      return true;
    } finally {
      ctx.routeType = prev;
    }
  }

  runFailure(name: string, txn: ProxyTxn): void | Promise<void> {
    return this.hooks.failure(name, txn.ctx, txn);
  }

  txnResponseOut(txn: ProxyTxn, ev: TxnReplyEvent): void {
    for (const o of this.observers) {
      try { o.responseOut?.(txn, ev); } catch (e) { this.log.error(`transaction observer: ${(e as Error).stack ?? e}`); }
    }
  }

  txnFailure(txn: ProxyTxn, ev: TxnReplyEvent): void {
    for (const o of this.observers) {
      try { o.failure?.(txn, ev); } catch (e) { this.log.error(`transaction observer: ${(e as Error).stack ?? e}`); }
    }
  }

  onFinal(txn: ProxyTxn): void {
    txn.releaseBranches();
    if (!this.active.delete(txn)) return;
    if (this.draining && this.active.size === 0) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    }
  }
}
