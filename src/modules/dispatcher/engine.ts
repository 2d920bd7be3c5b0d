/**
 * The dispatcher engine: the current list and the module parameters, and every operation
 * the proxy, the cfg functions, the keepalive timer and the RPC need. No sockets: DNS,
 * local sockets, randomness and time are injected.
 *
 * Reload, add and remove build a complete new list and swap it in at once; requests keep
 * the records they already have. Those three are serialized and share Kamailio's
 * reload_delta guard. Admin states set over RPC survive reloads (see admin-state.ts).
 */

import { AdminStateEntry } from './admin-state';
import { CallLoadTable, loadRemove, sweepCallLoad, DS_LOAD_CONFIRMED } from './calload';
import { parseDestinationUri } from './destination-uri';
import { DsRpcError, ParamError } from './errors';
import { DS_PROBING_DST, DS_TRYING_DST, parseMarkState, parseRpcState } from './flags';
import { normalizeIp, unbracket } from './ip';
import { PingTarget, collectPingTargets, pingResultState, resolvePingDest } from './keepalive';
import { estimatorAlpha, updateLatency } from './latency';
import { BuildContext, DsResolver } from './list-builder';
import { DsLogger, ListManager, LoadReport, ReloadSource } from './list-manager';
import { FromListMatch, DsgValues, dsCount, dsgFetch, isActive, isFromList, listExists } from './match';
import { DsList, DsSet, Destination, DsSocketRef, findSet, sameUriCi } from './model';
import { NextDstResult, updateDst } from './next-dst';
import { ocSetAttrs } from './oc';
import { DsParams, defaultParams, finalizeParams } from './params';
import { PingReplyCodes, parsePingReplyCodes } from './pingcodes';
import { DsLoadMessage, DsMarkContext, DsRequestView, DsSource } from './request';
import { DsRng, DsClock, defaultRng, systemClock, clockSec } from './rng';
import { SelectContext, SelectMode, SelectResult, selectDestination, selectRoutes } from './select';
import { DsSocketLookup, acceptAllSockets, parseSocketSpec } from './socket-spec';
import { DsEvent, DsEventContext, StateRules, StateSource, applyStateUpdate, overwriteState } from './state';
import { initRelativeWeights } from './weights';
import { DstRecord } from './xavp-records';
import { LbPolicy } from './lb/policy';
import type { DryRunResult, RunningDest } from './lb/dry-run';
import { RngTape } from './lb/rng-tape';
import { isSkipped } from './flags';

export type { DsLogger, LoadReport, ReloadSource } from './list-manager';

export interface DispatcherOptions {
  /** Module parameters (set them with setParam() first); finalized here. */
  readonly params?: DsParams;
  readonly resolver?: DsResolver | null;
  /** Local socket lookups (socket/sockname attrs, ds_default_socket). Default: accept all. */
  readonly sockets?: DsSocketLookup;
  readonly rng?: DsRng;
  readonly clock?: DsClock;
  /** Core dns_try_ipv6 (default true; Kamailio turns it off without IPv6 listeners). */
  readonly tryIpv6?: boolean;
  /** Kamailio 6.1 script-mark semantics (default false = 5.6.3). */
  readonly scriptBypassesThresholds?: boolean;
  readonly log?: DsLogger;
  /** Called whenever the remembered admin states (or persisted drains) change: persist them. */
  readonly onAdminStatesChanged?: () => void;
}

export interface MarkResult {
  readonly code: 1 | -1;
  readonly event: DsEvent | null;
}

