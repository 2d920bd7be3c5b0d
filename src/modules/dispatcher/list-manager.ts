/**
 * The list holder: the current DsList, its atomic replacement on reload / add / remove
 * (serialized, reload_delta-guarded) and the admin-state overlay re-applied to every new
 * list. Requests keep the records they already have; nothing here blocks a selection.
 */

import { promises as fs } from 'node:fs';
import { AdminStateEntry, AdminStateOverlay } from './admin-state';
import { copyAttrs, parseAttrs } from './attrs';
import { parseDestinationUri } from './destination-uri';
import { DsRpcError, ListFileError, ListLoadError } from './errors';
import { DsRecordInput, parseListFile } from './list-file';
import { BuildContext, DestSeed, assembleList, buildList, makeSeed, packDest } from './list-builder';
import { DsList, Destination, findSet, newLatencyStats } from './model';
import { DsParams } from './params';
import { DsClock, DsRng, clockSec } from './rng';
import { overwriteState } from './state';
import { copyOcData } from './oc';
import { DryRunResult, RunningDest, dryRunReload, runningOf } from './lb/dry-run';
import type { DrainEntry } from './lb/drain';

export type DsLogger = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;

export interface LoadReport {
  readonly sets: number;
  readonly destinations: number;
  readonly warnings: readonly string[];
  /** Admin states that matched nothing in the new list. */
  readonly unmatchedAdminStates: readonly AdminStateEntry[];
}

/** Where a reload reads from: file text, DB rows, or (default) params.list_file on disk. */
export type ReloadSource =
  | { readonly text: string; readonly fileName: string }
  | {
      readonly records: readonly DsRecordInput[];
      /** What the source already found wrong (database rows): shown by a dry run, logged otherwise. */
      readonly warnings?: readonly string[];
      readonly errors?: readonly string[];
    };

export class ListManager {
  private current: DsList | null = null;
  private generation = 0;
  private reloadTimeSec = 0;
  private chain: Promise<unknown> = Promise.resolve();
  readonly admin: AdminStateOverlay;

  constructor(
    private readonly params: DsParams,
    private readonly ctx: BuildContext,
    private readonly rng: DsRng,
    private readonly clock: DsClock,
    private readonly log: DsLogger,
    onAdminChange: () => void = () => undefined,
  ) {
    this.admin = new AdminStateOverlay(onAdminChange);
  }

  /** The current list (null before the first load). Treat its shape as immutable. */
  get list(): DsList | null {
    return this.current;
  }

  private now(): number {
    return this.clock();
  }

  private buildCtx(): BuildContext {
    return this.ctx;
  }

  /** Runs list rebuilds one at a time. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private swap(list: DsList): AdminStateEntry[] {
    const unmatched = this.admin.applyTo(list, (set, d, bits) => overwriteState(set, d, bits, this.rng));
    this.current = list;
    return this.dropUnmatched(list, unmatched);
  }

  /**
   * Admin states for destinations the list no longer has are dropped (with a log line), so
   * a URI added again later starts from its own flags, not from a forgotten override. An
   * empty list (a database down at start with ds_db_start_empty) drops nothing.
   */
  private dropUnmatched(list: DsList, unmatched: AdminStateEntry[]): AdminStateEntry[] {
    if (list.sets.length === 0) return unmatched;
    for (const e of unmatched) {
      this.admin.drop(e.setId, e.uri ?? e.duid);
      this.log(
        'warn',
        `admin state for set ${e.setId} ${e.uri ?? `duid ${e.duid}`} (${e.state}) dropped: no such destination in the list`,
      );
    }
    return unmatched;
  }

  /**
   * A reload to nothing is refused (the running set stays): a list that parses to no
   * destination, or whose every line is bad, is far more often a truncated or broken file
   * than a wish to route nowhere. ds_load_mode=1 refuses any bad line already (Kamailio's
   * meaning); modparam ds_reload_allow_empty 1 lets an empty list through on purpose.
   */
  private refuseEmpty(records: readonly DsRecordInput[], built: DsList, where: string, bad: number): void {
    if (this.params.ds_reload_allow_empty !== 0 || built.sets.length > 0) return;
    if (records.length === 0 && bad === 0) {
      throw new ListLoadError(
        `${where} has no destinations; reload refused, the running set stays (ds_reload_allow_empty 1 allows it)`,
        [],
      );
    }
    throw new ListLoadError(
      `every line of ${where} is bad (${Math.max(bad, records.length)} skipped); reload refused, the running set stays`,
      [],
    );
  }

