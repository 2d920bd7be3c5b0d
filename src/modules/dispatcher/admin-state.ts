/**
 * Admin states that survive reloads and restarts (Kamailio forgets them): every
 * dispatcher.set_state/set_duid_state is remembered here, keyed by (set, URI) or
 * (set, duid), and re-applied to a freshly loaded list. The caller persists the
 * exported entries (e.g. a small JSON file next to the control socket) and imports them
 * at start.
 *
 * An entry is dropped when the health machine (keepalive or script mark) moves the
 * destination to another state — from then on the health view is newer than the admin's
 * — and when the destination is removed by dispatcher.remove.
 */

import { DS_DISABLED_DST, DS_INACTIVE_DST, DS_PROBING_DST, DS_STATES_ALL, DS_TRYING_DST } from './flags';
import { DsList, DsSet, Destination } from './model';

export interface AdminStateEntry {
  readonly setId: number;
  /** Exactly one of uri / duid. */
  readonly uri?: string;
  readonly duid?: string;
  /** set_state value that reproduces it: a, ap, i, ip, t, tp or d. */
  readonly state: string;
  /** When it was set (clock ms). */
  readonly at: number;
  /** Where it came from: the RPC that set it, or where it was restored from ('state file', 'cluster'). */
  readonly origin?: string;
}

/** The set_state string for state bits. */
function stateToken(bits: number): string {
  if (bits & DS_DISABLED_DST) return 'd';
  const p = bits & DS_PROBING_DST ? 'p' : '';
  if (bits & DS_INACTIVE_DST) return 'i' + p;
  if (bits & DS_TRYING_DST) return 't' + p;
  return 'a' + p;
}

/** Bits of a stored token (the RPC parser's mapping). */
function tokenBits(token: string): number | null {
  const c = token[0]?.toLowerCase();
  const p = token.charAt(1).toLowerCase() === 'p' ? DS_PROBING_DST : 0;
  switch (c) {
    case 'a':
      return p;
    case 'i':
      return DS_INACTIVE_DST | p;
    case 't':
      return DS_TRYING_DST | p;
    case 'd':
      return DS_DISABLED_DST;
    default:
      return null;
  }
}

function keyOf(setId: number, kind: 'u' | 'd', v: string): string {
  return `${setId}\u0000${kind}\u0000${v.toLowerCase()}`;
}

function findTarget(set: DsSet, e: AdminStateEntry): Destination | null {
  if (e.duid !== undefined) {
    const l = e.duid.toLowerCase();
    return set.dests.find((d) => d.attrs.duid !== null && d.attrs.duid.toLowerCase() === l) ?? null;
  }
  const l = (e.uri ?? '').toLowerCase();
  return set.dests.find((d) => d.uri.toLowerCase() === l) ?? null;
}

export class AdminStateOverlay {
  private readonly entries = new Map<string, AdminStateEntry>();

  /** Called after every change, so the owner can persist the entries. */
  constructor(private readonly onChange: () => void = () => undefined) {}

  get size(): number {
    return this.entries.size;
  }

  setByUri(setId: number, uri: string, bits: number, at: number, origin = 'dispatcher.set_state'): void {
    this.entries.set(keyOf(setId, 'u', uri), { setId, uri, state: stateToken(bits), at, origin });
    this.onChange();
  }

  setByDuid(setId: number, duid: string, bits: number, at: number, origin = 'dispatcher.set_duid_state'): void {
    this.entries.set(keyOf(setId, 'd', duid), { setId, duid, state: stateToken(bits), at, origin });
    this.onChange();
  }

  /**
   * Drops entries: all, those of one set, or the one of a set naming `target` (a URI or a
   * duid, case-insensitive). Returns what was dropped.
   */
  drop(setId?: number, target?: string): AdminStateEntry[] {
    const t = target?.toLowerCase();
    const out: AdminStateEntry[] = [];
    for (const [k, e] of this.entries) {
      if (setId !== undefined && e.setId !== setId) continue;
      if (t !== undefined && (e.uri ?? e.duid ?? '').toLowerCase() !== t) continue;
      this.entries.delete(k);
      out.push(e);
    }
    if (out.length) this.onChange();
    return out;
  }

  /** The health machine changed `d`: forget admin entries that no longer describe it. */
  supersede(d: Destination): void {
    const bits = d.flags & DS_STATES_ALL;
    for (const k of [keyOf(d.setId, 'u', d.uri), d.attrs.duid !== null ? keyOf(d.setId, 'd', d.attrs.duid) : null]) {
      if (k === null) continue;
      const e = this.entries.get(k);
      if (e !== undefined && tokenBits(e.state) !== (bits & ~16)) {
        this.entries.delete(k);
        this.onChange();
      }
    }
  }

  /** dispatcher.remove took (setId, uri) out. */
  forget(setId: number, uri: string): void {
    if (this.entries.delete(keyOf(setId, 'u', uri))) this.onChange();
  }

  clear(): void {
    this.entries.clear();
    this.onChange();
  }

  /**
   * Re-applies every entry to `list` with `apply(set, dest, bits)`; returns the entries
   * that matched nothing (kept: the destination may come back).
   */
  applyTo(list: DsList, apply: (set: DsSet, d: Destination, bits: number) => void): AdminStateEntry[] {
    const unmatched: AdminStateEntry[] = [];
    for (const e of this.entries.values()) {
      const set = list.byId.get(e.setId);
      const d = set ? findTarget(set, e) : null;
      const bits = tokenBits(e.state);
      if (!set || d === null || bits === null) {
        unmatched.push(e);
        continue;
      }
      apply(set, d, bits);
    }
    return unmatched;
  }

  export(): AdminStateEntry[] {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  /** Replaces the entries; invalid ones are returned, not imported. `origin` labels where they came from. */
  import(list: readonly AdminStateEntry[], origin?: string): AdminStateEntry[] {
    const bad: AdminStateEntry[] = [];
    this.entries.clear();
    for (const e of list) {
      const ok =
        typeof e.setId === 'number' &&
        Number.isInteger(e.setId) &&
        tokenBits(String(e.state)) !== null &&
        (typeof e.uri === 'string') !== (typeof e.duid === 'string');
      if (!ok) {
        bad.push(e);
        continue;
      }
      const at = typeof e.at === 'number' ? e.at : 0;
      const o = origin ?? (typeof e.origin === 'string' ? e.origin : undefined);
      const extra = o !== undefined ? { origin: o } : {};
      if (e.uri !== undefined)
        this.entries.set(keyOf(e.setId, 'u', e.uri), {
          setId: e.setId,
          uri: e.uri,
          state: String(e.state),
          at,
          ...extra,
        });
      else
        this.entries.set(keyOf(e.setId, 'd', e.duid!), {
          setId: e.setId,
          duid: e.duid!,
          state: String(e.state),
          at,
          ...extra,
        });
    }
    return bad;
  }
}