export class Dispatcher {
  readonly params: DsParams;
  readonly warnings: readonly string[];
  private readonly resolver: DsResolver | null;
  private readonly sockets: DsSocketLookup;
  private readonly rng: DsRng;
  private readonly clock: DsClock;
  private readonly tryIpv6: boolean;
  private readonly rules: StateRules;
  private readonly log: DsLogger;
  private readonly defaultSock: DsSocketRef | null;
  private replyCodes: PingReplyCodes;
  private pingActive = 1;
  private readonly lists: ListManager;
  readonly callLoad: CallLoadTable | null;
  /** Drain, ejection, slow start, dialog counts (dsd extensions; lb/). */
  readonly lb: LbPolicy;
  /** Lets dispatcher.explain put back the random numbers it drew. */
  readonly rngTape: RngTape;
  /** Called after every threshold-rule update (keepalive result, ds_mark_*): the workers' replica. */
  onStateUpdate: ((set: DsSet, d: Destination) => void) | null = null;

  constructor(opts: DispatcherOptions = {}) {
    this.params = opts.params ?? defaultParams();
    this.warnings = finalizeParams(this.params);
    this.resolver = opts.resolver ?? null;
    this.sockets = opts.sockets ?? acceptAllSockets;
    this.rngTape = new RngTape(opts.rng ?? defaultRng());
    this.rng = this.rngTape.rng;
    this.clock = opts.clock ?? systemClock;
    this.tryIpv6 = opts.tryIpv6 ?? true;
    this.log = opts.log ?? (() => undefined);
    const p = this.params;
    this.rules = {
      probingThreshold: p.ds_probing_threshold,
      inactiveThreshold: p.ds_inactive_threshold,
      eventMode: p.event_callback_mode,
      scriptBypassesThresholds: opts.scriptBypassesThresholds ?? false,
    };
    this.replyCodes = parsePingReplyCodes(p.ds_ping_reply_codes)!;
    this.callLoad = p.ds_hash_size > 0 ? new CallLoadTable(p.ds_hash_expire, p.ds_hash_initexpire) : null;
    this.defaultSock = this.lookupDefaultSocket();
    const ctx: BuildContext = {
      params: p,
      resolver: this.resolver,
      sockets: this.sockets,
      defaultSock: this.defaultSock,
      rng: this.rng,
      tryIpv6: this.tryIpv6,
    };
    this.lists = new ListManager(p, ctx, this.rng, this.clock, this.log, opts.onAdminStatesChanged);
    this.lb = new LbPolicy(
      p,
      this.rng,
      () => this.now(),
      (persisted) => {
        if (persisted) opts.onAdminStatesChanged?.();
      },
    );
  }

  private lookupDefaultSocket(): DsSocketRef | null {
    const p = this.params;
    if (p.ds_default_sockname) {
      const s = this.sockets.byName(p.ds_default_sockname);
      if (s === null) throw new ParamError('ds_default_sockname', `non-local socket name <${p.ds_default_sockname}>`);
      return s;
    }
    if (p.ds_default_socket) {
      const spec = parseSocketSpec(p.ds_default_socket);
      const s = spec === null ? null : this.sockets.bySpec(spec);
      if (s === null) throw new ParamError('ds_default_socket', `non-local socket <${p.ds_default_socket}>`);
      return s;
    }
    return null;
  }

  /** The current list (null before the first load). Treat its shape as immutable. */
  get list(): DsList | null {
    return this.lists.list;
  }

  /** Admin states remembered across reloads (dispatcher.set_state). */
  get admin(): ListManager['admin'] {
    return this.lists.admin;
  }

  private now(): number {
    return this.clock();
  }

  // ---- loading (list-manager.ts) ---------------------------------------------------------

  /** Initial load at start-up (no reload_delta guard). Throws ListFileError / ListLoadError. */
  loadInitial(source?: ReloadSource): Promise<LoadReport> {
    return this.lists.loadInitial(source);
  }

  /** reload_delta guard shared by reload/add/remove/ds_reload(); throws "Ongoing reload". */
  stampReloadGuard(): void {
    this.lists.stampReloadGuard();
  }

  /** dispatcher.reload / ds_reload(). Faults: "Ongoing reload", "Reload Failed". */
  reload(source?: ReloadSource): Promise<{ message: string; report: LoadReport }> {
    return this.lists.reload(source);
  }

