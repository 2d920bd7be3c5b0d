/**
 * The dispatcher inside the daemon: builds the engine from modparams with the proxy's
 * DNS and sockets, loads the list, runs the keepalive / call-load / DNS timers, keeps the
 * admin-state file, and offers the script functions over a request context.
 */
import { dispatcherDns } from './dns';
import type { ProxyCore } from '../../proxy/core';
import type { RequestContext } from '../../proxy/context';
import { RouteType } from '../../proxy/context';
import type { LocalSocket, Target } from '../../transport/types';
import type { Logger } from '../../core/log';
import { Dispatcher } from './engine';
import { DsRpcError } from './errors';
import type { DsParams } from './params';
import type { SocketSpec } from './socket-spec';
import type { PushAction, SelectMode, SelectResult } from './select-types';
import type { DsEvent } from './state';
import type { PingTarget } from './keepalive';
import type { DsMarkContext } from './request';
import { prependRecords } from './xavp-records';
import { KeepaliveSender } from './keepalive-sender';
import { requestView, sourceView, dstRecords, setDstRecords, pushCtxCount } from './proxy-view';
import { AdminStateFile } from './admin-file';
import type { AdminStateEntry } from './admin-state';
import type { DrainEntry } from './lb/drain';
import type { ReloadSource, LoadReport } from './list-manager';
import { DispatcherCounters, ListChangeKind } from './stats';
import { initialStateEvents } from './initial-events';
import { branchOutcome, ejectTick } from './lb/operations';
import { ExplainRequest, LbRpcHost } from './lb/rpc';
import { parseMessage } from '../../sip/message';
import { RequestContext as Ctx } from '../../proxy/context';
import type { DsRequestView } from './request';

export interface DispatcherRuntimeOptions {
  core: ProxyCore;
  params: DsParams;
  log: Logger;
  /** Where admin states are kept across restarts (null: not kept). */
  stateFile: string | null;
  /** dst-up / dst-down: the event_route runner. */
  onEvent?: (ev: DsEvent) => void;
  /** hash_pvar expansion for alg 7 (the script engine supplies it). */
  hashPvar?: (ctx: RequestContext) => string | null;
  /** Run dst-up/dst-down for every destination after the start-up load and each reload. */
  initialStateEvents?: boolean;
  /** Where the list comes from when not list_file (the database: DispatcherDb.listSource). */
  listSource?: { initial(): Promise<ReloadSource>; reload(): Promise<ReloadSource> };
  /** Admin states to start with instead of the state file (the cluster: DispatcherDb.adminSource). */
  adminSource?: () => Promise<AdminStateEntry[]>;
  /** Drains to start with instead of the state file's (the cluster: DispatcherDb.drainSource). */
  drainSource?: () => Promise<DrainEntry[]>;
  /** false: read the admin-state file but never write it (a worker other than the first). */
  saveAdmin?: boolean;
  /** false: no keepalives from this process (one worker probes for all). */
  probe?: boolean;
}

export class DispatcherRuntime {
  readonly ds: Dispatcher;
  readonly keepalive: KeepaliveSender;
  /** Selections, failovers, transitions, probe results and reloads (dispatcher.stats, metrics). */
  readonly counters = new DispatcherCounters();
  private readonly initialStateEvents: boolean;
  private readonly core: ProxyCore;
  private readonly log: Logger;
  private readonly admin: AdminStateFile | null;
  private readonly listSource: DispatcherRuntimeOptions['listSource'] | null;
  private readonly adminSource: (() => Promise<AdminStateEntry[]>) | null;
  private readonly drainSource: (() => Promise<DrainEntry[]>) | null;
  private timers: NodeJS.Timeout[] = [];
  private readonly probe: boolean;
  onEvent: (ev: DsEvent) => void;
  hashPvar: ((ctx: RequestContext) => string | null) | null;
  /** The script's format compiler (dispatcher.explain --pv re-expands hash_pvar with it). */
  compileFormat: ((fmt: string) => (ctx: RequestContext) => string | null) | null = null;

