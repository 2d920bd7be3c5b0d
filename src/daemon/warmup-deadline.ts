/**
 * The warm-up's deadline. JavaScript cannot be interrupted, so the budget is honoured by
 * checking it often: before every message the warm-up puts into the core, after every
 * message the core sends, and between steps. What runs between two checks (a "slice":
 * one message through the core, or a step's setup) is the most the warm-up can overrun
 * its budget by, and it measures the longest slice so its report can show exactly that.
 */
import { DsdError } from '../core/errors';

/** Thrown inside a step when the deadline has passed: the step stops where it stands. */
export class DeadlinePassed extends DsdError {
  constructor() {
    super('DSD_ERR_WARMUP_DEADLINE', 'warm-up deadline passed');
  }
}

export class Deadline {
  /** The longest time between two checks, ms. */
  longestSliceMs = 0;
  /** When a check first found the deadline passed (performance.now()), or null. */
  passedAt: number | null = null;
  private last: number;

  constructor(
    /** performance.now() at which the budget ends. */
    readonly at: number,
    since: number = performance.now(),
    /** Ends the time early when it says so: the warm-up while idle stops at the first traffic. */
    private readonly interrupted: () => boolean = () => false,
  ) {
    this.last = since;
  }

  /** True while there is time; records the slice since the previous check. */
  ok(): boolean {
    const now = performance.now();
    const slice = now - this.last;
    if (slice > this.longestSliceMs) this.longestSliceMs = slice;
    this.last = now;
    if (now < this.at && !this.interrupted()) return true;
    this.passedAt ??= now;
    return false;
  }

  /** Throws DeadlinePassed once the deadline is gone. */
  check(): void {
    if (!this.ok()) throw new DeadlinePassed();
  }
}
