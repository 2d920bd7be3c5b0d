/**
 * Where the reading worker puts a call. Spreading every call by Call-ID hash (affinity.ts)
 * sends (N-1)/N of all messages across to another process, and each worker then wakes for a
 * few messages at a time: on a small machine N workers spent about twice the CPU per call of
 * one (README, design notes). So the reader keeps new calls itself while its own event loop
 * has room (`children_pack`, per cent busy, 90 by default), and hands a growing share to the
 * Call-ID's hash owner only as it fills up; what a call was given, all its messages follow.
 *
 * The record is a direct-mapped table indexed by the Call-ID hash: owner and last-seen time
 * per slot, no key. Two live calls in one slot share its owner; that is harmless, because
 * every message of both finds the same slot and so the same owner for as long as either is
 * active. A slot is free again after `ttlSec` without any message (longer than any silence
 * inside a transaction: fr_inv_timer and the retransmission window).
 *
 * Only an initial request (no To tag, not ACK or CANCEL) takes a free slot. Anything else
 * without a record goes to the hash owner: a call that was spread never needs a record, and a
 * new reader (the old one died with its own calls) sends everything by hash for `ttlSec`
 * (`hashOnly`), so the calls still running on the other workers keep reaching them.
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

const SLOT_BITS = 20;
const SLOTS = 1 << SLOT_BITS;
const FREE = 0xff;
/** How often the share kept is adjusted to the reader's own load. */
const ADJUST_MS = 100;
/** Weight of the newest reading: 0.2 every 100 ms follows a step within about a second. */
const SMOOTHING = 0.2;
/** Below this many idle cores another worker has nowhere to run. */
const MIN_IDLE_CORES = 0.5;

interface CpuTimes {
  idle: number;
  total: number;
}

/** The machine's CPU times from /proc/stat (null where there is none). */
function cpuTimes(): CpuTimes | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'latin1');
    const f = line.slice(0, line.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { idle: (f[3] ?? 0) + (f[4] ?? 0), total };
  } catch {
    return null;
  }
}

export interface PlacementOptions {
  readonly self: number;
  /** Per cent of event-loop busy time under which the reader keeps new calls; 0: spread every call. */
  readonly packPercent: number;
  /** Seconds without a message after which a slot is free. */
  readonly ttlSec: number;
  /** Seconds since some fixed point (tests give their own clock). */
  readonly now?: () => number;
  readonly random?: () => number;
  /** Table slots, a power of two (default 2^20); the warm-up's table is small (steering.ts). */
  readonly slots?: number;
  /**
   * The share of new calls kept at first (default 1). The warm-up's table starts below 1
   * (steering.ts), so that its code has met the fractions adjust() makes under load.
   */
  readonly keep?: number;
}

/** Which workers run now (affinity.ts Affinity). */
export interface LiveSet {
  isLive(index: number): boolean;
}

export class Placement {
  private owners: Uint8Array | null = null;
  private seen: Uint32Array | null = null;
  /** Share of new calls the reader keeps (0..1). */
  private keep: number;
  /** The reader's event-loop utilisation, smoothed. */
  private load: number;
  /** Idle cores of the machine, smoothed (Infinity: not known). */
  private idle = Infinity;
  private cpuSeen: CpuTimes | null = null;
  private hashOnlyUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private elu: EventLoopUtilization | null = null;
  private readonly t0 = performance.now();
  private readonly mask: number;
  private readonly random: () => number;
  /** New calls kept by the reader and placed by Call-ID hash (core.workers: CALLS_KEPT, CALLS_BY_HASH). */
  readonly stats = { kept: 0, byHash: 0 };

  constructor(private readonly o: PlacementOptions) {
    // a fraction first, so that both fields hold doubles from the start: adjust() stores
    // fractions later, and a field that changes from a small integer to a double gives the
    // object another hidden class (the warm-up's code would be thrown away: steering.ts)
    this.keep = 0.5;
    this.load = 0.5;
    this.keep = o.packPercent > 0 ? (o.keep ?? 1) : 0;
    this.load = 0;
    this.random = o.random ?? Math.random;
    this.mask = (o.slots ?? SLOTS) - 1;
  }

