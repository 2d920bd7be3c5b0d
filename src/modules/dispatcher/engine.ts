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
import { CallLoadTable, loadUnset, loadUpdate, sweepCallLoad } from './calload';
import { refreshDns, uriSource } from './dns-refresh';
import { DS_PROBING_DST, DS_TRYING_DST, isSkipped } from './flags';
import { PingTarget, collectPingTargets, pingResultState, resolvePingDest } from './keepalive';
import { estimatorAlpha, updateLatency } from './latency';
import { BuildContext, DsResolver } from './list-builder';
import { DsLogger, ListManager, LoadReport, ReloadSource } from './list-manager';
import { FromListMatch, DsgValues, dsCount, dsgFetch, isActive, isFromList, listExists } from './match';
import { DsList, DsSet, Destination, findSet, sameUriCi } from './model';
import { NextDstResult, updateDst } from './next-dst';
import { ocSetAttrs } from './oc';
import { DsParams, defaultParams, finalizeParams } from './params';
import { PingReplyCodes, parsePingReplyCodes } from './pingcodes';
import { DsLoadMessage, DsMarkContext, DsRequestView, DsSource } from './request';
import { DsRng, DsClock, defaultRng, systemClock, clockSec } from './rng';
import { selectDestination, selectRoutes } from './select';
import type { SelectContext, SelectMode, SelectResult } from './select-types';
import { DsSocketLookup, acceptAllSockets, defaultSocket } from './socket-spec';
import { DsEvent, DsEventContext, StateRules, StateSource, applyStateUpdate } from './state';
import { setStateRpc } from './state-rpc';
import { markEventContext, markStateBits } from './mark';
import { initRelativeWeights } from './weights';
import { DstRecord } from './xavp-records';
import { LbPolicy } from './lb/policy';
import type { DryRunResult, RunningDest } from './lb/dry-run';
import { RngTape } from './lb/rng-tape';

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
  private readonly rng: DsRng;
  private readonly clock: DsClock;
  private readonly rules: StateRules;
  private readonly log: DsLogger;
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
    this.rngTape = new RngTape(opts.rng ?? defaultRng());
    this.rng = this.rngTape.rng;
    this.clock = opts.clock ?? systemClock;
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
    const sockets = opts.sockets ?? acceptAllSockets;
    const ctx: BuildContext = {
      params: p,
      resolver: this.resolver,
      sockets,
      defaultSock: defaultSocket(p, sockets),
      rng: this.rng,
      tryIpv6: opts.tryIpv6 ?? true,
    };
    this.lists = new ListManager(p, ctx, this.rng, this.clock, this.log, opts.onAdminStatesChanged);
    this.lb = new LbPolicy(p, this.rng, () => this.now(), opts.onAdminStatesChanged);
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

  /** A copy of `other`'s current list, sharing no state with it (see ListManager.adoptCopy). */
  adoptCopyOf(other: Dispatcher): void {
    if (other.list) this.lists.adoptCopy(other.list);
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
    this.lb.added(this.lists.list, group, address);
    return r;
  }

  /** dispatcher.remove (removing nothing is an error, unlike Kamailio). */
  async remove(group: number, address: string): Promise<string> {
    const r = await this.lists.remove(group, address);
    this.lb.removed(group, address);
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

  /** ds_mark_dst([state]) on the head `_dsdst_` record. */
  markDst(records: readonly DstRecord[], state: string | null, m: DsMarkContext): MarkResult {
    const first = records[0];
    if ((this.params.flags & 2) === 0 || this.params.xavp_dst.length === 0 || first === undefined) {
      return { code: -1, event: null };
    }
    return this.markAddr(first.grp, first.uri, state, m);
  }

  /** ds_mark_addr(state, setid, uri) (6.1+): the same for an explicit destination. */
  markAddr(setId: number, uri: string, state: string | null, m: DsMarkContext): MarkResult {
    const bits = markStateBits(state, this.params);
    const set = findSet(this.lists.list, setId);
    const d = set?.dests.find((x) => sameUriCi(x.uri, uri)) ?? null;
    if (bits === null || set === null || d === null) return { code: -1, event: null };
    return { code: 1, event: this.update(set, d, bits, 'script', markEventContext(m)) };
  }

  /** dispatcher.set_state / set_duid_state. No thresholds, no events. */
  setStateRpc(stateArg: string, group: number, target: string, byDuid: boolean): string {
    const host = {
      list: this.lists.list,
      admin: this.admin,
      rng: this.rng,
      nowMs: this.now(),
      transition: (d: Destination, was: boolean, now: boolean) => this.lb.transition(d, was, now),
    };
    return setStateRpc(host, stateArg, group, target, byDuid);
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
    return loadUpdate(this.callLoad, this.lists.list, m);
  }

  /** ds_load_unset(): release the call now (see calload.ts). 1, or −1 when there was no load to release. */
  loadUnset(records: readonly DstRecord[], m: { callId: string; isRequest: boolean; method?: string }): 1 | -1 {
    return loadUnset(this.callLoad, this.lists.list, this.params.xavp_dst, records, m);
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

  /** ds_is_from_list(group, mode, uri): the URI resolved (dns-refresh.ts), then matched like a source. */
  async isFromListUri(uri: string, group: number, mode: number): Promise<FromListMatch> {
    const src = await uriSource(uri, this.resolver);
    if (src === null) return { code: -1, dest: null, setId: null, attrs: null };
    if (this.params.ds_dns_mode & 2) await this.refreshDns(group === -1 ? null : group);
    return isFromList(this.lists.list, src, group, mode);
  }

  /** DNS refresh (ds_dns_mode & 4 timer, every ds_dns_interval s); failures keep the old address. */
  refreshDns(group: number | null = null): Promise<void> {
    const srv = (this.params.ds_dns_mode & 8) !== 0;
    return refreshDns(this.lists.list, this.resolver, group, () => this.now(), this.log, srv);
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
