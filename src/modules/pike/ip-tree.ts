/**
 * pike's IP tree, with Kamailio's counting rules (so a source is blocked after the same
 * number of requests as in Kamailio): one node per address byte, created lazily — a
 * prefix node splits a child for the next byte only once it is "hot" (a quarter of
 * reqs_density_per_unit in the current or previous sampling unit), so a burst from one
 * address first builds its path and then counts on its full-address (leaf) node. A leaf
 * is red (blocked) while its hits in the current or previous unit, or their mean, reach
 * the density. Hits shift from current to previous at each sampling unit (swap);
 * nodes untouched for remove_latency expire (clean).
 */
export const enum Mark {
  Allowed = 1,
  Blocked = -1,
  NewlyBlocked = -2,
}

export class IpNode {
  /** hits as a prefix [previous unit, current unit]. */
  readonly hits: [number, number] = [0, 0];
  /** hits as a whole address. */
  readonly leafHits: [number, number] = [0, 0];
  /** This node ends a full address seen at least once. */
  ipLeaf = false;
  red = false;
  /** Expiry (ms since epoch) while it sits in the expiry list; 0 = not in it. */
  expires = 0;
  /** Children, newest first (Kamailio prepends). */
  readonly kids: IpNode[] = [];

  constructor(
    readonly byte: number,
    readonly parent: IpNode | null,
  ) {}
}

const MAX_COUNT = 0xfffe; // Kamailio keeps the counters in unsigned shorts

export class IpTree {
  /** One root per first byte. */
  readonly roots = new Map<number, IpNode>();

  constructor(
    readonly maxHits: number,
    readonly timeoutMs: number,
  ) {}

  hotLeaf(n: IpNode): boolean {
    const m = this.maxHits;
    return n.leafHits[0] >= m || n.leafHits[1] >= m || (n.leafHits[0] + n.leafHits[1]) >> 1 >= m;
  }

  private hotPrefix(n: IpNode): boolean {
    const q = this.maxHits >> 2;
    return n.hits[0] >= q || n.hits[1] >= q || (n.hits[0] + n.hits[1]) >> 1 >= q;
  }

  /** WARM in pike.top: a quarter of the density as a prefix in the current unit. */
  warm(n: IpNode): boolean {
    return n.hits[1] >= this.maxHits >> 2;
  }

  /** Counts one request from the address `ip` (its bytes) at time `now`. */
  mark(ip: Uint8Array, now: number): Mark {
    const first = ip[0];
    if (first === undefined) return Mark.Allowed;
    let node: IpNode | undefined = this.roots.get(first);
    let deepest: IpNode | null = null;
    let pos = 0;
    while (node && pos < ip.length) {
      deepest = node;
      pos++;
      node = pos < ip.length ? deepest.kids.find((k) => k.byte === ip[pos]) : undefined;
    }
    if (!deepest) {
      const root = new IpNode(first, null);
      root.hits[1] = 1;
      root.expires = now + this.timeoutMs;
      this.roots.set(first, root);
      return Mark.Allowed;
    }
    const next = ip[pos];
    if (next === undefined) {
      deepest.ipLeaf = true;
      if (deepest.leafHits[1] < MAX_COUNT) deepest.leafHits[1]++;
      deepest.expires = now + this.timeoutMs;
      if (deepest.red) return Mark.Blocked;
      if (this.hotLeaf(deepest)) {
        deepest.red = true;
        return Mark.NewlyBlocked;
      }
      return Mark.Allowed;
    }
    if (deepest.hits[1] < MAX_COUNT) deepest.hits[1]++;
    if (this.hotPrefix(deepest)) {
      const kid = new IpNode(next, deepest);
      kid.hits[1] = Math.max(0, deepest.hits[1] - 1);
      deepest.kids.unshift(kid);
      kid.expires = now + this.timeoutMs;
      // a prefix with children only expires through them
      if (!deepest.ipLeaf && deepest.kids.length === 1) deepest.expires = 0;
    } else if (this.warm(deepest) && (deepest.ipLeaf || deepest.kids.length === 0) && deepest.expires) {
      // a prefix with few hits is not refreshed, so it expires (Kamailio's NO_UPDATE)
      deepest.expires = now + this.timeoutMs;
    }
    return Mark.Allowed;
  }

  /** A sampling unit passed: current hits become previous; leaves that cooled down are unblocked. */
  swap(onUnblock: (n: IpNode) => void): void {
    const walk = (n: IpNode): void => {
      n.hits[0] = n.hits[1];
      n.hits[1] = 0;
      n.leafHits[0] = n.leafHits[1];
      n.leafHits[1] = 0;
      if (n.red && !this.hotLeaf(n)) {
        n.red = false;
        onUnblock(n);
      }
      for (const k of n.kids) walk(k);
    };
    for (const r of this.roots.values()) walk(r);
  }

  /** Drops nodes whose expiry passed; a parent left without children starts its own expiry. */
  clean(now: number): void {
    const expired: IpNode[] = [];
    const walk = (n: IpNode): void => {
      for (const k of n.kids) walk(k);
      if (n.expires && n.expires <= now) expired.push(n);
    };
    for (const r of this.roots.values()) walk(r);
    for (const n of expired) {
      n.expires = 0;
      if (n.kids.length) {
        n.ipLeaf = false; // an address inside a longer one: the node stays for its children
        n.leafHits[1] = 0;
        continue;
      }
      const p = n.parent;
      if (!p) {
        this.roots.delete(n.byte);
        continue;
      }
      p.kids.splice(p.kids.indexOf(n), 1);
      if (p.kids.length === 0 && !p.ipLeaf) p.expires = now + this.timeoutMs;
    }
  }

  /** Every full-address node with its address bytes, depth first, newest child first. */
  *leaves(): Generator<{ bytes: number[]; node: IpNode }> {
    const path: number[] = [];
    function* walk(n: IpNode): Generator<{ bytes: number[]; node: IpNode }> {
      path.push(n.byte);
      if (n.ipLeaf) yield { bytes: [...path], node: n };
      for (const k of n.kids) yield* walk(k);
      path.pop();
    }
    for (let b = 0; b < 256; b++) {
      const r = this.roots.get(b);
      if (r) yield* walk(r);
    }
  }
}
