/**
 * A string-keyed table for entries that come and go with every call (transactions in
 * progress, dialogs): an open-addressed hash table over plain arrays instead of a `Map`.
 *
 * Why not a `Map`: V8's `Map` is an ordered hash table that a table churned by every call
 * (one entry in, one out) rehashes every few calls into a new table, and the obsolete table
 * keeps its entries and a pointer to its successor. Once one such table is in the old
 * generation, every scavenge follows it to the next table and its entries, so entries long
 * gone were promoted with everything they held, table after table, until the next full
 * collection: at 6000 calls/s the transaction tables sent about a third of all calls to the
 * old generation, which then filled every second or two (README design notes, "A `Set`
 * churned by every call"; bench/PROFILE.md, session 20). Here an entry that leaves is
 * cleared on the spot, the arrays are replaced only to grow, and the old ones are emptied.
 */

/**
 * Whether the entry in slot `j`, whose home slot is `home`, is still reached by linear
 * probing once slot `hole` (before `j`) is emptied: its home lies cyclically in (hole, j].
 * Removal with backward shifts moves every entry after a hole for which this is false.
 */
export function stillReached(hole: number, home: number, j: number): boolean {
  return hole <= j ? hole < home && home <= j : hole < home || home <= j;
}

/** FNV-1a over the UTF-16 code units, then a final mix: spreads keys that differ late. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

export class ChurnTable<T> {
  private mask: number;
  private keys: (string | null)[];
  private vals: (T | null)[];
  /** Each entry's hash: a probe compares it before the key, a removal needs no rehashing. */
  private hashes: Int32Array;
  private count = 0;

  constructor(capacity = 256) {
    this.mask = capacity - 1;
    this.keys = new Array<string | null>(capacity).fill(null);
    this.vals = new Array<T | null>(capacity).fill(null);
    this.hashes = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  get(key: string): T | undefined {
    const s = this.find(key, hashOf(key));
    return s < 0 ? undefined : (this.vals[s] as T);
  }

  has(key: string): boolean {
    return this.find(key, hashOf(key)) >= 0;
  }

  set(key: string, val: T): void {
    const h = hashOf(key);
    const s = this.find(key, h);
    if (s >= 0) {
      this.vals[s] = val;
      return;
    }
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    this.put(key, val, h);
  }

  delete(key: string): boolean {
    const s = this.find(key, hashOf(key));
    if (s < 0) return false;
    this.remove(s);
    return true;
  }

  /** Removes `key` when it maps to `val` (an entry leaving, not one that replaced it). */
  deleteIf(key: string, val: T): void {
    const s = this.find(key, hashOf(key));
    if (s >= 0 && this.vals[s] === val) this.remove(s);
  }

  /** A snapshot of the entries, [key, value] (the table may change while the caller walks it). */
  entries(): [string, T][] {
    const out: [string, T][] = [];
    for (let s = 0; s <= this.mask; s++) {
      const k = this.keys[s];
      if (k !== null) out.push([k!, this.vals[s] as T]);
    }
    return out;
  }

  /** A snapshot of the entries' values (the table may change while the caller walks it). */
  values(): T[] {
    const out: T[] = [];
    for (let s = 0; s <= this.mask; s++) if (this.keys[s] !== null) out.push(this.vals[s] as T);
    return out;
  }

  private find(key: string, h: number): number {
    const mask = this.mask;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const k = this.keys[s];
      if (k === null) return -1;
      if (this.hashes[s] === h && k === key) return s;
    }
  }

  private put(key: string, val: T, h: number): void {
    const mask = this.mask;
    let s = h & mask;
    while (this.keys[s] !== null) s = (s + 1) & mask;
    this.keys[s] = key;
    this.vals[s] = val;
    this.hashes[s] = h;
    this.count++;
  }

  /** Empties slot `s`, moving back the entries after it that probing would no longer reach. */
  private remove(s: number): void {
    const mask = this.mask;
    let hole = s;
    for (let j = (s + 1) & mask; this.keys[j] !== null; j = (j + 1) & mask) {
      if (stillReached(hole, this.hashes[j]! & mask, j)) continue;
      this.keys[hole] = this.keys[j]!;
      this.vals[hole] = this.vals[j]!;
      this.hashes[hole] = this.hashes[j]!;
      hole = j;
    }
    this.keys[hole] = null;
    this.vals[hole] = null;
    this.count--;
  }

  private grow(): void {
    const keys = this.keys;
    const vals = this.vals;
    const hashes = this.hashes;
    const n = keys.length * 2;
    this.mask = n - 1;
    this.keys = new Array<string | null>(n).fill(null);
    this.vals = new Array<T | null>(n).fill(null);
    this.hashes = new Int32Array(n);
    this.count = 0;
    for (let s = 0; s < keys.length; s++) {
      if (keys[s] !== null) this.put(keys[s]!, vals[s] as T, hashes[s]!);
      // the old arrays may already be old-generation garbage: they must not hold anything
      keys[s] = null;
      vals[s] = null;
    }
  }
}
