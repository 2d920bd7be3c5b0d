// Cuts a byte stream into JSON documents the way jsonrpcs reads its FIFO: count braces
// outside strings until they balance. Unlike Kamailio, a document over the size limit is
// skipped to its end instead of leaving the reader mid-document, and a document left
// unfinished can be dropped (reset()) so the next writer is not glued onto it.

export type DocEvent =
  { readonly kind: 'doc'; readonly text: string } | { readonly kind: 'oversized'; readonly bytes: number };

export class DocFramer {
  private buf: number[] = [];
  private depth = 0;
  private started = false;
  private inString: 0 | 0x22 | 0x27 = 0;
  private escaped = false;
  private skipped = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes of an unfinished document are pending. */
  get pending(): boolean {
    return this.started || this.buf.length > 0;
  }

  reset(): void {
    this.buf = [];
    this.depth = 0;
    this.started = false;
    this.inString = 0;
    this.escaped = false;
    this.skipped = 0;
  }

  push(chunk: Buffer): DocEvent[] {
    const out: DocEvent[] = [];
    for (const b of chunk) {
      if (!this.started && (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
        // whitespace between documents; a line of garbage before any `{` is dropped whole
        if (b === 0x0a && this.buf.length > 0) this.reset();
        if (this.buf.length === 0) continue;
      }
      if (this.skipped > 0) this.skipped++;
      else if (this.buf.length >= this.maxBytes) {
        this.skipped = this.buf.length + 1;
        this.buf = [];
      } else this.buf.push(b);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === 0x5c) this.escaped = true;
        else if (b === this.inString) this.inString = 0;
        continue;
      }
      if (b === 0x22 || b === 0x27) this.inString = b;
      else if (b === 0x7b) {
        this.depth++;
        this.started = true;
      } else if (b === 0x7d && this.started) this.depth--;
      if (this.started && this.depth === 0) {
        if (this.skipped > 0) out.push({ kind: 'oversized', bytes: this.skipped });
        else out.push({ kind: 'doc', text: Buffer.from(this.buf).toString('utf8') });
        this.reset();
      }
    }
    return out;
  }
}
