/**
 * Timer plumbing: one static callback for every transaction timer, so arming a timer
 * allocates only Node's Timeout object, never a closure.
 */
export interface TimerTarget {
  onTimer(kind: number): void;
}

function fire(target: TimerTarget, kind: number): void {
  target.onTimer(kind);
}

export function arm(ms: number, target: TimerTarget, kind: number): NodeJS.Timeout {
  return setTimeout(fire, ms, target, kind);
}