  /** dispatcher.reload --dry-run: the diff a reload of `source` would make; changes nothing. */
  reloadDryRun(source?: ReloadSource, running: readonly RunningDest[] | null = null): Promise<DryRunResult> {
    return this.lists.dryRun(source, this.lb.drains.export(), running);
  }

  /** dispatcher.add (a destination that cannot be added is an error, unlike Kamailio). */
  async add(group: number, address: string, flags = 0, priority = 0, attrs: string | null = null): Promise<string> {
    const r = await this.lists.add(group, address, flags, priority, attrs);
    const set = findSet(this.lists.list, group);
    const info = parseDestinationUri(address);
    const d = set === null || 'error' in info ? undefined : set.dests.find((x) => sameUriCi(x.uri, info.uri));
    if (d !== undefined && !isSkipped(d.flags)) this.lb.slowStart.begin(d, this.now());
    return r;
  }

  /** dispatcher.remove (removing nothing is an error, unlike Kamailio). */
  async remove(group: number, address: string): Promise<string> {
    const r = await this.lists.remove(group, address);
    const info = parseDestinationUri(address);
    if (!('error' in info)) this.lb.drains.forget(group, info.uri);
    return r;
  }

  // ---- selection -----------------------------------------------------------------------

  private selectCtx(): SelectContext {
    return {
      list: this.lists.list,
      params: this.params,
      rng: this.rng,
      nowMs: this.now(),
      callLoad: this.callLoad,
      gate: this.lb.gate,
    };
  }

  /** The selection context as select() uses it (dispatcher.explain). */
  selectionContext(): SelectContext {
    return this.selectCtx();
  }

  /** ds_select / ds_select_dst / ds_select_domain. */
  select(setId: number, alg: number, req: DsRequestView, opts: { mode: SelectMode; limit?: number }): SelectResult {
    return selectDestination(this.selectCtx(), setId, alg, req, opts);
  }

  /** ds_select_routes(rules, mode[, limit]). */
  selectRoutes(rules: string, mode: string, req: DsRequestView, limit?: number): SelectResult {
    return selectRoutes(this.selectCtx(), rules, mode, req, limit);
  }

  /** ds_next_dst / ds_next_domain (next=true), ds_set_dst / ds_set_domain (next=false). */
  nextDst(
    records: readonly DstRecord[],
    next: boolean,
    mode: 'dst' | 'domain',
    req: { ruri: string; callId: string | null },
  ): NextDstResult {
    return updateDst(
      { list: this.lists.list, params: this.params, callLoad: this.callLoad, nowMs: this.now() },
      records,
      next,
      mode,
      req,
    );
  }

  // ---- state ---------------------------------------------------------------------------

  private update(set: DsSet, d: Destination, state: number, source: StateSource, ctx: DsEventContext): DsEvent | null {
    const ch = applyStateUpdate(set, d, state, source, ctx, this.rules, this.rng);
    if (ch.oldFlags !== ch.newFlags) {
      this.admin.supersede(d);
      this.lb.transition(d, isSkipped(ch.oldFlags), isSkipped(ch.newFlags));
    }
    this.onStateUpdate?.(set, d);
    return ch.event;
  }

  /** A health change decided outside keepalives and script marks (passive ejection). */
  applyHealth(set: DsSet, d: Destination, state: number, source: StateSource, ctx: DsEventContext): DsEvent | null {
    return this.update(set, d, state, source, ctx);
  }

  private markContext(m: DsMarkContext): DsEventContext {
    switch (m.kind) {
      case 'reply':
        return { code: m.code ?? 0, reason: m.reason ?? null, flags: 1 };
      case 'faked':
        return { code: 810, reason: null, flags: 0 };
      case 'request':
        return { code: 820, reason: null, flags: 0 };
      default:
        return { code: 800, reason: null, flags: 0 };
    }
  }

  /** The state of a script mark with no argument: i, plus p with ds_probing_mode 1. */
  private defaultMarkState(): number {
    return 1 | (this.params.ds_probing_mode === 1 ? DS_PROBING_DST : 0);
  }