  /**
   * Whole seconds since this table was made (or the tests' clock). A method, not a closure
   * per table: V8's code for request() then fits the warm-up's table and the real one alike
   * (steering.ts).
   */
  private now(): number {
    const f = this.o.now;
    return f !== undefined ? f() : ((performance.now() - this.t0) / 1000) | 0;
  }

  /** Follows the reader's event-loop load from now on (only the reading worker needs it). */
  start(): void {
    if (this.timer !== null || this.o.packPercent <= 0 || this.o.packPercent >= 100) return;
    this.elu = performance.eventLoopUtilization();
    this.cpuSeen = cpuTimes();
    const cores = os.availableParallelism();
    this.timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      const cpu = cpuTimes();
      const seen = this.cpuSeen;
      const idle =
        cpu && seen && cpu.total > seen.total ? ((cpu.idle - seen.idle) / (cpu.total - seen.total)) * cores : Infinity;
      this.adjust(performance.eventLoopUtilization(now, this.elu!).utilization, idle);
      this.elu = now;
      this.cpuSeen = cpu;
    }, ADJUST_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * One reading (every 100 ms) of the reader's event-loop utilisation and of the machine's
   * idle cores, both smoothed over about a second: a burst (the first second of load, a GC
   * pause) is no reason to hand calls over. Handing a call to another worker costs CPU (the
   * message crosses processes, each wakes for fewer messages), so it pays only where that
   * worker finds a free core: with less than half a core idle the reader takes its calls
   * back, whatever its own load.
   */
  adjust(utilization: number, idleCores = Infinity): void {
    this.load += SMOOTHING * (utilization - this.load);
    this.idle = this.idle === Infinity ? idleCores : this.idle + SMOOTHING * (idleCores - this.idle);
    const mark = this.o.packPercent / 100;
    if (this.idle < MIN_IDLE_CORES || this.load < mark - 0.15) this.keep = Math.min(1, this.keep + 0.05);
    else if (this.load > mark) this.keep = Math.max(0, this.keep - 0.05);
  }

  get keptShare(): number {
    return this.keep;
  }

  /** This worker just took over reading from another: no new record for `ttlSec`. */
  hashOnly(): void {
    this.hashOnlyUntil = this.now() + this.o.ttlSec;
  }

  /**
   * The owner of a request with Call-ID hash `h`. `hashOwner` is the affinity owner,
   * `live` says whether a recorded owner still runs.
   */
  request(h: number, initial: boolean, hashOwner: number, live: LiveSet): number {
    const now = this.now();
    const owners = this.owners ?? this.alloc();
    const seen = this.seen!;
    const i = h & this.mask;
    const rec = owners[i]!;
    if (this.isLiveRecord(i, now, live)) {
      seen[i] = now;
      return rec;
    }
    if (!initial) return hashOwner;
    let owner = hashOwner;
    if (now >= this.hashOnlyUntil && this.keep > 0 && (this.keep >= 1 || this.random() < this.keep)) {
      owner = this.o.self;
      this.stats.kept++;
    } else this.stats.byHash++;
    owners[i] = owner;
    seen[i] = now;
    return owner;
  }

  /** True when hash `h` has a live record: a request with it may belong to a call in progress. */
  has(h: number, live: LiveSet): boolean {
    return this.owners !== null && this.isLiveRecord(h & this.mask, this.now(), live);
  }

  /** Slot `i` holds an owner seen within `ttlSec` that still runs. */
  private isLiveRecord(i: number, now: number, live: LiveSet): boolean {
    const rec = this.owners![i]!;
    return rec !== FREE && now - this.seen![i]! <= this.o.ttlSec && live.isLive(rec);
  }

  /** A reply for `owner`'s transaction keeps the call's record alive (a long ringing phase, then CANCEL). */
  touch(h: number, owner: number): void {
    const owners = this.owners;
    if (owners === null) return;
    const i = h & this.mask;
    if (owners[i] === owner) this.seen![i] = this.now();
  }

  private alloc(): Uint8Array {
    this.owners = new Uint8Array(this.mask + 1).fill(FREE);
    this.seen = new Uint32Array(this.mask + 1);
    return this.owners;
  }
}
