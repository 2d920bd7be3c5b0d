/**
 * Condition waits for tests. A test never asserts on how long something took: it waits,
 * with a generous deadline, until the condition it needs holds, and fails with the last
 * observed value when the deadline passes. `pause` is for pacing a sender only.
 */

/** Resolves after `ms`; for pacing load or polling, never as proof that something did not happen. */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  /** Deadline in ms (default 30 s: CI may be a slow machine with a CPU hog beside it). */
  timeoutMs?: number;
  /** Poll interval in ms (default 50). */
  everyMs?: number;
  /** What is awaited, for the failure message. */
  what?: string;
}

/**
 * Polls `probe` until it returns a truthy value and returns that value. `probe` may be
 * async; its last result (or error) is quoted when the deadline passes.
 */
export async function waitUntil<T>(probe: () => T | Promise<T>, o: WaitOptions = {}): Promise<NonNullable<T>> {
  const until = Date.now() + (o.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= until) break;
    await pause(o.everyMs ?? 50);
  }
  const shown = last instanceof Error ? last.message : typeof last === 'string' ? last : JSON.stringify(last);
  throw new Error(`timed out waiting for ${o.what ?? 'a condition'}; last: ${String(shown).slice(0, 2000)}`);
}
