// Per-message AVP and XAVP storage. Like Kamailio, every name holds a stack of
// items, newest first (index 0), and negative indexes count from the oldest end
// (-1 = oldest). An XAVP item is either a scalar or a record of fields; a field
// itself holds a stack of values. The dispatcher keeps its `_dsdst_` records here.

export type XavpScalar = string | number;

function fixIndex(idx: number, count: number): number {
  return idx < 0 ? count + idx : idx;
}

/** One XAVP record: field name → values, newest first. */
export class XavpRecord {
  private readonly fields = new Map<string, XavpScalar[]>();

  constructor(init?: Readonly<Record<string, XavpScalar>> | Iterable<readonly [string, XavpScalar]>) {
    if (init === undefined) return;
    const entries =
      Symbol.iterator in Object(init)
        ? (init as Iterable<readonly [string, XavpScalar]>)
        : Object.entries(init as Record<string, XavpScalar>);
    for (const [k, v] of entries) this.fields.set(k, [v]);
  }

  get(field: string, idx = 0): XavpScalar | null {
    const vs = this.fields.get(field);
    if (vs === undefined) return null;
    return vs[fixIndex(idx, vs.length)] ?? null;
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  count(field: string): number {
    return this.fields.get(field)?.length ?? 0;
  }

  /** Add a value on top of the field's stack (Kamailio xavp_add). */
  add(field: string, v: XavpScalar): this {
    const vs = this.fields.get(field);
    if (vs === undefined) this.fields.set(field, [v]);
    else vs.unshift(v);
    return this;
  }

  /** Replace the value at idx (default the newest); adds the field if missing. */
  set(field: string, v: XavpScalar, idx = 0): this {
    const vs = this.fields.get(field);
    if (vs === undefined) {
      this.fields.set(field, [v]);
      return this;
    }
    const i = fixIndex(idx, vs.length);
    if (i >= 0 && i < vs.length) vs[i] = v;
    return this;
  }

  /** Remove one value (idx) or the whole field (idx omitted or 'all'). */
  remove(field: string, idx?: number | 'all'): void {
    if (idx === undefined || idx === 'all') {
      this.fields.delete(field);
      return;
    }
    const vs = this.fields.get(field);
    if (vs === undefined) return;
    const i = fixIndex(idx, vs.length);
    if (i >= 0 && i < vs.length) vs.splice(i, 1);
    if (vs.length === 0) this.fields.delete(field);
  }

  fieldNames(): string[] {
    return [...this.fields.keys()];
  }

  /** Newest value of every field. */
  toObject(): Record<string, XavpScalar> {
    const o: Record<string, XavpScalar> = {};
    for (const [k, vs] of this.fields) if (vs[0] !== undefined) o[k] = vs[0];
    return o;
  }

  clone(): XavpRecord {
    const r = new XavpRecord();
    for (const [k, vs] of this.fields) r.fields.set(k, vs.slice());
    return r;
  }
}

type XavpItem = XavpScalar | XavpRecord;

class XavpStore {
  private readonly lists = new Map<string, XavpItem[]>();

  list(name: string): readonly XavpItem[] {
    return this.lists.get(name) ?? [];
  }

  count(name: string): number {
    return this.lists.get(name)?.length ?? 0;
  }

  get(name: string, idx = 0): XavpItem | null {
    const l = this.lists.get(name);
    if (l === undefined) return null;
    return l[fixIndex(idx, l.length)] ?? null;
  }

  record(name: string, idx = 0): XavpRecord | null {
    const it = this.get(name, idx);
    return it instanceof XavpRecord ? it : null;
  }

  field(name: string, idx: number, field: string, fidx = 0): XavpScalar | null {
    const r = this.record(name, idx);
    return r === null ? null : r.get(field, fidx);
  }

  /** Add on top (newest, index 0). */
  push(name: string, item: XavpItem): void {
    const l = this.lists.get(name);
    if (l === undefined) this.lists.set(name, [item]);
    else l.unshift(item);
  }

  /** Add at the bottom (oldest). */
  append(name: string, item: XavpItem): void {
    const l = this.lists.get(name);
    if (l === undefined) this.lists.set(name, [item]);
    else l.push(item);
  }

  /** Insert so the item ends up at position idx (0 = top). */
  insert(name: string, idx: number, item: XavpItem): void {
    const l = this.lists.get(name);
    if (l === undefined) {
      this.lists.set(name, [item]);
      return;
    }
    l.splice(Math.max(0, Math.min(l.length, fixIndex(idx, l.length + 1))), 0, item);
  }

  /** Replace the item at idx; false if there is none. */
  setAt(name: string, idx: number, item: XavpItem): boolean {
    const l = this.lists.get(name);
    if (l === undefined) return false;
    const i = fixIndex(idx, l.length);
    if (i < 0 || i >= l.length) return false;
    l[i] = item;
    return true;
  }

  removeAt(name: string, idx: number): XavpItem | null {
    const l = this.lists.get(name);
    if (l === undefined) return null;
    const i = fixIndex(idx, l.length);
    if (i < 0 || i >= l.length) return null;
    const [it] = l.splice(i, 1);
    if (l.length === 0) this.lists.delete(name);
    return it ?? null;
  }

  removeAll(name: string): void {
    this.lists.delete(name);
  }

  names(): string[] {
    return [...this.lists.keys()];
  }

  clear(): void {
    this.lists.clear();
  }
}

/** Kamailio AVPs: name → stack of values, newest first. */
class AvpStore {
  private readonly avps = new Map<string, XavpScalar[]>();

  get(name: string, idx = 0): XavpScalar | null {
    const vs = this.avps.get(name);
    if (vs === undefined) return null;
    return vs[fixIndex(idx, vs.length)] ?? null;
  }

  all(name: string): readonly XavpScalar[] {
    return this.avps.get(name) ?? [];
  }

  add(name: string, v: XavpScalar): void {
    const vs = this.avps.get(name);
    if (vs === undefined) this.avps.set(name, [v]);
    else vs.unshift(v);
  }

  /** Replace every value with v. */
  replace(name: string, v: XavpScalar): void {
    this.avps.set(name, [v]);
  }

  remove(name: string, idx?: number): void {
    if (idx === undefined) {
      this.avps.delete(name);
      return;
    }
    const vs = this.avps.get(name);
    if (vs === undefined) return;
    const i = fixIndex(idx, vs.length);
    if (i >= 0 && i < vs.length) vs.splice(i, 1);
    if (vs.length === 0) this.avps.delete(name);
  }

  clear(): void {
    this.avps.clear();
  }
}

/** Everything the script keeps per message (the core carries it into failure/reply routes). */
export class MessageStore {
  readonly avps = new AvpStore();
  readonly xavps = new XavpStore();
}
