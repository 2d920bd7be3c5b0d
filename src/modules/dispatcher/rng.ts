/**
 * Injectable randomness and time, so selections, shuffles and expiries are reproducible
 * in tests.
 */

import { randomBytes } from 'node:crypto';

/** Returns a uniformly distributed integer in [0, 2^31), like kam_rand(). */
export type DsRng = () => number;

/** Returns the current time in milliseconds since the epoch (may be fractional). */
export type DsClock = () => number;

/** mulberry32: tiny, fast, good enough for load distribution; seedable for tests. */
export function seededRng(seed: number): DsRng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) >>> 1;
  };
}

export function defaultRng(): DsRng {
  return seededRng(randomBytes(4).readUInt32LE(0));
}

export const systemClock: DsClock = () => Date.now();

/** Whole seconds of a clock reading, as time(NULL). */
export function clockSec(ms: number): number {
  return Math.floor(ms / 1000);
}