  /** ds_mark_dst([state]) on the head `_dsdst_` record. */
  markDst(records: readonly DstRecord[], state: string | null, m: DsMarkContext): MarkResult {
    if ((this.params.flags & 2) === 0 || this.params.xavp_dst.length === 0 || records.length === 0) {
      return { code: -1, event: null };
    }
    return this.markAddr(records[0].grp, records[0].uri, state, m);
  }

  /** ds_mark_addr(state, setid, uri) (6.1+): the same for an explicit destination. */
  markAddr(setId: number, uri: string, state: string | null, m: DsMarkContext): MarkResult {
    const bits = state === null || state.length === 0 ? this.defaultMarkState() : parseMarkState(state);
    if (bits === null) return { code: -1, event: null };
    const set = findSet(this.lists.list, setId);
    const d = set?.dests.find((x) => sameUriCi(x.uri, uri)) ?? null;
    if (set === null || d === null) return { code: -1, event: null };
    return { code: 1, event: this.update(set, d, bits, 'script', this.markContext(m)) };
  }

  /** dispatcher.set_state / set_duid_state. No thresholds, no events. */
  setStateRpc(stateArg: string, group: number, target: string, byDuid: boolean): string {
    const st = parseRpcState(stateArg);
    if (!st.ok) throw new DsRpcError(500, st.message);
    const set = findSet(this.lists.list, group);
    if (set === null) throw DsRpcError.of('stateUpdateFailed', `destination set ${group} not found`);
    const at = this.now();
    const overwrite = (d: Destination): void => {
      const was = isSkipped(d.flags);
      overwriteState(set, d, st.state, this.rng);
      this.lb.transition(d, was, isSkipped(d.flags));
    };
    if (target === 'all') {
      for (const d of set.dests) {
        overwrite(d);
        this.admin.setByUri(group, d.uri, st.state, at);
      }
      return 'Ok. Dispatcher state updated.';
    }
    const l = target.toLowerCase();
    const d = byDuid
      ? set.dests.find(
          (x) => x.attrs.duid !== null && x.attrs.duid.length === target.length && x.attrs.duid.toLowerCase() === l,
        )
      : set.dests.find((x) => sameUriCi(x.uri, target));
    if (d === undefined) {
      throw DsRpcError.of(
        'stateUpdateFailed',
        `${byDuid ? 'duid' : 'destination'} ${target} not found in set ${group}`,
      );
    }
    overwrite(d);
    if (byDuid) this.admin.setByDuid(group, target, st.state, at);
    else this.admin.setByUri(group, d.uri, st.state, at);
    return 'Ok. Dispatcher state updated.';
  }

  /** dispatcher.ping_active [state]. */
  pingActiveRpc(state: number | null): { old: number; now: number | null } {
    const old = this.pingActive;
    if (state !== null) this.pingActive = state;
    return { old, now: state };
  }

  get pingEnabled(): boolean {
    return this.pingActive !== 0;
  }

  /** Runtime change of ds_ping_reply_codes (cfg framework). False if it does not parse. */
  setPingReplyCodes(s: string | null): boolean {
    const r = parsePingReplyCodes(s);
    if (r === null) return false;
    this.replyCodes = r;
    this.params.ds_ping_reply_codes = s;
    return true;
  }

  // ---- keepalive -----------------------------------------------------------------------

  /** The keepalives of one ds_ping_interval tick (none while ping_active is 0). */
  pingTargets(): PingTarget[] {
    if (this.pingActive === 0) return [];
    return collectPingTargets(this.lists.list, this.params);
  }

  /** Call right before sending a keepalive: stamps the latency start time. */
  pingSent(t: PingTarget): void {
    t.dest.latency.start = this.now();
  }

