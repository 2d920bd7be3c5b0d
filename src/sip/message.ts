/**
 * The SIP message model: the received bytes plus an index of where every header sits.
 *
 * Nothing is copied or re-serialized on parse: a header's value is sliced out of the
 * latin1 view of the header section only when someone asks for it, and a forwarded
 * message is the original buffer with a few splices (see editor.ts). latin1 is used
 * because it maps byte offsets 1:1 to string offsets and round-trips every octet, so
 * UTF-8 display names and binary bodies go through untouched.
 */
import { canonicalNameAt } from './headers';
import { digits, isTokenRange, splitRequestLine, statusCode } from './start-line';
import { SipParseError } from './errors';
export { SipParseError } from './errors';
import { parseCSeq, CSeq } from './cseq';
import { parseNameAddr, NameAddr } from './nameaddr';
import { parseViaList, Via } from './via';
import type { HeaderField } from './headers';

export class SipMessage {
  readonly buf: Buffer;
  /** latin1 view of the start line and headers, up to and including the blank line. */
  readonly head: string;
  readonly isRequest: boolean;
  /** Request method as written (case-sensitive, RFC 3261 §7.1). "" for responses. */
  readonly method: string;
  /** Request-URI text as received. "" for responses. */
  readonly ruri: string;
  readonly ruriStart: number;
  readonly ruriEnd: number;
  /** Status code of a response; 0 for requests. */
  readonly status: number;
  readonly reason: string;
  /** Offset just past the start line's terminator. */
  readonly startLineEnd: number;
  readonly headers: HeaderField[];
  /** Offset of the blank line that ends the header section (where headers are appended). */
  readonly headersEnd: number;
  readonly bodyStart: number;
  readonly bodyEnd: number;
  /** Line terminator the message uses ("\r\n" normally; some peers send bare "\n"). */
  readonly eol: string;

  /**
   * A defect that still left the request readable (stray white space in the
   * Request-Line, wrong version, bad Content-Length, truncation): the core answers it
   * with `defect.code` instead of routing it.
   */
  defect: SipParseError | null = null;

  private _vias?: Via[];
  private _cseq?: CSeq | null;
  private _from?: NameAddr | null;
  private _to?: NameAddr | null;

  constructor(init: {
    buf: Buffer;
    head: string;
    isRequest: boolean;
    method: string;
    ruri: string;
    ruriStart: number;
    ruriEnd: number;
    status: number;
    reason: string;
    startLineEnd: number;
    headers: HeaderField[];
    headersEnd: number;
    bodyStart: number;
    bodyEnd: number;
    eol: string;
  }) {
    this.buf = init.buf;
    this.head = init.head;
    this.isRequest = init.isRequest;
    this.method = init.method;
    this.ruri = init.ruri;
    this.ruriStart = init.ruriStart;
    this.ruriEnd = init.ruriEnd;
    this.status = init.status;
    this.reason = init.reason;
    this.startLineEnd = init.startLineEnd;
    this.headers = init.headers;
    this.headersEnd = init.headersEnd;
    this.bodyStart = init.bodyStart;
    this.bodyEnd = init.bodyEnd;
    this.eol = init.eol;
  }

  /** The header's value with folding (CRLF + white space) turned into one space. */
  value(h: HeaderField): string {
    const raw = this.head.slice(h.valueStart, h.valueEnd);
    return raw.indexOf('\n') < 0 ? raw : raw.replace(/[ \t]*\r?\n[ \t]+/g, ' ');
  }

  first(name: string): HeaderField | undefined {
    for (const h of this.headers) if (h.name === name) return h;
    return undefined;
  }

  all(name: string): HeaderField[] {
    const out: HeaderField[] = [];
    for (const h of this.headers) if (h.name === name) out.push(h);
    return out;
  }

  count(name: string): number {
    let n = 0;
    for (const h of this.headers) if (h.name === name) n++;
    return n;
  }

  /** First value of a header, unfolded, or null. */
  get(name: string): string | null {
    const h = this.first(name);
    return h ? this.value(h) : null;
  }

  get callId(): string {
    return this.get('call-id') ?? '';
  }

