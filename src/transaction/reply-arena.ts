/**
 * Final replies that server transactions keep to answer retransmissions over UDP (a
 * non-INVITE's for wt_timer, a negative INVITE final's until its ACK), copied side by side
 * into shared slabs instead of each keeping the buffer it was built in.
 *
 * Every outgoing message is built in a buffer of its own (sip/editor.ts: so that a kept
 * one never pins a pool slab of short-lived neighbours). Kept for seconds, each such reply
 * is promoted with its ArrayBuffer, and every full collection then frees the ones that
 * ended since the last: under --single-threaded-gc on the event loop's thread, in the
 * pause — 17–20 ms of a 26–28 ms pause at 6000 calls/s (bench/PROFILE.md, session 19).
 * Here a kept reply is a view into a slab holding replies kept at about the same time,
 * which end at about the same time too: a slab outlives its replies by at most the time it
 * took to fill (milliseconds under load; at a few calls a minute, one slab of SLAB bytes).
 */

/** Bytes per slab. */
const SLAB = 64 * 1024;
/** A reply larger than this keeps its own buffer. */
const LARGEST = 8 * 1024;

export class ReplyArena {
  private slab: Buffer | null = null;
  private used = 0;

  /** `reply`'s bytes, from a shared slab (the same buffer when it is too large to share). */
  keep(reply: Buffer): Buffer {
    const n = reply.length;
    if (n > LARGEST) return reply;
    let slab = this.slab;
    if (slab === null || this.used + n > SLAB) {
      slab = this.slab = Buffer.allocUnsafeSlow(SLAB);
      this.used = 0;
    }
    const at = this.used;
    reply.copy(slab, at);
    this.used = at + n;
    return slab.subarray(at, at + n);
  }
}
