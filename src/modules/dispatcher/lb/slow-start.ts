/**
 * Slow start (dsd extension, ds_slow_start seconds, 0 = off): a destination that comes
 * back (probe success, set_state to active, undrain, an ejection ending, dispatcher.add)
 * takes a share that grows linearly from 10 % to its full share over the window.
 *
 * For round robin, serial, weight and relative weight (algs 4, 8, 9, 11) the selection
 * holds a ramping destination back with probability 1 − factor (the request goes to the
 * next candidate, as for an inactive one); for call load (alg 10) its maxload is scaled
 * by the factor (at least 1). Hash algorithms are left alone: holding a destination back
 * there would move calls that hash to it, which is what hashing is meant to avoid.
 */
import type { Destination } from '../model';
import {
  DS_ALG_CALLLOAD,
  DS_ALG_RELWEIGHT,
  DS_ALG_ROUNDROBIN,
  DS_ALG_SERIAL,
  DS_ALG_WEIGHT,
} from '../algorithms/constants';
import { keyOf } from './keys';

const RAMP_FLOOR = 0.1;

export function rampsAlg(alg: number): boolean {
  return alg === DS_ALG_ROUNDROBIN || alg === DS_ALG_SERIAL || alg === DS_ALG_WEIGHT || alg === DS_ALG_RELWEIGHT;
}

export class SlowStart {
  private readonly starts = new Map<string, number>();

  constructor(private readonly windowSec: () => number) {}

  get enabled(): boolean {
    return this.windowSec() > 0;
  }

  get size(): number {
    return this.starts.size;
  }

  /** The destination is back: start (or restart) its ramp. */
  begin(d: Destination, nowMs: number): void {
    if (this.enabled) this.starts.set(keyOf(d), nowMs);
  }

  /** Share factor in [0.1, 1]; 1 when not ramping (the entry is dropped once the window ends). */
  factor(d: Destination, nowMs: number): number {
    if (this.starts.size === 0) return 1;
    const k = keyOf(d);
    const t0 = this.starts.get(k);
    if (t0 === undefined) return 1;
    const win = this.windowSec() * 1000;
    const el = nowMs - t0;
    if (win <= 0 || el >= win) {
      this.starts.delete(k);
      return 1;
    }
    return RAMP_FLOOR + ((1 - RAMP_FLOOR) * Math.max(0, el)) / win;
  }

  /** alg 10: maxload scaled by the ramp (0 = unlimited stays unlimited). */
  maxload(d: Destination, nowMs: number): number {
    const m = d.attrs.maxload;
    if (m === 0) return 0;
    const f = this.factor(d, nowMs);
    return f >= 1 ? m : Math.max(1, Math.floor(m * f));
  }

  /** Ramping destinations (for the status page and dispatcher.list). */
  rampOf(d: Destination, nowMs: number): number | null {
    const f = this.factor(d, nowMs);
    return f >= 1 ? null : f;
  }

  static appliesTo(alg: number): boolean {
    return rampsAlg(alg) || alg === DS_ALG_CALLLOAD;
  }
}
