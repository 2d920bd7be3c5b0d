/**
 * Splice-based message rewriting, in the spirit of Kamailio's lumps: the message is
 * never re-serialized; edits are byte ranges of the original replaced by new text,
 * applied in one pass when the outgoing buffer is built. What is not edited goes out
 * exactly as it came in.
 */
import type { SipMessage } from './message';

export interface Edit {
  /** [start, end) in the original message; start === end inserts. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** A set of edits against one message; shared by every branch built from it. */
export class EditList {
  readonly edits: Edit[] = [];

  insert(at: number, text: string): void {
    this.edits.push({ start: at, end: at, text });
  }

  replace(start: number, end: number, text: string): void {
    this.edits.push({ start, end, text });
  }

  remove(start: number, end: number): void {
    this.edits.push({ start, end, text: '' });
  }

  /** True when some edit already removes or replaces bytes overlapping [start, end). */
  touches(start: number, end: number): boolean {
    for (const e of this.edits) if (e.end > e.start && e.start < end && start < e.end) return true;
    return false;
  }

  clone(): EditList {
    const c = new EditList();
    for (const e of this.edits) c.edits.push(e);
    return c;
  }
}

/**
 * Builds the outgoing bytes: `msg` with every edit of every list applied (lists are
 * concatenated in order; among inserts at one offset the earlier one comes first).
 * An edit overlapping a range an earlier edit already consumed is dropped: removing a
 * whole header line wins over splicing inside it.
 */
export function applyEdits(msg: SipMessage, ...lists: Array<EditList | Edit[] | undefined>): Buffer {
  const all: Edit[] = [];
  for (const l of lists) {
    if (!l) continue;
    const arr = Array.isArray(l) ? l : l.edits;
    for (const e of arr) insertSorted(all, e);
  }
  const src = msg.wire;
  if (all.length === 0) return src;
  const head = msg.head;
  // Edits are (nearly always) in the header section, which the parser already holds as a
  // latin1 string: the new header section is built as one string and written with one
  // call, the body copied after it. Per edit, a Buffer copy and a write each cost a trip
  // into C++; a string slice costs none (see bench/PROFILE.md, session 5).
  let text = '';
  let pos = 0;
  let i = 0;
  for (; i < all.length; i++) {
    const e = all[i]!;
    if (e.start > head.length) break;
    if (e.start < pos) continue; // overlaps a consumed range
    text += e.start > pos ? head.slice(pos, e.start) + e.text : e.text;
    pos = e.end;
  }
  if (i === all.length && pos <= head.length) {
    if (pos < head.length) text += head.slice(pos);
    const bodyLen = src.length > head.length ? src.length - head.length : 0;
    // Outgoing messages may be kept for seconds (retransmissions): they are allocated
    // outside Node's shared 8 KiB pool, so a kept message never pins a whole slab.
    const out = Buffer.allocUnsafeSlow(text.length + bodyLen);
    out.write(text, 0, 'latin1');
    if (bodyLen > 0) src.copy(out, text.length, head.length);
    return out;
  }
  return applyByCopy(src, all);
}

/**
 * Into `all`, kept in apply order: by start offset; at one offset inserts first (in
 * arrival order), then the widest removal, so a whole-line removal beats a splice
 * starting at the same byte. An insertion sort: a handful of edits, no sort machinery.
 */
function insertSorted(all: Edit[], e: Edit): void {
  let j = all.length;
  all.push(e);
  while (j > 0 && after(all[j - 1]!, e)) {
    all[j] = all[j - 1]!;
    j--;
  }
  all[j] = e;
}

/** True when `a` goes after `b`. */
function after(a: Edit, b: Edit): boolean {
  if (a.start !== b.start) return a.start > b.start;
  const ar = a.end > a.start;
  const br = b.end > b.start;
  if (ar !== br) return ar;
  return ar && a.end < b.end;
}

/** The general case (an edit past the header section, e.g. in the body): range by range. */
function applyByCopy(src: Buffer, all: Edit[]): Buffer {
  let total = 0;
  let pos = 0;
  for (const e of all) {
    if (e.start < pos) continue;
    total += e.start - pos + Buffer.byteLength(e.text, 'latin1');
    pos = e.end;
  }
  if (pos < src.length) total += src.length - pos;
  const out = Buffer.allocUnsafeSlow(total);
  let w = 0;
  pos = 0;
  for (const e of all) {
    if (e.start < pos) continue; // overlaps a consumed range
    if (e.start > pos) w += src.copy(out, w, pos, e.start);
    if (e.text.length) w += out.write(e.text, w, 'latin1');
    pos = e.end;
  }
  if (pos < src.length) src.copy(out, w, pos);
  return out;
}
