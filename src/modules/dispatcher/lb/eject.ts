/**
 * Passive ejection (dsd extension, Envoy's outlier detection for SIP): N consecutive
 * failures of real traffic to a destination (408/timeout, 500, 503 or a code of
 * ds_eject_codes) take it out without waiting for keepalives. The engine marks it
 * inactive-probing; probing brings it back as usual, or, when probing is off, it returns
 * after ds_eject_time × its ejection count (at most 10×). ds_eject_max_percent caps the
 * share of a set that may be ejected at once.
 *
 * This module only decides; the engine applies the state change and raises the event.
 */
import { isSkipped } from '../flags';
import type { Destination, DsSet } from '../model';
import { keyOf } from './keys';

const DEFAULT_CODES = [408, 500, 503];
const MAX_MULTIPLIER = 10;

export interface EjectConfig {
  readonly failures: number;
  readonly codes: readonly number[];
  readonly timeSec: number;
  readonly maxPercent: number;
}

interface Record {
  fails: number;
  ejections: number;
  /** Clock ms of the current ejection, 0 when not ejected. */
  ejectedAt: number;
  returnAt: number;
}

export type EjectVerdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'eject'; readonly failures: number; readonly ejections: number }
  | { readonly kind: 'capped'; readonly failures: number; readonly ejected: number; readonly max: number };

export class EjectTracker {
  private readonly recs = new Map<string, Record>();
  private readonly failCodes: Set<number>;
  /** Ejections refused by ds_eject_max_percent (metrics). */
  capped = 0;

  constructor(readonly cfg: EjectConfig) {
    this.failCodes = new Set([...DEFAULT_CODES, ...cfg.codes]);
  }

  get enabled(): boolean {
    return this.cfg.failures > 0;
  }

  isFailure(status: number): boolean {
    return this.failCodes.has(status);
  }

  private rec(d: Destination): Record {
    const k = keyOf(d);
    let r = this.recs.get(k);
    if (r === undefined) {
      r = { fails: 0, ejections: 0, ejectedAt: 0, returnAt: 0 };
      this.recs.set(k, r);
    }
    return r;
  }

  /** A final outcome of real traffic to `d` in `set`; 408 for a local timeout. */
  outcome(set: DsSet, d: Destination, status: number, nowMs: number): EjectVerdict {
    if (!this.enabled) return { kind: 'none' };
    const r = this.rec(d);
    if (!this.isFailure(status)) {
      r.fails = 0;
      return { kind: 'none' };
    }
    if (isSkipped(d.flags)) return { kind: 'none' };
    r.fails++;
    if (r.fails < this.cfg.failures) return { kind: 'none' };
    const ejected = this.ejectedIn(set);
    const max = Math.floor((set.dests.length * this.cfg.maxPercent) / 100);
    if (ejected + 1 > max) {
      this.capped++;
      return { kind: 'capped', failures: r.fails, ejected, max };
    }
    r.fails = 0;
    r.ejections++;
    r.ejectedAt = nowMs;
    r.returnAt = nowMs + this.cfg.timeSec * 1000 * Math.min(r.ejections, MAX_MULTIPLIER);
    return { kind: 'eject', failures: this.cfg.failures, ejections: r.ejections };
  }

  /** Destinations of `set` ejected by us and still out. */
  ejectedIn(set: DsSet): number {
    let n = 0;
    for (const d of set.dests) if (this.isEjected(d)) n++;
    return n;
  }

  /** Ejected and still skipped (anything that brought it back ends the ejection). */
  isEjected(d: Destination): boolean {
    const r = this.recs.get(keyOf(d));
    if (r === undefined || r.ejectedAt === 0) return false;
    if (!isSkipped(d.flags)) {
      r.ejectedAt = 0;
      return false;
    }
    return true;
  }

  ejections(d: Destination): number {
    return this.recs.get(keyOf(d))?.ejections ?? 0;
  }

  consecutiveFailures(d: Destination): number {
    return this.recs.get(keyOf(d))?.fails ?? 0;
  }

  /** Ejected destinations whose time is up (used when probing is off). */
  due(sets: readonly DsSet[], nowMs: number): Array<{ set: DsSet; dest: Destination }> {
    const out: Array<{ set: DsSet; dest: Destination }> = [];
    if (this.recs.size === 0) return out;
    for (const set of sets) {
      for (const d of set.dests) {
        const r = this.recs.get(keyOf(d));
        if (r !== undefined && r.ejectedAt !== 0 && this.isEjected(d) && r.returnAt <= nowMs)
          out.push({ set, dest: d });
      }
    }
    return out;
  }

  /** The ejection ended (returned by the timer, probing, or an admin). */
  ended(d: Destination): void {
    const r = this.recs.get(keyOf(d));
    if (r !== undefined) r.ejectedAt = 0;
  }
}
