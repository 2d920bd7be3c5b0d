/**
 * Keepalive latency statistics and congestion control (ds_update_latency()), with
 * Kamailio 5.6's float32 arithmetic and its estimator convention:
 *   EST = EST·α + latency·(1 − α),  α = ds_latency_estimator_alpha / 1000 (default 0.9).
 * (Kamailio ≥ 5.8 flipped the convention and the default to 0.1: same weighting.)
 */

import { DS_PROBING_DST } from './flags';
import { DsSet, LatencyStats, initLatency, sameUriCi } from './model';

const f = Math.fround;
const COUNT_CAP = 2097152; // 2^21
const TRAINING_COUNT = 10000;
const UINT32_MAX = 4294967295;

/** α as the float Kamailio derives from the modparam. */
export function estimatorAlpha(alphaParam: number): number {
  return f(alphaParam / 1000);
}

/** Whole milliseconds between two clock readings, as Kamailio computes them from timevals. */
export function latencyMs(startMs: number, nowMs: number): number {
  const s0 = Math.floor(startMs / 1000),
    s1 = Math.floor(nowMs / 1000);
  const u0 = Math.floor((startMs - s0 * 1000) * 1000),
    u1 = Math.floor((nowMs - s1 * 1000) * 1000);
  return (s1 - s0) * 1000 + Math.trunc((u1 - u0) / 1000);
}

/** latency_stats_update(). */
export function updateLatencyStats(s: LatencyStats, latency: number, alpha: number): void {
  if (s.count < COUNT_CAP) s.count++;
  else s.m2 -= s.m2 / (s.count || 1);
  if (s.count === 1) initLatency(s, latency, 1);
  if (s.count > 10 && s.count < TRAINING_COUNT && s.std < 0.5) s.count = TRAINING_COUNT;
  if (s.min > latency) s.min = latency;
  if (s.max < latency) s.max = latency;
  if (s.count > 1) {
    const delta = f(latency - s.avg);
    s.avg = f(s.avg + f(delta / (s.count || 1)));
    const delta2 = f(latency - s.avg);
    s.m2 += delta * delta2;
    s.std = f(Math.sqrt(s.m2 / (s.count - 1 || 1)));
  }
  if (s.count < 10) s.est = s.avg;
  else s.est = f(f(s.est * alpha) + f(latency * f(1 - alpha)));
}

interface CcState {
  congested: number;
  normal: number;
  totalCongestionMs: number;
  enabled: boolean;
  applyRweights: boolean;
}

/** C int conversion of a float difference (truncation toward zero). */
function congestionOf(s: LatencyStats): number {
  return Math.trunc(f(s.est - s.avg));
}

function weightedCc(cc: CcState, weight: number, s: LatencyStats): number {
  if (weight <= 0) return 0;
  let cms = congestionOf(s);
  if (cms < 0) cms = 0;
  cc.totalCongestionMs += cms;
  let active = weight - cms;
  if (active < 0) active = 0;
  if (active === 0) cc.congested++;
  else cc.normal++;
  return active;
}

/**
 * ds_update_latency(): on a keepalive result for `uri` in `set`. Every entry with that URI
 * (case-insensitive) and the P flag gets its stats updated (408 counts a TIMEOUT only);
 * members with cc=1 recompute their rweight from the congestion (EST − AVG). Returns
 * whether the rweight table must be rebuilt.
 */
export function updateLatency(
  set: DsSet,
  uri: string,
  code: number,
  nowMs: number,
  alpha: number,
  /** Told each sample taken (the debug log: tests recompute the statistics from it). */
  onSample?: (uri: string, ms: number) => void,
): boolean {
  const cc: CcState = { congested: 0, normal: 0, totalCongestionMs: 0, enabled: true, applyRweights: false };
  for (const d of set.dests) {
    const s = d.latency;
    if (sameUriCi(d.uri, uri)) {
      // Kamailio skips the rest of the loop body here, including the cc-enabled check.
      if ((d.flags & DS_PROBING_DST) === 0) continue;
      if (code === 408 && s.timeout < UINT32_MAX) s.timeout++;
      if (code !== 408 && s.start !== null) {
        const ms = latencyMs(s.start, nowMs);
        updateLatencyStats(s, ms, alpha);
        onSample?.(d.uri, ms);
      }
      if (d.attrs.cc && d.attrs.weight > 0) {
        const active = weightedCc(cc, d.attrs.weight, s);
        if (d.attrs.rweight !== active) {
          cc.applyRweights = true;
          d.attrs.rweight = active;
        }
      }
    } else if (d.attrs.cc && d.attrs.weight > 0) {
      weightedCc(cc, d.attrs.weight, s);
    }
    if (!d.attrs.cc) cc.enabled = false;
  }
  if (cc.enabled && cc.congested > 1 && cc.normal === 0) {
    for (const d of set.dests) {
      const cms = congestionOf(d.latency);
      // Kamailio: (total << 4) / (cms ? cms : 1), in int arithmetic.
      const active = Math.trunc(((cc.totalCongestionMs << 4) | 0) / (cms || 1));
      if (d.attrs.rweight !== active) {
        cc.applyRweights = true;
        d.attrs.rweight = active;
      }
    }
  }
  return cc.enabled && cc.applyRweights;
}