  constructor(o: DispatcherRuntimeOptions) {
    this.core = o.core;
    this.log = o.log;
    this.onEvent = o.onEvent ?? ((ev) => this.log.info(`${ev.name} ${ev.setId} ${ev.uri}`));
    this.hashPvar = o.hashPvar ?? null;
    this.initialStateEvents = o.initialStateEvents ?? false;
    this.admin = o.stateFile ? new AdminStateFile(o.stateFile, o.log) : null;
    this.listSource = o.listSource ?? null;
    this.adminSource = o.adminSource ?? null;
    this.drainSource = o.drainSource ?? null;
    this.probe = o.probe ?? true;
    const saveAdmin = o.saveAdmin ?? true;
    const sockets = o.core.transport.sockets;
    this.ds = new Dispatcher({
      params: o.params,
      resolver: dispatcherDns(
        () => sockets.map((s) => s.proto),
        () => o.params.ds_dns_ttl,
      ),
      sockets: {
        bySpec: (spec: SocketSpec) => findSocket(sockets, spec),
        byName: (name: string) => sockets.find((s) => s.name === name) ?? null,
      },
      tryIpv6: sockets.some((s) => s.family === 6),
      log: (level, msg) => o.log[level](`dispatcher: ${msg}`),
      onAdminStatesChanged: () => {
        if (saveAdmin) this.admin?.save(this.ds.exportAdminStates(), this.ds.lb.drains.export(true));
      },
    });
    this.keepalive = new KeepaliveSender(
      o.core.txns,
      this.ds,
      o.params.ds_ping_interval,
      (ev) => this.emit(ev),
      (t, target) => this.pingSocket(t, target),
    );
    this.keepalive.observer = this.counters;
  }

  /** A real transition: counted, then handed to the event_route runner. */
  private emit(ev: DsEvent): void {
    this.counters.onEvent(ev);
    this.onEvent(ev);
  }

  /** After every reload / add / remove, whoever ran it (RPC, SIGHUP, ds_reload()). */
  listChanged(kind: ListChangeKind, ok: boolean): void {
    this.counters.onListChange(kind, ok, this.ds.list);
    if (ok && kind === 'reload' && this.initialStateEvents) this.emitInitialStates();
  }

  /** ds_initial_state_events: the current state of every destination, not counted as transitions. */
  private emitInitialStates(): void {
    for (const ev of initialStateEvents(this.ds.list)) this.onEvent(ev);
  }

  async start(): Promise<LoadReport> {
    const report = await this.load();
    this.run();
    return report;
  }

  /**
   * The admin states and the list, nothing sent: the daemon loads before it binds its SIP
   * sockets (the warm-up runs on a copy of this list), then calls run().
   */
  async load(): Promise<LoadReport> {
    if (this.adminSource) this.ds.importAdminStates(await this.adminSource(), 'cluster');
    else if (this.admin) this.ds.importAdminStates(this.admin.load(), 'state file');
    if (this.drainSource) this.ds.lb.drains.replace(await this.drainSource());
    else if (this.admin) {
      const bad = this.ds.lb.drains.import(this.admin.loadDrains());
      if (bad.length) this.log.warn(`dispatcher: ${bad.length} saved drain(s) ignored (bad entries)`);
    }
    return this.ds.loadInitial(this.listSource ? await this.listSource.initial() : undefined);
  }

  /** Once the sockets are bound: initial state events, keepalives, the lb/call-load/DNS timers. */
  run(): void {
    if (this.initialStateEvents) this.emitInitialStates();
    if (this.probe) this.keepalive.start();
    const p = this.ds.params;
    this.core.branchTap = this;
    this.timers.push(setInterval(() => this.lbTick(), 1000));
    if (this.ds.callLoad) {
      this.timers.push(setInterval(() => this.ds.sweepCallLoad(), Math.max(1, p.ds_hash_check_interval) * 1000));
    }
    if (p.ds_dns_mode & 4) {
      this.timers.push(
        setInterval(
          () => {
            void this.ds.refreshDns();
          },
          Math.max(1, p.ds_dns_interval) * 1000,
        ),
      );
    }
  }

