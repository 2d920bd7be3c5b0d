/**
 * Transaction timers on one coarse tick, as Kamailio's tm keeps its timers on lists a
 * timer process walks every tick instead of one OS timer each. Every transaction owns
 * its few `TxnTimer` entries for its whole life; arming links an entry into the list of
 * its duration (entries of one duration expire in the order they were armed, so each
 * list stays sorted without a heap) and clearing unlinks it: no allocation per arm, no
 * Node `Timeout` per timer, and one Node timer for the whole layer, running only while
 * some entry is armed.
 *
 * Time is counted in ticks. The counter moves at least one tick per tick callback and
 * catches up with the clock (monotonic; tests may give a mocked one) when the event loop
 * was late. A timer is due `ceil(ms / tick)` ticks after the tick it was armed in, so it
 * fires within a tick either side of its duration, plus whatever the loop is late.
 */

/** One tick, ms. Kamailio's is 1/16 s; retransmissions here keep a finer step. */
const TICK_MS = 10;
/** The longest wait a timer takes, in ticks (~124 days): within a small integer. */
const MAX_TICKS = 0x3fffffff;

export interface TimerTarget {
  onTimer(kind: number): void;
}

/** A timer slot of one transaction, armed and cleared as often as it likes. */
export class TxnTimer {
  /** Tick at which it fires; meaningful while `list` is set. */
  due = 0;
  /** What to tell the target (set at every arm: one slot may serve several timers in turn). */
  kind = 0;
  prev: TxnTimer | null = null;
  next: TxnTimer | null = null;
  list: TimerList | null = null;

  constructor(readonly target: TimerTarget) {}

  get armed(): boolean {
    return this.list !== null;
  }
}

class TimerList {
  head: TxnTimer | null = null;
  tail: TxnTimer | null = null;
  /** Position in the wheel's list of lists (for removal once empty). */
  slot = -1;

  constructor(readonly ticks: number) {}
}

/** An empty array whose elements kind already holds objects like `sample`. */
function objectElements<T>(sample: T): T[] {
  const a = [sample];
  a.pop();
  return a;
}

/** Milliseconds from some fixed point; only differences matter. */
export type Clock = () => number;

const monotonic: Clock = () => performance.now();

export class TimerWheel {
  private now = 0;
  private readonly t0: number;
  private readonly byTicks = new Map<number, TimerList>();
  /** Lists with entries, walked at every tick. */
  // Made holding a list and emptied, not as `[]`: an array literal starts with small-integer
  // elements and changes its hidden class at its first object, so the real wheel's array,
  // made before the warm-up's wheel met its first list, would still have the old class and
  // the warm-up's code for arming was thrown away at the first real call (bench/PROFILE.md,
  // session 16).
  private readonly active: TimerList[] = objectElements(new TimerList(0));
  private armedCount = 0;
  private scheduled = false;
  private readonly onTick = (): void => this.tick();

  constructor(private readonly clock: Clock = monotonic) {
    this.t0 = clock();
  }

  /** Entries armed now. */
  get size(): number {
    return this.armedCount;
  }

  /** (Re)arms `t` to tell its target `kind` in `ms`. */
  arm(t: TxnTimer, ms: number, kind: number): void {
    this.armTicks(t, this.ticksFor(ms), kind);
  }

  /** Ticks a timer of `ms` waits. */
  ticksFor(ms: number): number {
    return ms <= TICK_MS ? 1 : Math.ceil(ms / TICK_MS);
  }

  /** The tick count now: a timer armed for `n` ticks fires once it reaches this plus `n`. */
  get ticks(): number {
    return this.now;
  }

  /** (Re)arms `t` to tell its target `kind` in `ticks` ticks (at least one, at most MAX_TICKS). */
  armTicks(t: TxnTimer, ticks: number, kind: number): void {
    if (t.list !== null) this.unlink(t);
    // A small integer, whatever the caller computed it from: a count read from a
    // Float64Array (linger.ts) is a double, and one double stored in `due` by unoptimised
    // code turns the field's representation from integer to double for every TxnTimer,
    // which throws away the optimised code of everything that makes one (transactions,
    // branches). That happened as each load drained, and the next load began by compiling
    // it all again (bench/PROFILE.md, session 22).
    // (Rounded up, as a fraction of a tick waited for the next whole one before.)
    ticks = ticks < 1 ? 1 : ticks > MAX_TICKS ? MAX_TICKS : Math.ceil(ticks) | 0;
    let list = this.byTicks.get(ticks);
    if (list === undefined) {
      list = new TimerList(ticks);
      this.byTicks.set(ticks, list);
    }
    if (!this.scheduled) this.schedule(true);
    t.kind = kind;
    t.due = this.now + ticks;
    t.list = list;
    t.next = null;
    t.prev = list.tail;
    if (list.tail !== null) list.tail.next = t;
    else {
      list.head = t;
      list.slot = this.active.length;
      this.active.push(list);
    }
    list.tail = t;
    this.armedCount++;
  }

  /** Disarms `t`; nothing when it is not armed. */
  clear(t: TxnTimer): void {
    if (t.list !== null) this.unlink(t);
  }

  private unlink(t: TxnTimer): void {
    const list = t.list!;
    if (t.prev !== null) t.prev.next = t.next;
    else list.head = t.next;
    if (t.next !== null) t.next.prev = t.prev;
    else list.tail = t.prev;
    t.prev = null;
    t.next = null;
    t.list = null;
    this.armedCount--;
    if (list.head === null) this.retire(list);
  }

  /** An empty list leaves the walk (swap with the last one). */
  private retire(list: TimerList): void {
    const last = this.active.pop()!;
    if (last !== list) {
      this.active[list.slot] = last;
      last.slot = list.slot;
    }
    list.slot = -1;
  }

  private schedule(resync: boolean): void {
    // after an idle spell the counter jumps to the clock: new timers count from now
    if (resync) this.now = Math.max(this.now, this.clockTicks());
    this.scheduled = true;
    setTimeout(this.onTick, TICK_MS);
  }

  private clockTicks(): number {
    return Math.floor((this.clock() - this.t0) / TICK_MS);
  }

  private tick(): void {
    this.scheduled = false;
    this.now = Math.max(this.now + 1, this.clockTicks());
    const now = this.now;
    // lists may leave `active` (emptied) or join it (armed from a handler) as we go:
    // walk from the end so a swap-removal never skips a list
    for (let i = this.active.length - 1; i >= 0; i--) {
      const list = this.active[i];
      if (list === undefined) continue;
      let t = list.head;
      while (t !== null && t.due <= now) {
        this.unlink(t);
        try {
          t.target.onTimer(t.kind);
        } catch (e) {
          // one transaction's fault must not stop the others' timers
          process.emitWarning(`transaction timer: ${(e as Error).stack ?? e}`);
        }
        if (list.head === null || list.slot < 0) break;
        t = list.head;
      }
    }
    if (this.armedCount > 0 && !this.scheduled) this.schedule(false);
  }
}
