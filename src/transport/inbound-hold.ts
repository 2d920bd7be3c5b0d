/**
 * Holding what arrives: between hold() and release() every arrival (a SIP message, an
 * HTTP request, a message another worker handed over) is kept, in order, instead of
 * reaching the core; release() hands them on. The holder is told at the first arrival, and
 * reading pauses then (`pause`): the kernel's buffer keeps the rest. Used by the warm-up
 * while idle (daemon/warmup-idle.ts), which stops within one synthetic call of the first
 * arrival, so the queue stays short; past MAX entries arrivals are dropped, as a full socket
 * buffer would drop them.
 */

/** The most arrivals kept. */
const MAX = 4096;

export class InboundHold {
  /** What arrived, to run at release(); null while not holding. */
  private queue: Array<() => void> | null = null;
  private onArrival: (() => void) | null = null;
  /** Arrivals dropped because the queue was full. */
  dropped = 0;

  /** `pause(true)` at the first arrival, `pause(false)` at release(). */
  constructor(private readonly pause: (paused: boolean) => void) {}

  get holding(): boolean {
    return this.queue !== null;
  }

  /** Something arrived while holding: reading stays paused until release(). */
  get paused(): boolean {
    return this.queue !== null && this.onArrival === null;
  }

  hold(onArrival: () => void): void {
    this.queue = [];
    this.onArrival = onArrival;
  }

  /** Runs, in arrival order, what came while held; from then on everything runs at once. */
  release(): void {
    const q = this.queue;
    this.queue = null;
    this.onArrival = null;
    if (q) for (const f of q) f();
    this.pause(false);
  }

  /** Runs `f` now, or at release() while holding. */
  run(f: () => void): void {
    if (this.queue === null) return f();
    if (this.queue.length < MAX) this.queue.push(f);
    else this.dropped++;
    const told = this.onArrival;
    if (told === null) return;
    this.onArrival = null;
    this.pause(true);
    told();
  }
}