  private async load(source: ReloadSource, reloading = false): Promise<LoadReport> {
    let records: readonly DsRecordInput[];
    const warnings: string[] = [];
    if ('text' in source) {
      const parsed = parseListFile(source.text, source.fileName);
      for (const w of parsed.warnings) warnings.push(`${w.file}:${w.line}:${w.col}: ${w.message}`);
      records = parsed.records;
    } else {
      records = source.records;
    }
    const built = await buildList(records, this.buildCtx(), ++this.generation, this.current);
    warnings.push(...built.warnings);
    for (const w of warnings) this.log('warn', w);
    if (reloading)
      this.refuseEmpty(
        records,
        built.list,
        'text' in source ? source.fileName : 'the dispatcher table',
        warnings.length,
      );
    const unmatched = this.swap(built.list);
    let n = 0;
    for (const s of built.list.sets) n += s.dests.length;
    return { sets: built.list.sets.length, destinations: n, warnings, unmatchedAdminStates: unmatched };
  }

  private async readDefault(): Promise<ReloadSource> {
    const file = this.params.list_file;
    const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new ListFileError(file, 0, 0, `can't open list file: ${e.code ?? e.message}`);
    });
    return { text, fileName: file };
  }

  /** Initial load at start-up (no reload_delta guard). Throws ListFileError / ListLoadError. */
  loadInitial(source?: ReloadSource): Promise<LoadReport> {
    return this.serialize(async () => this.load(source ?? (await this.readDefault())));
  }

  /**
   * reload_delta guard shared by reload/add/remove (and ds_reload()): throws "Ongoing
   * reload" (with the seconds to wait) when the previous one is too recent, else stamps
   * now. Kamailio stamps even when the operation then fails.
   */
  stampReloadGuard(): void {
    const nowSec = clockSec(this.now());
    const delta = this.params.reload_delta;
    if (this.reloadTimeSec !== 0 && this.reloadTimeSec > nowSec - delta) {
      const wait = this.reloadTimeSec + delta - nowSec;
      throw DsRpcError.of(
        'ongoingReload',
        `the last reload/add/remove was ${nowSec - this.reloadTimeSec}s ago and reload_delta is ${delta}s; retry in ${wait}s`,
        wait,
      );
    }
    this.reloadTimeSec = nowSec;
  }

  /** dispatcher.reload / ds_reload(). Faults: "Ongoing reload", "Reload Failed". */
  async reload(source?: ReloadSource): Promise<{ message: string; report: LoadReport }> {
    this.stampReloadGuard();
    return this.serialize(async () => {
      try {
        const report = await this.load(source ?? (await this.readDefault()), true);
        return { message: 'Ok. Dispatcher successfully reloaded.', report };
      } catch (e) {
        if (e instanceof ListFileError || e instanceof ListLoadError) throw DsRpcError.of('reloadFailed', e.message);
        throw e;
      }
    });
  }

  /** Rebuilds the current list keeping the entries `filter` accepts, plus `extra` (add/remove). */
  private rebuild(filter: (d: Destination) => boolean, extra: DestSeed | null): DsList {
    const keepLatency = this.params.ds_retain_latency_stats !== 0;
    const seeds: DestSeed[] = [];
    for (const set of this.current?.sets ?? []) {
      for (const d of set.dests) {
        if (!filter(d)) continue;
        // Re-insertion re-parses attrs (cc-modified rweight resets) and keeps flags, load,
        // the resolved address and socket (Kamailio re-resolves; a DNS blip would drop it).
        seeds.push(
          makeSeed({
            ...d,
            attrs: copyAttrs(d.attrs, reparsedRweight(d)),
            latency: keepLatency ? d.latency : newLatencyStats(d.attrs.latency),
          }),
        );
      }
    }
    if (extra !== null) seeds.push(extra);
    return assembleList(seeds, this.rng, ++this.generation);
  }

  /**
   * Takes a copy of another manager's list (the warm-up's dispatcher): the same
   * destinations, flags and resolved addresses, with cursors, loads and latency of its own,
   * so nothing done to this copy shows in the original. No DNS, no reload guard.
   */
  adoptCopy(list: DsList): void {
    const seeds: DestSeed[] = [];
    for (const set of list.sets) {
      for (const d of set.dests) {
        seeds.push(
          makeSeed({
            ...d,
            attrs: copyAttrs(d.attrs),
            dload: 0,
            latency: newLatencyStats(d.attrs.latency),
            oc: copyOcData(d.oc),
          }),
        );
      }
    }
    this.swap(assembleList(seeds, this.rng, ++this.generation));
  }

  /**
   * dispatcher.add. Unlike Kamailio (which answers Ok), a destination that cannot be
   * added is reported: "Adding dispatcher dst failed" with the reason.
   */
  async add(group: number, address: string, flags = 0, priority = 0, attrs: string | null = null): Promise<string> {
    this.stampReloadGuard();
    return this.serialize(async () => {
      let seed: DestSeed;
      try {
        seed = await packDest(
          { setId: group, uri: address, flags, priority, attrs, origin: 'dispatcher.add' },
          this.buildCtx(),
        );
      } catch (e) {
        throw DsRpcError.of('addFailed', (e as Error).message);
      }
      this.swap(this.rebuild(() => true, seed));
      return 'Ok. Dispatcher destination added.';
    });
  }

  /**
   * dispatcher.remove: every entry of `group` whose URI is exactly `address` (after the
   * `sip:` fix-up). Unlike Kamailio, removing nothing is an error.
   */
  async remove(group: number, address: string): Promise<string> {
    this.stampReloadGuard();
    return this.serialize(async () => {
      const info = parseDestinationUri(address);
      if ('error' in info) throw DsRpcError.of('removeFailed', info.error);
      const set = findSet(this.current, group);
      const hits = set === null ? 0 : set.dests.filter((d) => d.uri === info.uri).length;
      if (hits === 0) {
        throw DsRpcError.of(
          'removeFailed',
          set === null ? `destination set ${group} not found` : `no destination ${info.uri} in set ${group}`,
        );
      }
      this.swap(this.rebuild((d) => !(d.setId === group && d.uri === info.uri), null));
      this.admin.forget(group, info.uri);
      return 'Ok. Dispatcher destination removed.';
    });
  }

  exportAdminStates(): AdminStateEntry[] {
    return this.admin.export();
  }

  /** What reload(source) would change; changes nothing (not even the reload_delta stamp). */
  async dryRun(
    source: ReloadSource | undefined,
    drains: readonly DrainEntry[],
    running: readonly RunningDest[] | null = null,
  ): Promise<DryRunResult> {
    let src: ReloadSource;
    try {
      src = source ?? (await this.readDefault());
    } catch (e) {
      if (!(e instanceof ListFileError)) throw e;
      return {
        ok: false,
        errors: [e.message],
        warnings: [],
        added: [],
        removed: [],
        changed: [],
        unchanged: 0,
        carried: [],
        dropped: [],
        sets: 0,
        destinations: 0,
      };
    }
    return dryRunReload(running ?? runningOf(this.current), src, this.buildCtx(), this.admin.export(), drains);
  }

  /** Replaces the remembered admin states and applies them to the current list. */
  importAdminStates(
    entries: readonly AdminStateEntry[],
    origin?: string,
  ): { rejected: AdminStateEntry[]; unmatched: AdminStateEntry[] } {
    const rejected = this.admin.import(entries, origin);
    const cur = this.current;
    const unmatched =
      cur === null
        ? []
        : this.dropUnmatched(
            cur,
            this.admin.applyTo(cur, (set, d, bits) => overwriteState(set, d, bits, this.rng)),
          );
    return { rejected, unmatched };
  }
}

function reparsedRweight(d: Destination): number {
  // Re-insertion re-reads the attrs: a congestion-control rweight goes back to the attr.
  const r = parseAttrs(d.attrs.body);
  return r.ok ? r.attrs.rweight : d.attrs.rweight;
}
