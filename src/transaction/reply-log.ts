/**
 * The bytes of the replies that lingering rows keep (linger.ts), in a log of fixed chunks:
 * written in order at the head, let go in order at the tail, since every row lives the
 * same wt_timer. Nothing here is traced by the garbage collector but the chunks themselves.
 *
 * Chunks, not one ring grown by doubling: at 6000 calls/s the ring's growth to 32 MB copied
 * 16 MB in one go (8.7 ms), and a stall that long on the event loop is the tail. Chunks the
 * tail frees are kept for the head to write into again, as many as are live: a steady load
 * allocates nothing (4 MB/s of new buffers at 6000 calls/s had V8 run a full collection
 * every ~1.4 s), and the log shrinks when the load falls.
 */

/** A reply is kept here only up to this size: a chunk loses at most this much at its end. */
export const LARGEST_REPLY = 8 * 1024;
/** Its pages are touched only as replies are written (a chunk this size is its own mapping). */
const CHUNK = 256 * 1024;
/** Chunks live at most (64 MB): beyond, store() refuses. */
const MAX_CHUNKS = 256;
/** Indexes of the write position and the oldest live byte in `pos`. */
const HEAD = 0;
const TAIL = 1;

export class ReplyLog {
  /** Chunk k of the log at k % MAX_CHUNKS (null once the tail has passed it). */
  private readonly chunks: (Buffer | null)[] = new Array<Buffer | null>(MAX_CHUNKS).fill(null);
  /** Chunks let go by the tail, for the head to write into again. */
  private readonly spare: Buffer[] = [];
  /**
   * Absolute positions, [tail, head) live. In a typed array, not fields: a position read
   * back from a row's Float64Array is a double, and a field that held a small integer in one
   * log and a double in another would give the logs different hidden classes (the warm-up's
   * and the real one's), throwing away the code the warm-up optimised.
   */
  private readonly pos = new Float64Array(2);

  /** The write position: every byte before it has been written. */
  get head(): number {
    return this.pos[HEAD]!;
  }

  /** Copies `reply` (at most LARGEST_REPLY) in; its absolute position, or -1 when the log is at its bound. */
  store(reply: Buffer): number {
    const n = reply.length;
    let at = this.pos[HEAD]!;
    const off = at % CHUNK;
    // a reply never spans chunks: the rest of this one is skipped
    if (off + n > CHUNK) at += CHUNK - off;
    const k = Math.floor(at / CHUNK);
    if (k - Math.floor(this.pos[TAIL]! / CHUNK) >= MAX_CHUNKS) return -1;
    let chunk = this.chunks[k % MAX_CHUNKS];
    if (!chunk) chunk = this.chunks[k % MAX_CHUNKS] = this.spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
    reply.copy(chunk, at % CHUNK);
    this.pos[HEAD] = at + n;
    return at;
  }

  /** A copy of the `len` live bytes at `at`: the log's own are not a send's to hold on to. */
  copy(at: number, len: number): Buffer {
    const off = at % CHUNK;
    return Buffer.from(this.chunks[Math.floor(at / CHUNK) % MAX_CHUNKS]!.subarray(off, off + len));
  }

  /** Bytes before `tail` are no longer needed. */
  freeTo(tail: number): void {
    const from = Math.floor(this.pos[TAIL]! / CHUNK);
    const to = Math.floor(tail / CHUNK);
    this.pos[TAIL] = tail;
    if (to === from) return;
    const live = Math.floor(this.pos[HEAD]! / CHUNK) - to + 1;
    for (let k = from; k < to; k++) {
      const c = this.chunks[k % MAX_CHUNKS];
      this.chunks[k % MAX_CHUNKS] = null;
      if (c && this.spare.length < live) this.spare.push(c);
    }
  }
}
