/**
 * Transactions that only linger (RFC 3261 timers J and K, tm's wt_timer) kept as rows of
 * typed arrays instead of objects: an INVITE answered 2xx (Accepted: a retransmission
 * gets the 2xx again over UDP, as from Kamailio's tm; the ACK goes on), a non-INVITE
 * answered over UDP (a retransmission gets the final reply again), a non-INVITE branch
 * answered over UDP (retransmitted replies are absorbed).
 *
 * Why: every call leaves those three behind for wt_timer (5 s). As objects (a transaction,
 * its timer, its key and To tag, its reply target: ~20 heap objects a call) they were all
 * promoted to V8's old generation and died there, so the old generation filled in seconds
 * under load and each full collection had to mark every one of them: at 6000 calls/s a
 * marking of 30-40 ms on the event loop's thread every ~10 s, the whole tail of the
 * latency (bench/PROFILE.md, session 20). Here a lingering transaction is a hash of its key
 * in an open-addressed table, a row in a queue that expires rows in the order they came
 * (every row lives wt_timer), and for a reply its bytes in a log written and let go in
 * that same order (reply-log.ts): nothing the garbage collector traces, whatever the load.
 *
 * A row is found by a 64-bit hash of the transaction key (two 32-bit hashes with seeds
 * drawn per process), not by the key itself: two keys share a hash with odds of about
 * 2^-64 per lookup. A transaction that cannot be put here (the log is at its bound, a
 * reply larger than a slot, too many distinct IPv6 peers) stays an object as before: the caller
 * is told so.
 */
import type { LocalSocket, Target } from '../transport/types';
import type { TmStats } from './host';
import { TxnTimer, type TimerTarget, type TimerWheel } from './timer';
import { stillReached } from '../core/churn-table';
import { NOT_IPV4, packIpv4, ipv4Text } from '../core/ipv4';
import { LARGEST_REPLY, ReplyLog } from './reply-log';

/** What a row does with a request or reply that matches it. */
export const enum LingerKind {
  /** An INVITE answered 2xx: a retransmission gets the 2xx again (UDP); an ACK goes on (end to end). */
  Accepted = 1,
  /** A non-INVITE server transaction over UDP: a retransmission gets the reply again. */
  Resend = 2,
  /** A non-INVITE client transaction over UDP: retransmitted replies are absorbed. */
  Client = 3,
}

/** Distinct reply addresses other than IPv4 (IPv6), and local sockets, kept by index. */
const MAX_PEERS = 65536;
/** In `rowPort` above the port: `rowIp` is an index into `ips`, not an IPv4 address. */
const INTERNED_IP = 0x10000;

function seed(): number {
  return (Math.random() * 0x100000000) | 0;
}

export class LingerTable implements TimerTarget {
  // the hash table: linear probing, a slot is empty when both halves are 0
  private mask = 1023;
  private slotA = new Int32Array(1024);
  private slotB = new Int32Array(1024);
  /** The row (absolute queue position) a slot holds. */
  private slotRow = new Float64Array(1024);
  private used = 0;

  // the queue of rows, oldest first; a row's place is its absolute position mod the capacity
  private rowMask = 255;
  private rowA = new Int32Array(256);
  private rowB = new Int32Array(256);
  private rowKind = new Uint8Array(256);
  private rowDue = new Float64Array(256);
  private rowAt = new Float64Array(256);
  private rowLen = new Int32Array(256);
  private rowIp = new Int32Array(256);
  private rowPort = new Int32Array(256);
  private rowLocal = new Int32Array(256);
  private first = 0;
  private next = 0;

  /** Reply bytes, at the absolute positions in `rowAt`; beyond its bound, rows fall back to objects. */
  private readonly log = new ReplyLog();

  private readonly ips = new Interned<string>('');
  private readonly locals = new Interned<LocalSocket | undefined>(undefined);

  /**
   * The two seeds and the two halves of the last hash. In a typed array, not fields: a
   * 32-bit value is not always a small integer to V8, and a field that held one in one table
   * and not in another would give the tables different hidden classes (the warm-up's and
   * the real one's), throwing away the code the warm-up optimised.
   */
  private readonly h = Int32Array.of(seed(), seed(), 0, 0);
  private readonly timer = new TxnTimer(this);

  constructor(
    private readonly wheel: TimerWheel,
    private readonly stats: TmStats,
    private readonly send: (target: Target, buf: Buffer) => boolean,
  ) {}

  /** Rows lingering now. */
  get size(): number {
    return this.used;
  }

  /** An INVITE answered 2xx lingers `ms`; over UDP its retransmissions get `reply` again. */
  accepted(key: string, ms: number, reply: Buffer | null, target: Target | null): boolean {
    return this.add(key, ms, LingerKind.Accepted, reply, target);
  }