  /** Every Via value in order, parsed. Throws SipParseError(400) on a malformed Via. */
  get vias(): Via[] {
    if (this._vias === undefined) {
      const out: Via[] = [];
      for (const h of this.headers) if (h.name === 'via') parseViaList(this.head, h, out);
      this._vias = out;
    }
    return this._vias;
  }

  get topVia(): Via | undefined {
    return this.vias[0];
  }

  get cseq(): CSeq | null {
    if (this._cseq === undefined) {
      const v = this.get('cseq');
      this._cseq = v === null ? null : parseCSeq(v);
    }
    return this._cseq;
  }

  get from(): NameAddr | null {
    if (this._from === undefined) {
      const v = this.get('from');
      this._from = v === null ? null : parseNameAddr(v);
    }
    return this._from;
  }

  get to(): NameAddr | null {
    if (this._to === undefined) {
      const v = this.get('to');
      this._to = v === null ? null : parseNameAddr(v);
    }
    return this._to;
  }

  /** Max-Forwards as a number; null when absent, NaN when not a number. */
  get maxForwards(): number | null {
    const h = this.first('max-forwards');
    if (!h) return null;
    const v = digits(this.head, h.valueStart, h.valueEnd);
    return v < 0 ? NaN : v;
  }

  get body(): Buffer {
    return this.buf.subarray(this.bodyStart, this.bodyEnd);
  }

  /** The whole message as it should go on the wire (trailing datagram noise excluded). */
  get wire(): Buffer {
    return this.bodyEnd === this.buf.length ? this.buf : this.buf.subarray(0, this.bodyEnd);
  }
}

const MAX_HEADERS = 1000;

export interface ParseOptions {
  /**
   * True for datagrams: a missing Content-Length means "the rest of the datagram", and
   * a Content-Length larger than the datagram is an error (RFC 3261 §18.3).
   */
  datagram: boolean;
}

/**
 * Parse one SIP message from `buf` (a whole datagram, or one framed stream message).
 * Structural errors throw SipParseError; semantic checks live in validate.ts.
 */