  /**
   * A keepalive's final result: `code` is the reply status, 408 for a local timeout.
   * `realReply` is false for locally generated replies. Returns the event to run, if any.
   */
  pingResult(t: PingTarget, code: number, reason: string | null, realReply: boolean): DsEvent | null {
    const list = this.lists.list;
    const set = findSet(list, t.setId);
    if (set !== null && this.params.ds_ping_latency_stats) {
      const sample = (uri: string, ms: number): void => this.log('debug', `keepalive latency sample ${uri} ${ms} ms`);
      if (updateLatency(set, t.uri, code, this.now(), estimatorAlpha(this.params.ds_latency_estimator_alpha), sample)) {
        initRelativeWeights(set, this.rng);
      }
    }
    const hit = resolvePingDest(list, t.setId, t.uri, t.dest);
    if (hit === null) return null;
    const state = pingResultState(hit.dest, code, this.params, this.replyCodes);
    if (state === null) return null;
    return this.update(hit.set, hit.dest, state, 'keepalive', { code, reason, flags: realReply ? 1 : 0 });
  }

  /** The keepalive could not be sent: counts as a failure with code 500. */
  pingSendFailed(t: PingTarget): DsEvent | null {
    const hit = resolvePingDest(this.lists.list, t.setId, t.uri, t.dest);
    if (hit === null || hit.dest.flags & 4) return null;
    const state = DS_TRYING_DST | (this.params.ds_probing_mode !== 0 ? DS_PROBING_DST : 0);
    return this.update(hit.set, hit.dest, state, 'keepalive', {
      code: 500,
      reason: 'Sending keepalive failed',
      flags: 0,
    });
  }

  // ---- call load -----------------------------------------------------------------------

  /** ds_load_update(): BYE/CANCEL release the call; a 2xx to INVITE confirms it. Returns 1. */
  loadUpdate(m: DsLoadMessage): 1 {
    if (this.callLoad === null) return 1;
    if (m.isRequest) {
      const meth = (m.method ?? '').toUpperCase();
      if (meth === 'BYE' || meth === 'CANCEL') loadRemove(this.callLoad, this.lists.list, m.callId);
      return 1;
    }
    if ((m.cseqMethod ?? '').toUpperCase() === 'INVITE' && Math.trunc((m.status ?? 0) / 100) === 2) {
      const c = this.callLoad.get(m.callId);
      if (c !== null) c.state = DS_LOAD_CONFIRMED;
    }
    return 1;
  }

  /**
   * ds_load_unset(): release the call now. For an INVITE request only when the head
   * `_dsdst_` record carries a dstid. 1, or −1 when there was no load to release.
   */
  loadUnset(records: readonly DstRecord[], m: { callId: string; isRequest: boolean; method?: string }): 1 | -1 {
    if (this.params.xavp_dst.length === 0) return 1;
    if (
      m.isRequest &&
      (m.method ?? '').toUpperCase() === 'INVITE' &&
      (records.length === 0 || records[0].dstid === undefined)
    )
      return 1;
    if (this.callLoad === null) return -1;
    return loadRemove(this.callLoad, this.lists.list, m.callId) ? 1 : -1;
  }

  /** The ds_hash_check_interval timer: expire call-load entries. */
  sweepCallLoad(): number {
    return this.callLoad === null ? 0 : sweepCallLoad(this.callLoad, this.lists.list, clockSec(this.now()));
  }

  // ---- queries -------------------------------------------------------------------------

  /** ds_is_from_list([group[, mode]]) on the message source, with the stored addresses. */
  isFromList(src: DsSource, group = -1, mode = 2): FromListMatch {
    return isFromList(this.lists.list, src, group, mode);
  }

  /** Same, re-resolving the destinations first when ds_dns_mode & 2 (Kamailio's "always"). */
  async isFromListAsync(src: DsSource, group = -1, mode = 2): Promise<FromListMatch> {
    if (this.params.ds_dns_mode & 2) await this.refreshDns(group === -1 ? null : group);
    return isFromList(this.lists.list, src, group, mode);
  }