  /** A non-INVITE server transaction over UDP lingers `ms`, answering retransmissions with `reply`. */
  resend(key: string, ms: number, reply: Buffer, target: Target): boolean {
    return this.add(key, ms, LingerKind.Resend, reply, target);
  }

  /** A non-INVITE client transaction over UDP lingers `ms`. */
  client(key: string, ms: number): boolean {
    return this.add(key, ms, LingerKind.Client, null, null);
  }

  /** The kind of the row `key` names, 0 when none. */
  kindOf(key: string): number {
    const r = this.find(key);
    return r < 0 ? 0 : this.rowKind[r & this.rowMask]!;
  }

  /**
   * A request matching a lingering server transaction: a retransmission is answered with
   * the final kept for it (none kept: absorbed); true when it needs nothing more. An ACK is
   * never absorbed here: only an Accepted INVITE lingers, and its ACK goes on end to end.
   */
  absorbRequest(key: string, isAck: boolean): boolean {
    if (this.used === 0 || isAck) return false;
    const r = this.find(key);
    if (r < 0) return false;
    const i = r & this.rowMask;
    const kind = this.rowKind[i]!;
    if (kind === LingerKind.Client) return false;
    if (this.rowLen[i]! > 0) {
      const bytes = this.log.copy(this.rowAt[i]!, this.rowLen[i]!);
      const local = this.locals.all[this.rowLocal[i]!];
      const port = this.rowPort[i]!;
      const ip = port & INTERNED_IP ? this.ips.all[this.rowIp[i]!]! : ipv4Text(this.rowIp[i]!);
      this.send({ proto: 'udp', ip, port: port & 0xffff, local }, bytes);
    }
    return true;
  }

  /** A reply matching a lingering client transaction: absorbed (true). */
  absorbReply(key: string): boolean {
    if (this.used === 0) return false;
    const r = this.find(key);
    return r >= 0 && this.rowKind[r & this.rowMask]! === LingerKind.Client;
  }

  /** Every row ends now (the warm-up's layers are let go). */
  clear(): void {
    while (this.first < this.next) this.expire();
    this.wheel.clear(this.timer);
  }

  onTimer(): void {
    const now = this.wheel.ticks;
    while (this.first < this.next && this.rowDue[this.first & this.rowMask]! <= now) this.expire();
    if (this.first < this.next) this.wheel.armTicks(this.timer, this.rowDue[this.first & this.rowMask]! - now, 0);
  }

  private add(key: string, ms: number, kind: LingerKind, reply: Buffer | null, target: Target | null): boolean {
    let ip = 0;
    let port = 0;
    let local = 0;
    let at = 0;
    if (reply !== null && target !== null) {
      if (reply.length > LARGEST_REPLY) return false;
      port = target.port & 0xffff;
      // an IPv4 address is the row's own (any number of peers); another is kept by index
      const v4 = packIpv4(target.ip);
      if (v4 !== NOT_IPV4) ip = v4;
      else {
        ip = this.ips.idOf(target.ip);
        port |= INTERNED_IP;
      }
      local = this.locals.idOf(target.local);
      if (ip < 0 || local < 0) return false;
      at = this.log.store(reply);
      if (at < 0) return false;
    }
    this.hash(key);
    const a = this.h[2]!;
    const b = this.h[3]!;
    // a key lingering already (a request retransmitted across its own final): the new row replaces it
    const old = this.findHashed(a, b);
    if (old >= 0) this.unslot(old);
    if (this.next - this.first > this.rowMask) this.growRows();
    const row = this.next++;
    const i = row & this.rowMask;
    this.rowA[i] = a;
    this.rowB[i] = b;
    this.rowKind[i] = kind;
    this.rowAt[i] = at;
    this.rowLen[i] = reply !== null ? reply.length : 0;
    this.rowIp[i] = ip;
    this.rowPort[i] = port;
    this.rowLocal[i] = local;
    const ticks = this.wheel.ticksFor(ms);
    if (!this.timer.armed) this.wheel.armTicks(this.timer, ticks, 0);
    this.rowDue[i] = this.wheel.ticks + ticks;
    if ((this.used + 1) * 2 > this.mask + 1) this.growSlots();
    this.slot(a, b, row);
    return true;
  }

  /** The oldest row ends. */
  private expire(): void {
    const row = this.first++;
    const i = row & this.rowMask;
    const kind = this.rowKind[i]!;
    const s = this.slotOf(this.rowA[i]!, this.rowB[i]!, row);
    if (s >= 0) this.unslot(s);
    // any row with bytes in the log (a non-INVITE's final, an INVITE's 2xx) frees them
    if (this.rowLen[i]! > 0) this.log.freeTo(this.rowAt[i]! + this.rowLen[i]!);
    if (this.first === this.next) this.log.freeTo(this.log.head);
    if (kind !== LingerKind.Client) {
      this.stats.waiting--;
      this.stats.freed++;
    }
  }