export function parseMessage(buf: Buffer, opts: ParseOptions = { datagram: true }): SipMessage {
  // Leading CRLFs are keep-alives / padding and are skipped (RFC 3261 §7.5).
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start === buf.length) throw new SipParseError(0, 'empty message');
  let defect: SipParseError | null = null;
  // the start line's terminator decides the message's line ends: CRLF, or bare LF from
  // sloppy peers (searching for both would let a body's blank line end the headers)
  const nl0 = buf.indexOf(10, start);
  if (nl0 < 0) throw new SipParseError(0, 'no start line');
  const crlf = nl0 > start && buf[nl0 - 1] === 13;
  const eol = crlf ? '\r\n' : '\n';
  const headEnd = crlf ? buf.indexOf('\r\n\r\n', nl0 - 1, 'latin1') : buf.indexOf('\n\n', nl0, 'latin1');
  let headLen: number;
  let hEnd: number; // offset of the blank line (or of the end of the last whole line)
  if (headEnd >= 0) {
    headLen = headEnd + (crlf ? 4 : 2);
    hEnd = headEnd + (crlf ? 2 : 1);
  } else {
    // truncated: index what is whole, remember the defect so a 400 can still be sent
    const lastNl = buf.lastIndexOf(10);
    headLen = lastNl + 1;
    hEnd = headLen;
    defect = new SipParseError(400, 'Truncated message (no end of header section)');
  }
  const head = buf.toString('latin1', 0, headLen);
  const lineEnd0 = nl0;
  const slEnd = head.charCodeAt(lineEnd0 - 1) === 13 ? lineEnd0 - 1 : lineEnd0;
  const startLine = head.slice(start, slEnd);

  let isRequest: boolean;
  let method = '',
    ruri = '',
    reason = '';
  let status = 0,
    ruriStart = 0,
    ruriEnd = 0;
  if (startLine.startsWith('SIP/')) {
    isRequest = false;
    const sp1 = startLine.indexOf(' ');
    if (sp1 < 0 || startLine.slice(0, sp1).toUpperCase() !== 'SIP/2.0') throw new SipParseError(0, 'bad status line');
    status = statusCode(startLine, sp1 + 1);
    if (status === 0) throw new SipParseError(0, 'bad status code');
    reason = startLine.slice(sp1 + 5);
    if (defect) throw new SipParseError(0, defect.reason);
  } else {
    isRequest = true;
    const rl = splitRequestLine(startLine);
    if (!rl) throw new SipParseError(0, 'bad request line');
    method = rl.method;
    ruri = rl.ruri;
    ruriStart = start + rl.ruriAt;
    ruriEnd = ruriStart + ruri.length;
    if (!rl.clean) defect ??= new SipParseError(400, 'Bad Request-Line (white space)');
    if (rl.version.toUpperCase() !== 'SIP/2.0') {
      defect ??= /^SIP\/[0-9]+\.[0-9]+$/i.test(rl.version)
        ? new SipParseError(505, 'Version Not Supported')
        : new SipParseError(400, 'Bad SIP version');
    }
  }

  const headers: HeaderField[] = [];
  let sawVia = false;
  let lines = 0;
  let pos = lineEnd0 + 1;
  while (pos < hEnd) {
    // find the end of this logical header, following continuation lines
    let nl = head.indexOf('\n', pos);
    while (nl + 1 < hEnd && (head.charCodeAt(nl + 1) === 32 || head.charCodeAt(nl + 1) === 9)) {
      nl = head.indexOf('\n', nl + 1);
    }
    const lineEnd = nl + 1;
    if (++lines > MAX_HEADERS) {
      if (!isRequest) throw new SipParseError(0, 'Too many headers');
      defect ??= new SipParseError(400, 'Too many headers');
      break;
    }
    // the colon is looked for within this line only: a search running on into the
    // following lines would make a datagram of colon-less lines quadratic
    let colon = pos;
    while (colon < nl && head.charCodeAt(colon) !== 58) colon++;
    let ne = colon;
    while (ne > pos && (head.charCodeAt(ne - 1) === 32 || head.charCodeAt(ne - 1) === 9)) ne--;
    if (colon === nl || ne === pos || !isTokenRange(head, pos, ne)) {
      // a request can still be answered (400) from its other headers; a response is dropped
      if (!isRequest) throw new SipParseError(0, 'Bad header line');
      defect ??= new SipParseError(400, 'Bad header line');
      pos = lineEnd;
      continue;
    }
    const name = canonicalNameAt(head, pos, ne);
    if (name === 'via') sawVia = true;
    let vs = colon + 1;
    let ve = head.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    while (vs < ve) {
      const c = head.charCodeAt(vs);
      if (c === 32 || c === 9 || c === 13 || c === 10) vs++;
      else break;
    }
    while (ve > vs) {
      const c = head.charCodeAt(ve - 1);
      if (c === 32 || c === 9 || c === 13 || c === 10) ve--;
      else break;
    }
    headers.push({ name, lineStart: pos, lineEnd, valueStart: vs, valueEnd: ve });
    pos = lineEnd;
  }
  // a request without a Via cannot be answered (RFC 3261 §18.2.2 sends replies by it):
  // a reply would carry nothing the sender could match, so it is not processed at all
  if (isRequest && !sawVia) throw new SipParseError(0, 'no Via header');

  const bodyStart = headLen;
  let bodyEnd = buf.length;
  let clHeader: HeaderField | undefined;
  let clCount = 0;
  for (const h of headers)
    if (h.name === 'content-length') {
      clCount++;
      clHeader ??= h;
    }
  if (clHeader) {
    const cl = digits(head, clHeader.valueStart, clHeader.valueEnd);
    if (cl < 0) defect ??= new SipParseError(400, 'Bad Content-Length');
    else if (clCount > 1) defect ??= new SipParseError(400, 'Conflicting Content-Length');
    else {
      if (bodyStart + cl > buf.length) defect ??= new SipParseError(400, 'Content-Length larger than message');
      else bodyEnd = bodyStart + cl;
    }
  } else if (!opts.datagram) {
    defect ??= new SipParseError(400, 'Content-Length required on stream transports');
  }
  if (defect && !isRequest) throw new SipParseError(0, defect.reason);

  const msg = new SipMessage({
    buf,
    head,
    isRequest,
    method,
    ruri,
    ruriStart,
    ruriEnd,
    status,
    reason,
    startLineEnd: lineEnd0 + 1,
    headers,
    headersEnd: hEnd,
    bodyStart,
    bodyEnd,
    eol,
  });
  msg.defect = defect;
  return msg;
}
