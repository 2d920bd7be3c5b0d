/**
 * The monotonic clock (ms) of every per-message reading that takes a clock as a parameter
 * (queue-wait.ts, queue-shed.ts). One function object for the whole process, not one
 * `performance.now.bind(performance)` per instance: V8's optimised code checks a call's
 * target, and the warm-up's objects (daemon/warmup.ts) would otherwise hand the real ones
 * code that checks for another bound function ("wrong call target" at the first real call).
 */
export const monotonicMs: () => number = performance.now.bind(performance);
