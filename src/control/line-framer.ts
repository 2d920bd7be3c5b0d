// Splits a byte stream into newline-terminated lines without copying the common case (a whole
// request inside one chunk), and enforces the maximum line size before buffering more.

export type FramerEvent = { readonly kind: 'line'; readonly line: string } | { readonly kind: 'overflow' };

export class LineFramer {
  private parts: Buffer[] = [];
  private pending = 0;
  private overflowed = false;

  constructor(private readonly maxBytes: number) {}

  /** Feeds a chunk; returns the complete lines it finished (and `overflow` once, after which everything is dropped). */
  push(chunk: Buffer): FramerEvent[] {
    if (this.overflowed) return [];
    const out: FramerEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (this.pending + (end - start) > this.maxBytes) {
        this.overflowed = true;
        this.parts = [];
        this.pending = 0;
        out.push({ kind: 'overflow' });
        return out;
      }
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      const buf = this.pending ? Buffer.concat([...this.parts, piece]) : piece;
      this.parts = [];
      this.pending = 0;
      out.push({ kind: 'line', line: stripCr(buf.toString('utf8')) });
      start = nl + 1;
    }
    if (start < chunk.length) {
      // Copy: the rest waits for more data and must not pin the whole chunk.
      const rest = Buffer.from(chunk.subarray(start));
      this.parts.push(rest);
      this.pending += rest.length;
    }
    return out;
  }

  /** At end of stream: a last request without a trailing newline still counts. */
  end(): FramerEvent[] {
    if (this.overflowed || this.pending === 0) return [];
    const line = stripCr(Buffer.concat(this.parts).toString('utf8'));
    this.parts = [];
    this.pending = 0;
    return [{ kind: 'line', line }];
  }
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