  /**
   * ds_is_from_list(group, mode, uri): resolves the URI (5.6: port from the URI, 0 if
   * none; proto from its transport parameter) and matches it. With ds_dns_mode & 2 the
   * destinations are re-resolved first, as Kamailio does on every call.
   */
  async isFromListUri(uri: string, group: number, mode: number): Promise<FromListMatch> {
    const info = parseDestinationUri(uri);
    const none: FromListMatch = { code: -1, dest: null, setId: null, attrs: null };
    if ('error' in info || info.fixed) return none;
    let ip = normalizeIp(info.host);
    if (ip === null && this.resolver !== null) {
      const a = await this.resolver.resolveHost(unbracket(info.host)).catch(() => null);
      ip = a === null ? null : normalizeIp(a);
    }
    if (ip === null) return none;
    if (this.params.ds_dns_mode & 2) await this.refreshDns(group === -1 ? null : group);
    return isFromList(this.lists.list, { ip, port: info.port, proto: info.proto }, group, mode);
  }

  /** DNS refresh (ds_dns_mode & 4 timer, every ds_dns_interval s); failures keep the old address. */
  async refreshDns(group: number | null = null): Promise<void> {
    const list = this.lists.list;
    if (list === null || this.resolver === null) return;
    const jobs: Promise<void>[] = [];
    for (const set of list.sets) {
      if (group !== null && set.id !== group) continue;
      for (const d of set.dests) {
        if (d.flags & 16 || d.host.length === 0 || normalizeIp(d.host) !== null) continue;
        // as Kamailio's ds_dns_update_set: SRV/NAPTR with ds_dns_mode & 8 (port and proto
        // follow the answer), A/AAAA otherwise
        const r = this.resolver;
        const sip = (this.params.ds_dns_mode & 8) !== 0 && r.resolveSip ? r.resolveSip.bind(r) : null;
        const lookup = sip
          ? sip(d.host, d.port, d.proto)
          : r.resolveHost(unbracket(d.host)).then((a) => (a === null ? null : { address: a, port: 0, proto: 0 }));
        jobs.push(
          lookup
            .catch(() => null)
            .then((a) => {
              const ip = a === null ? null : normalizeIp(a.address);
              if (a === null || ip === null) {
                this.log('warn', `could not resolve ${d.host}`);
                return;
              }
              d.ipAddress = ip;
              if (a.port !== 0) d.port = a.port;
              if (a.proto !== 0) d.proto = a.proto;
              d.dnsTimeMs = this.now();
            }),
        );
      }
    }
    await Promise.all(jobs);
  }

  isActive(group: number, uri: string | null = null): 1 | -1 {
    return isActive(this.lists.list, group, uri);
  }

  listExists(group: number): 1 | -1 {
    return listExists(this.lists.list, group);
  }

  dsgFetch(group: number, uri: string | null = null): DsgValues | null {
    return dsgFetch(this.lists.list, group, uri);
  }

  count(group: number, filter: string): number {
    return dsCount(this.lists.list, group, filter);
  }

  ocSetAttrs(group: number, uri: string, rate: number, tvalMs: number, seq: number): 1 | -1 | -2 {
    return ocSetAttrs(this.lists.list, group, uri, rate, tvalMs, seq, this.now(), this.rng);
  }

  // ---- admin-state persistence ---------------------------------------------------------

  exportAdminStates(): AdminStateEntry[] {
    return this.lists.exportAdminStates();
  }

  /** Replaces the remembered admin states and applies them to the current list. */
  importAdminStates(
    entries: readonly AdminStateEntry[],
    origin?: string,
  ): { rejected: AdminStateEntry[]; unmatched: AdminStateEntry[] } {
    return this.lists.importAdminStates(entries, origin);
  }

  /** dispatcher.clear_overrides: forget admin states (the destinations keep their current state). */
  clearAdminStates(setId?: number, target?: string): AdminStateEntry[] {
    return this.lists.admin.drop(setId, target);
  }
}
