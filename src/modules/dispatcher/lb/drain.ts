/**
 * Drain (dsd extension): a draining destination takes no new dialog — every selection
 * steps over it as if it were inactive — while in-dialog requests keep following the
 * Record-Route to it, probing goes on and ds_is_from_list() still matches it.
 *
 * Entries are kept by (set, URI) or (set, duid), like admin states, so a reload keeps
 * them. Entries with `persist` are saved with the admin states and survive a restart;
 * the others live in memory only.
 */
import type { Destination, DsSet } from '../model';

/**
 * A drain or undrain as a change (change.ts carries it like set_state): `uri` may be
 * `all`; by duid, every destination of the set carrying that duid.
 */
export type DrainChange =
  | { readonly kind: 'drain'; readonly setId: number; readonly uri: string }
  | { readonly kind: 'drainDuid'; readonly setId: number; readonly duid: string }
  | { readonly kind: 'undrain'; readonly setId: number; readonly uri: string }
  | { readonly kind: 'undrainDuid'; readonly setId: number; readonly duid: string };

/** The change of dispatcher.[un]drain[_duid] `setId target`. */
export function drainChange(on: boolean, byDuid: boolean, setId: number, target: string): DrainChange {
  if (byDuid) return { kind: on ? 'drainDuid' : 'undrainDuid', setId, duid: target };
  return { kind: on ? 'drain' : 'undrain', setId, uri: target };
}

/** What a DrainChange does: on/off, and to which target. */
export function drainTarget(c: DrainChange): { on: boolean; byDuid: boolean; target: string } {
  switch (c.kind) {
    case 'drain':
    case 'undrain':
      return { on: c.kind === 'drain', byDuid: false, target: c.uri };
    case 'drainDuid':
    case 'undrainDuid':
      return { on: c.kind === 'drainDuid', byDuid: true, target: c.duid };
  }
}

export interface DrainEntry {
  readonly setId: number;
  /** Exactly one of uri / duid. */
  readonly uri?: string;
  readonly duid?: string;
  /** When it was set (clock ms). */
  readonly at: number;
  readonly persist: boolean;
}

function key(setId: number, kind: 'u' | 'd', v: string): string {
  return `${setId}\u0000${kind}\u0000${v.toLowerCase()}`;
}

function entryKey(e: DrainEntry): string {
  return e.duid !== undefined ? key(e.setId, 'd', e.duid) : key(e.setId, 'u', e.uri ?? '');
}

export class DrainTable {
  private readonly entries = new Map<string, DrainEntry>();

  constructor(private readonly onChange: (persistedChanged: boolean) => void = () => undefined) {}

  get size(): number {
    return this.entries.size;
  }

  set(e: DrainEntry): void {
    const k = entryKey(e);
    const old = this.entries.get(k);
    this.entries.set(k, e);
    this.onChange(e.persist || old?.persist === true);
  }

  /** Removes the entry for (set, uri|duid); true when there was one. */
  clear(setId: number, target: { uri?: string; duid?: string }): boolean {
    const k = target.duid !== undefined ? key(setId, 'd', target.duid) : key(setId, 'u', target.uri ?? '');
    const old = this.entries.get(k);
    if (old === undefined) return false;
    this.entries.delete(k);
    this.onChange(old.persist);
    return true;
  }

  /** Undrain a destination whichever way it was drained (by URI and by duid). */
  clearDest(d: Destination): boolean {
    let any = this.clear(d.setId, { uri: d.uri });
    if (d.attrs.duid !== null) any = this.clear(d.setId, { duid: d.attrs.duid }) || any;
    return any;
  }

  entryFor(d: Destination): DrainEntry | null {
    if (this.entries.size === 0) return null;
    const byUri = this.entries.get(key(d.setId, 'u', d.uri));
    if (byUri !== undefined) return byUri;
    return d.attrs.duid !== null ? (this.entries.get(key(d.setId, 'd', d.attrs.duid)) ?? null) : null;
  }

  isDraining(d: Destination): boolean {
    return this.entryFor(d) !== null;
  }

  /** Does any destination of `set` drain? (lets selections skip the per-entry checks). */
  touches(set: DsSet): boolean {
    if (this.entries.size === 0) return false;
    for (const e of this.entries.values()) if (e.setId === set.id) return true;
    return false;
  }

  export(onlyPersisted = false): DrainEntry[] {
    return [...this.entries.values()].filter((e) => !onlyPersisted || e.persist).map((e) => ({ ...e }));
  }

  /** Replaces every entry with `list` (the cluster's drains, at start and after a resync). */
  replace(list: readonly DrainEntry[]): void {
    const persisted = [...this.entries.values()].some((e) => e.persist);
    this.entries.clear();
    for (const e of list) this.entries.set(entryKey(e), e);
    this.onChange(persisted || list.some((e) => e.persist));
  }

  /** Adds saved entries (from the state file); invalid ones are returned, not imported. */
  import(list: readonly unknown[]): unknown[] {
    const bad: unknown[] = [];
    for (const raw of list) {
      const e = raw as Partial<DrainEntry>;
      const ok =
        typeof e === 'object' &&
        e !== null &&
        typeof e.setId === 'number' &&
        Number.isInteger(e.setId) &&
        (typeof e.uri === 'string') !== (typeof e.duid === 'string');
      if (!ok) {
        bad.push(raw);
        continue;
      }
      const entry: DrainEntry =
        e.uri !== undefined
          ? { setId: e.setId!, uri: e.uri, at: typeof e.at === 'number' ? e.at : 0, persist: true }
          : { setId: e.setId!, duid: e.duid!, at: typeof e.at === 'number' ? e.at : 0, persist: true };
      this.entries.set(entryKey(entry), entry);
    }
    return bad;
  }

  /** dispatcher.remove took (set, uri) out. */
  forget(setId: number, uri: string): void {
    this.clear(setId, { uri });
  }
}
