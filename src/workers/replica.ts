/**
 * One dispatcher truth over several workers. Every worker holds the whole list (it
 * selects without asking anybody); what changes at run time travels through the primary:
 *  - a state change made by the threshold rules (a keepalive result in the probing
 *    worker, a ds_mark_dst in any worker) goes to every other worker, which overwrites
 *    its copy without running events: dst-up/dst-down run once, where the change happened;
 *  - call load (algorithm 10): each worker counts its own calls (a call's INVITE and BYE
 *    share a Call-ID and so a worker) and publishes its per-destination count; every
 *    worker's `dload` is its own count plus the others', so selection and maxload see
 *    the total. Counts are absolute, so a lost or late update heals with the next one;
 *    they are batched every LOAD_FLUSH_MS.
 * Control-socket changes (set_state, add, remove, reload) are not replicated here: the
 * primary runs them in every worker.
 */
import type { Dispatcher } from '../modules/dispatcher/engine';
import type { Destination, DsList, DsSet } from '../modules/dispatcher/model';
import { findSet, sameUriCi } from '../modules/dispatcher/model';
import { DS_STATES_ALL, isSkipped } from '../modules/dispatcher/flags';
import { overwriteState } from '../modules/dispatcher/state';
import { initRelativeWeights } from '../modules/dispatcher/weights';
import { defaultRng } from '../modules/dispatcher/rng';
import type { LoadUpdate, StateUpdate } from './ipc';

const LOAD_FLUSH_MS = 20;

const loadKey = (setId: number, duid: string): string => `${setId}|${duid.toLowerCase()}`;

export class DispatcherReplica {
  private pending: StateUpdate[] = [];
  private flushQueued = false;
  /** worker → key → that worker's own load. */
  private readonly remote = new Map<number, Map<string, number>>();
  private published = new Map<string, number>();
  private listSeen: DsList | null = null;
  private loadTimer: NodeJS.Timeout | null = null;
  private readonly rng = defaultRng();

  constructor(
    private readonly ds: Dispatcher,
    private readonly sendState: (u: StateUpdate[]) => void,
    private readonly sendLoad: (u: LoadUpdate[]) => void,
  ) {}

  start(): void {
    this.ds.onStateUpdate = (set, d) => this.local(set, d);
    if (this.ds.callLoad !== null) {
      this.loadTimer = setInterval(() => this.publishLoad(), LOAD_FLUSH_MS);
      this.loadTimer.unref();
    }
  }

  stop(): void {
    this.ds.onStateUpdate = null;
    if (this.loadTimer) clearInterval(this.loadTimer);
    this.loadTimer = null;
  }

  private local(set: DsSet, d: Destination): void {
    this.pending.push({
      setId: set.id,
      uri: d.uri,
      flags: d.flags,
      messageCount: d.messageCount,
      latency: { ...d.latency },
    });
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      const u = this.pending;
      this.pending = [];
      if (u.length) this.sendState(u);
    });
  }

  private find(setId: number, uri: string): { set: DsSet; d: Destination } | null {
    const set = findSet(this.ds.list, setId);
    const d = set?.dests.find((x) => sameUriCi(x.uri, uri));
    return set && d ? { set, d } : null;
  }

  /** Another worker's state changes (or a snapshot at start): overwrite, no events. */
  apply(updates: readonly StateUpdate[]): void {
    for (const u of updates) {
      const hit = this.find(u.setId, u.uri);
      if (hit === null) continue;
      const { set, d } = hit;
      const old = d.flags;
      overwriteState(set, d, u.flags & DS_STATES_ALL, this.rng);
      d.messageCount = u.messageCount;
      if (old !== d.flags) {
        this.ds.admin.supersede(d);
        this.ds.lb.transition(d, isSkipped(old), isSkipped(d.flags));
      }
      if (u.latency) {
        Object.assign(d.latency, u.latency);
        if (d.attrs.cc) initRelativeWeights(set, this.rng);
      }
    }
  }

  /** Every destination's state, for a worker that (re)starts. */
  snapshot(): StateUpdate[] {
    const out: StateUpdate[] = [];
    for (const set of this.ds.list?.sets ?? []) {
      for (const d of set.dests) {
        out.push({
          setId: set.id,
          uri: d.uri,
          flags: d.flags,
          messageCount: d.messageCount,
          latency: { ...d.latency },
        });
      }
    }
    return out;
  }

  // ---- call load ---------------------------------------------------------------------

  private othersOf(key: string): number {
    let n = 0;
    for (const m of this.remote.values()) n += m.get(key) ?? 0;
    return n;
  }

  /** A new list starts every dload at 0 (as a reload does in Kamailio): forget the sums. */
  private checkSwap(): void {
    if (this.ds.list === this.listSeen) return;
    this.listSeen = this.ds.list;
    this.remote.clear();
    this.published = new Map();
  }

  publishLoad(): void {
    this.checkSwap();
    const out: LoadUpdate[] = [];
    for (const set of this.ds.list?.sets ?? []) {
      for (const d of set.dests) {
        const duid = d.attrs.duid;
        if (duid === null || duid.length === 0) continue;
        const key = loadKey(set.id, duid);
        const own = Math.max(0, d.dload - this.othersOf(key));
        if ((this.published.get(key) ?? 0) !== own) {
          this.published.set(key, own);
          out.push({ setId: set.id, duid, load: own });
        }
      }
    }
    if (out.length) this.sendLoad(out);
  }

  applyLoad(from: number, updates: readonly LoadUpdate[]): void {
    this.checkSwap();
    let m = this.remote.get(from);
    if (!m) {
      m = new Map();
      this.remote.set(from, m);
    }
    for (const u of updates) {
      const key = loadKey(u.setId, u.duid);
      const delta = u.load - (m.get(key) ?? 0);
      m.set(key, u.load);
      this.addLoad(u.setId, key, delta);
    }
  }

  /** A worker died: its calls are gone, and so is their load. */
  forget(from: number): void {
    const m = this.remote.get(from);
    if (!m) return;
    this.remote.delete(from);
    for (const [key, v] of m) this.addLoad(Number(key.slice(0, key.indexOf('|'))), key, -v);
  }

  private addLoad(setId: number, key: string, delta: number): void {
    if (delta === 0) return;
    const set = findSet(this.ds.list, setId);
    for (const d of set?.dests ?? []) {
      if (d.attrs.duid !== null && loadKey(setId, d.attrs.duid) === key) d.dload = Math.max(0, d.dload + delta);
    }
  }
}