  stop(): void {
    this.keepalive.stop();
    this.core.branchTap = null;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  async reload(source?: ReloadSource): Promise<{ message: string; report: LoadReport }> {
    let r: { message: string; report: LoadReport };
    try {
      r = await this.ds.reload(source ?? (this.listSource ? await this.listSource.reload() : undefined));
    } catch (e) {
      this.listChanged('reload', false);
      throw e;
    }
    this.listChanged('reload', true);
    return r;
  }

  // ---- drain, ejection, slow start, explain (lb/) --------------------------------------

  /** A branch's final outcome (ProxyCore.branchTap): ejection, and the dialogs of algorithm 10. */
  branchFinal(b: import('../../proxy/core').BranchFinal): void {
    const fx = branchOutcome(this.ds, {
      method: b.method,
      callId: b.callId,
      status: b.status,
      peer: { ip: b.target.ip, port: b.target.port, proto: b.target.proto },
    });
    for (const e of fx.ejected) {
      this.log.warn(
        `dispatcher: ejected ${e.dest.uri} from set ${e.set.id} after ${e.failures} consecutive failures (ejection ${e.ejections})`,
      );
    }
    for (const c of fx.capped) {
      this.log.warn(
        `dispatcher: not ejecting ${c.dest.uri} from set ${c.set.id}: ${c.ejected} of ${c.set.dests.length} already out (ds_eject_max_percent)`,
      );
    }
    for (const ev of fx.events) this.emit(ev);
  }

  private lbTick(): void {
    const now = Date.now();
    this.ds.lb.dialogs.sweep(now);
    const probing = this.ds.params.ds_ping_interval > 0 && this.ds.pingEnabled;
    for (const ev of ejectTick(this.ds, probing, now)) {
      this.log.info(`dispatcher: ${ev.uri} in set ${ev.setId} back after its ejection time`);
      this.emit(ev);
    }
  }

  /** What the lb RPC methods need (lb/rpc.ts). */
  lbHost(reloadSource: () => Promise<ReloadSource | undefined>): LbRpcHost {
    return { ds: this.ds, explainView: (r) => this.explainView(r), reloadSource };
  }

  /** The request view of a synthetic request (dispatcher.explain); nothing is sent. */
  explainView(r: ExplainRequest): DsRequestView {
    const ruri = r.ruri ?? 'sip:explain@127.0.0.1';
    const lines = [
      `${r.method} ${ruri} SIP/2.0`,
      'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-dsd-explain',
      `From: <${r.from ?? 'sip:explain@127.0.0.1'}>;tag=explain`,
      `To: <${r.to ?? ruri}>`,
      ...(r.callid !== null ? [`Call-ID: ${r.callid}`] : []),
      `CSeq: 1 ${r.method}`,
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ];
    let msg;
    try {
      msg = parseMessage(Buffer.from(lines.join('\r\n')), { datagram: true });
      void msg.ruri;
    } catch (e) {
      throw DsRpcError.of('invalidParameters', `the synthetic request does not parse: ${(e as Error).message}`);
    }
    const local = this.core.transport.sockets[0];
    if (local === undefined) throw DsRpcError.of('invalidParameters', 'dsd listens on no socket to explain from');
    const ctx = new Ctx(msg, { proto: 'udp', ip: '127.0.0.1', port: 9, local });
    let pv: string | null = null;
    const fmt = this.ds.params.hash_pvar;
    if (fmt) {
      const f =
        r.pv !== null && this.compileFormat ? this.compileFormat(fmt.split(r.pv.name).join(r.pv.value)) : this.hashPvar;
      pv = f ? f(ctx) : null;
    }
    return requestView(ctx, pv);
  }

  // ---- script functions --------------------------------------------------------------

  private applyPush(ctx: RequestContext, push: PushAction | null): void {
    if (!push) return;
    if (push.mode === 'dst') ctx.du = push.uri;
    else if (push.newRuri !== null) ctx.ruri = push.newRuri;
    if (push.sock) ctx.forceSocket = push.sock as LocalSocket;
  }

  private applySelect(ctx: RequestContext, r: SelectResult): number {
    this.applyPush(ctx, r.push);
    const P = this.ds.params;
    if (r.records.length) setDstRecords(ctx, P.xavp_dst, prependRecords(dstRecords(ctx, P.xavp_dst), r.records));
    if (r.ctxCnt !== null) pushCtxCount(ctx, P.xavp_ctx, r.ctxCnt);
    if (r.branches) {
      for (const b of r.branches) ctx.extraBranches.push({ ruri: b.ruri, du: b.dstUri });
    }
    for (const m of r.messages) this.log.debug(`dispatcher: ${m}`);
    return r.code;
  }

  /** ds_select_dst / ds_select_domain / ds_select (mode 'dst' | 'domain' | 'xavp'). */
  select(ctx: RequestContext, set: number, alg: number, mode: SelectMode, limit?: number): number {
    const view = requestView(ctx, this.hashPvar ? this.hashPvar(ctx) : null);
    const r = this.ds.select(set, alg, view, { mode, limit });
    this.counters.onSelect(set, r);
    return this.applySelect(ctx, r);
  }

  selectRoutes(ctx: RequestContext, rules: string, mode: string, limit?: number): number {
    const view = requestView(ctx, this.hashPvar ? this.hashPvar(ctx) : null);
    const r = this.ds.selectRoutes(rules, mode, view, limit);
    this.counters.onSelect(null, r);
    return this.applySelect(ctx, r);
  }

  /** ds_next_dst / ds_next_domain (next) and ds_set_dst / ds_set_domain (!next). */
  next(ctx: RequestContext, mode: 'dst' | 'domain', next: boolean): number {
    const before = dstRecords(ctx, this.ds.params.xavp_dst);
    if (next) this.counters.onNext(before);
    const r = this.ds.nextDst(before, next, mode, { ruri: ctx.ruri, callId: ctx.msg.get('call-id') });
    setDstRecords(ctx, this.ds.params.xavp_dst, r.records);
    this.applyPush(ctx, r.push);
    for (const m of r.messages) this.log.debug(`dispatcher: ${m}`);
    return r.code;
  }

  private markContext(ctx: RequestContext): DsMarkContext {
    if (ctx.routeType === RouteType.FAILURE || ctx.routeType === RouteType.TM_ONREPLY) {
      if (ctx.reply) return { kind: 'reply', code: ctx.reply.status, reason: ctx.reply.reason };
      return { kind: 'faked' };
    }
    return { kind: 'request' };
  }

  /** ds_mark_dst([state]). */
  mark(ctx: RequestContext, state: string | null): number {
    const r = this.ds.markDst(dstRecords(ctx, this.ds.params.xavp_dst), state, this.markContext(ctx));
    if (r.event) this.emit(r.event);
    return r.code;
  }

  markAddr(ctx: RequestContext, state: string, set: number, uri: string): number {
    const r = this.ds.markAddr(set, uri, state, this.markContext(ctx));
    if (r.event) this.emit(r.event);
    return r.code;
  }

  isFromList(ctx: RequestContext, group = -1, mode = 2): { code: number; setId: number | null; attrs: string | null } {
    const m = this.ds.isFromList(sourceView(ctx), group, mode);
    return { code: m.code, setId: m.setId ?? null, attrs: m.attrs ?? null };
  }

  loadUpdate(ctx: RequestContext): number {
    const msg = ctx.reply ?? ctx.msg;
    return this.ds.loadUpdate({
      callId: msg.get('call-id') ?? '',
      isRequest: msg.isRequest,
      method: msg.method,
      status: msg.status,
      cseqMethod: msg.cseq?.method,
    });
  }

  loadUnset(ctx: RequestContext): number {
    return this.ds.loadUnset(dstRecords(ctx, this.ds.params.xavp_dst), {
      callId: ctx.msg.get('call-id') ?? '',
      isRequest: ctx.msg.isRequest,
      method: ctx.msg.method,
    });
  }

  // ---- sockets -----------------------------------------------------------------------

  private pingSocket(t: PingTarget, target: Target): LocalSocket | null {
    const sockets = this.core.transport.sockets;
    const family = target.ip.indexOf(':') >= 0 ? 6 : 4;
    const ps = t.socket;
    if (ps) {
      const s =
        ps.kind === 'name' ? (sockets.find((x) => x.name === ps.name) ?? null) : findSocketText(sockets, ps.spec);
      if (s && s.proto === target.proto && s.family === family) return s;
    }
    return this.core.transport.selectSocket(target.proto, family);
  }
}

function findSocket(sockets: readonly LocalSocket[], spec: SocketSpec): LocalSocket | null {
  const host = spec.host.startsWith('[') ? spec.host.slice(1, -1) : spec.host;
  for (const s of sockets) {
    if (spec.proto !== null && String(spec.proto) !== s.proto) continue;
    if (s.ip !== host && s.advHost !== spec.host) continue;
    if (spec.port !== 0 && spec.port !== s.port) continue;
    return s;
  }
  return null;
}

function findSocketText(sockets: readonly LocalSocket[], text: string): LocalSocket | null {
  const m = /^(?:(udp|tcp|tls|sctp):)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/i.exec(text.trim());
  if (!m) return null;
  return findSocket(sockets, {
    proto: (m[1]?.toLowerCase() ?? null) as SocketSpec['proto'],
    host: m[2]!,
    port: m[3] ? Number(m[3]) : 0,
    text,
  });
}
