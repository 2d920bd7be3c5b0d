/**
 * The AVL tree Kamailio keeps its sets in (Neil Brown's variant with a `longer` balance
 * field). Only its shape matters to us: RPC output, ds_is_from_list() over all groups,
 * keepalive rounds and add/remove rebuilds all walk the sets in POST-order (left subtree,
 * right subtree, node), which is not ascending setid. Sets inserted 1,2,3 come out 1,3,2.
 */

const NEITHER = -1;

export class AvlNode {
  longer = NEITHER;
  readonly next: [AvlNode | null, AvlNode | null] = [null, null];
  constructor(readonly id: number) {}
}

/** A slot that holds a subtree: the tree root, or one child link of a node. */
interface Slot {
  get(): AvlNode | null;
  set(n: AvlNode): void;
}

export class AvlTree {
  private root: AvlNode | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  private rootSlot(): Slot {
    return {
      get: () => this.root,
      set: (n) => {
        this.root = n;
      },
    };
  }

  private static childSlot(node: AvlNode, dir: 0 | 1): Slot {
    return {
      get: () => node.next[dir],
      set: (n) => {
        node.next[dir] = n;
      },
    };
  }

  has(id: number): boolean {
    let n = this.root;
    while (n !== null && n.id !== id) n = n.next[id > n.id ? 1 : 0];
    return n !== null;
  }

  /** Inserts `id` if absent; returns true when a node was added. */
  insert(id: number): boolean {
    let slot = this.rootSlot();
    let rotationTop = slot;
    let node = this.root;
    while (node !== null && id !== node.id) {
      const dir = id > node.id ? 1 : 0;
      if (node.longer >= 0) rotationTop = slot;
      slot = AvlTree.childSlot(node, dir);
      node = node.next[dir];
    }
    if (node !== null) return false;
    slot.set(new AvlNode(id));
    this.count++;
    rebalance(rotationTop, id);
    return true;
  }

  /** Set ids in post-order. */
  postOrder(): number[] {
    const out: number[] = [];
    const walk = (n: AvlNode | null): void => {
      if (n === null) return;
      walk(n.next[0]);
      walk(n.next[1]);
      out.push(n.id);
    };
    walk(this.root);
    return out;
  }
}

function rebalancePath(path: AvlNode | null, id: number): void {
  while (path !== null && id !== path.id) {
    const dir = id > path.id ? 1 : 0;
    path.longer = dir;
    path = path.next[dir];
  }
}

function rotate2(top: Slot, dir: 0 | 1): AvlNode | null {
  const other = (1 - dir) as 0 | 1;
  const B = top.get()!;
  const D = B.next[dir]!;
  const C = D.next[other];
  const E = D.next[dir];
  top.set(D);
  D.next[other] = B;
  B.next[dir] = C;
  B.longer = NEITHER;
  D.longer = NEITHER;
  return E;
}

function rotate3(top: Slot, dir: 0 | 1, third: number): AvlNode | null {
  const other = (1 - dir) as 0 | 1;
  const B = top.get()!;
  const F = B.next[dir]!;
  const D = F.next[other]!;
  const C = D.next[other];
  const E = D.next[dir];
  top.set(D);
  D.next[other] = B;
  D.next[dir] = F;
  B.next[dir] = C;
  F.next[other] = E;
  D.longer = NEITHER;
  B.longer = NEITHER;
  F.longer = NEITHER;
  if (third === NEITHER) return null;
  if (third === dir) {
    B.longer = 1 - dir;
    return E;
  }
  F.longer = dir;
  return C;
}

function rebalance(top: Slot, id: number): void {
  let path = top.get()!;
  if (path.longer < 0) {
    rebalancePath(path, id);
    return;
  }
  const first: 0 | 1 = id > path.id ? 1 : 0;
  if (path.longer !== first) {
    path.longer = NEITHER;
    rebalancePath(path.next[first], id);
    return;
  }
  const second: 0 | 1 = id > path.next[first]!.id ? 1 : 0;
  if (first === second) {
    rebalancePath(rotate2(top, first), id);
    return;
  }
  path = path.next[first]!.next[second]!;
  const third = id === path.id ? NEITHER : id > path.id ? 1 : 0;
  rebalancePath(rotate3(top, first, third), id);
}