  /** The two 32-bit hashes of `key`, into h[2] and h[3]. */
  private hash(key: string): void {
    const h = this.h;
    let a = h[0]! ^ 0x811c9dc5;
    let b = h[1]!;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 13;
    }
    a ^= a >>> 16;
    a = Math.imul(a, 0x85ebca6b);
    a ^= a >>> 13;
    b = Math.imul(b ^ (b >>> 15), 0xc2b2ae35);
    b ^= b >>> 16;
    if (a === 0 && b === 0) a = 1;
    h[2] = a;
    h[3] = b;
  }

  /** The row `key` names (absolute position), or -1. */
  private find(key: string): number {
    this.hash(key);
    const s = this.findHashed(this.h[2]!, this.h[3]!);
    return s < 0 ? -1 : this.slotRow[s]!;
  }

  private findHashed(a: number, b: number): number {
    const mask = this.mask;
    for (let s = a & mask; ; s = (s + 1) & mask) {
      const sa = this.slotA[s]!;
      const sb = this.slotB[s]!;
      if (sa === 0 && sb === 0) return -1;
      if (sa === a && sb === b) return s;
    }
  }

  /** The slot holding `row`, or -1 (replaced by a newer row of the same key). */
  private slotOf(a: number, b: number, row: number): number {
    const s = this.findHashed(a, b);
    return s >= 0 && this.slotRow[s]! === row ? s : -1;
  }

  private slot(a: number, b: number, row: number): void {
    const mask = this.mask;
    let s = a & mask;
    while (this.slotA[s]! !== 0 || this.slotB[s]! !== 0) s = (s + 1) & mask;
    this.slotA[s] = a;
    this.slotB[s] = b;
    this.slotRow[s] = row;
    this.used++;
  }

  /** Empties slot `s`, moving back the slots after it that probing would no longer reach. */
  private unslot(s: number): void {
    const mask = this.mask;
    let hole = s;
    for (let j = (s + 1) & mask; this.slotA[j]! !== 0 || this.slotB[j]! !== 0; j = (j + 1) & mask) {
      if (stillReached(hole, this.slotA[j]! & mask, j)) continue;
      this.slotA[hole] = this.slotA[j]!;
      this.slotB[hole] = this.slotB[j]!;
      this.slotRow[hole] = this.slotRow[j]!;
      hole = j;
    }
    this.slotA[hole] = 0;
    this.slotB[hole] = 0;
    this.used--;
  }

  private growSlots(): void {
    const oldA = this.slotA;
    const oldB = this.slotB;
    const oldRow = this.slotRow;
    const n = oldA.length * 2;
    this.mask = n - 1;
    this.slotA = new Int32Array(n);
    this.slotB = new Int32Array(n);
    this.slotRow = new Float64Array(n);
    this.used = 0;
    for (let s = 0; s < oldA.length; s++)
      if (oldA[s]! !== 0 || oldB[s]! !== 0) this.slot(oldA[s]!, oldB[s]!, oldRow[s]!);
  }

  private growRows(): void {
    const cap = this.rowMask + 1;
    const n = cap * 2;
    const mask = n - 1;
    // each live row to its place in the larger queue, a stretch at a time where neither wraps
    // (a copy in C++ each: at 6000 calls/s a row at a time took 4.4 ms for 65,536 rows)
    const move = <T extends Int32Array | Uint8Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const a = make(n);
      for (let r = this.first; r < this.next;) {
        const from = r & this.rowMask;
        const to = r & mask;
        const len = Math.min(this.next - r, cap - from, n - to);
        a.set(old.subarray(from, from + len), to);
        r += len;
      }
      return a;
    };
    this.rowA = move(this.rowA, (k) => new Int32Array(k));
    this.rowB = move(this.rowB, (k) => new Int32Array(k));
    this.rowKind = move(this.rowKind, (k) => new Uint8Array(k));
    this.rowDue = move(this.rowDue, (k) => new Float64Array(k));
    this.rowAt = move(this.rowAt, (k) => new Float64Array(k));
    this.rowLen = move(this.rowLen, (k) => new Int32Array(k));
    this.rowIp = move(this.rowIp, (k) => new Int32Array(k));
    this.rowPort = move(this.rowPort, (k) => new Int32Array(k));
    this.rowLocal = move(this.rowLocal, (k) => new Int32Array(k));
    this.rowMask = mask;
  }
}

/** Values kept once each and named by their index (reply addresses, local sockets). */
class Interned<T> {
  readonly all: T[];
  private readonly ids = new Map<T, number>();

  constructor(first: T) {
    this.all = [first];
    this.ids.set(first, 0);
  }

  /** The index of `v`, kept now if new; -1 when MAX_PEERS are kept already. */
  idOf(v: T): number {
    const id = this.ids.get(v);
    if (id !== undefined) return id;
    if (this.all.length >= MAX_PEERS) return -1;
    this.all.push(v);
    this.ids.set(v, this.all.length - 1);
    return this.all.length - 1;
  }
}
