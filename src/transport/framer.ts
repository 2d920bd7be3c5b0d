/**
 * Stream framing for SIP over TCP (RFC 3261 §18.3): a message is its header section
 * plus Content-Length bytes. Chunks are appended until a whole message is present;
 * sizes are capped so a peer cannot make us buffer without bound.
 */
import { DsdError } from '../core/errors';
export class FramingError extends DsdError {
  constructor(
    readonly reason: string,
    readonly partial: Buffer,
  ) {
    super('DSD_ERR_FRAMING', reason);
  }
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CL_LONG = /^(?:content-length|l)[ \t]*:[ \t]*([0-9]+)[ \t]*$/im;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private crlfRun = 0;
  private lastByte = 0;

  /**
   * @param onPing called for every double-CRLF keep-alive ping between messages, which
   *   the connection answers with one CRLF (RFC 5626 §3.5.1; Kamailio's tcp_crlf_ping).
   */
  constructor(
    private readonly maxMessage: number,
    private readonly onPing?: () => void,
  ) {}

  /** Bytes of a message begun and not yet complete. */
  get pending(): number {
    return this.buf.length;
  }

  /** Adds a chunk and returns the complete messages it finished, in order. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      // keep-alive CRLFs between messages (RFC 5626 §3.5.1) are skipped
      let s = 0;
      while (s < this.buf.length && (this.buf[s] === 13 || this.buf[s] === 10)) {
        // a ping may arrive split over reads: the run of CRLFs is counted across pushes
        if (this.buf[s] === 10 && this.lastByte === 13 && ++this.crlfRun === 2) {
          this.crlfRun = 0;
          this.onPing?.();
        }
        this.lastByte = this.buf[s]!;
        s++;
      }
      if (s < this.buf.length) {
        this.crlfRun = 0;
        this.lastByte = 0;
      }
      if (s > 0) this.buf = this.buf.subarray(s);
      if (this.buf.length === 0) break;
      const he = this.buf.indexOf(CRLFCRLF);
      if (he < 0) {
        if (this.buf.length > this.maxMessage) throw new FramingError('Message Too Large', this.buf);
        break;
      }
      const headLen = he + 4;
      const head = this.buf.toString('latin1', 0, headLen);
      const m = CL_LONG.exec(head);
      if (!m) throw new FramingError('Content-Length required', this.buf.subarray(0, headLen));
      const cl = Number(m[1]);
      const total = headLen + cl;
      if (total > this.maxMessage) throw new FramingError('Message Too Large', this.buf.subarray(0, headLen));
      if (this.buf.length < total) break;
      out.push(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
    }
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    return out;
  }
}
