/**
 * Checked index access for tests (tsconfig has noUncheckedIndexedAccess): a reply, row or
 * match group that is not there fails the test with a message saying so, rather than
 * with a TypeError a line later or a `!` that hides it.
 */
import assert from 'node:assert/strict';

/** `list[i]` (a negative `i` counts from the end); fails when there is no such element. */
export function at<T>(list: ArrayLike<T>, i: number, what = 'element'): T {
  const v = list[i < 0 ? list.length + i : i];
  assert.ok(v !== undefined, `no ${what} at index ${i} (length ${list.length})`);
  return v;
}

/** `v`, which a lookup may have missed; fails naming `what` when it is undefined. */
export function must<T>(v: T | undefined, what: string): T {
  assert.ok(v !== undefined, `${what}: missing`);
  return v;
}
