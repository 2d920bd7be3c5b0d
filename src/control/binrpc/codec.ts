// Kamailio's binrpc wire format (src/modules/ctl/binrpc.h), what kamcmd speaks on the ctl
// socket. A packet is a header (magic 0xA, version 1, type, body length, cookie) and a body
// of records; a record is one byte of size/type (high bit: an explicit length follows, or an
// end mark for structs/arrays) and its value. Doubles travel as fixed point (value × 1000 in
// a long long), as Kamailio sends them. Written from the format description, not the C code.
import { DsdError } from '../../core/errors';

const BINRPC_MAGIC = 0xa;
const BINRPC_VERS = 1;
/** Largest packet a stream connection may send, as Kamailio's STREAM_BUF_SIZE. */
export const BINRPC_MAX_PACKET = 65535;

export const enum PacketType {
  Request = 0,
  Reply = 1,
  Fault = 3,
}

export const enum RecordType {
  Int = 0,
  Str = 1,
  Double = 2,
  Struct = 3,
  Array = 4,
  Avp = 5,
  Bytes = 6,
}

/** Kamailio's binrpc error texts (binrpc_error()), used in fault messages such as "bad request: corrupted packet". */
export const BINRPC_ERRORS = {
  badPacket: 'corrupted packet',
  moreData: 'more data needed',
  endOfPacket: 'end of packet encountered',
  type: "record doesn't match type",
  record: 'bad record',
} as const;

/** A binrpc packet that cannot be read; `fault` names Kamailio's text for it. */
export class BinrpcError extends DsdError {
  constructor(readonly fault: keyof typeof BINRPC_ERRORS) {
    super('DSD_ERR_BINRPC', BINRPC_ERRORS[fault]);
  }
}

export interface PacketHeader {
  readonly type: number;
  /** Body length. */
  readonly length: number;
  readonly cookie: number;
  /** Header size in bytes (the body starts here). */
  readonly headerSize: number;
}

/** True when `b` is the first byte of a binrpc packet (JSON text never starts with 0xA_). */
export function looksLikeBinrpc(b: number): boolean {
  return b >> 4 === BINRPC_MAGIC;
}

/**
 * Reads a packet header. Returns null when more bytes are needed; throws BinrpcError('badPacket')
 * for a wrong magic/version or an unknown packet type.
 */
export function parseHeader(buf: Buffer): PacketHeader | null {
  // Like Kamailio, nothing is judged before the 4 bytes of the smallest header are in.
  if (buf.length < 4) return null;
  if (buf[0] !== ((BINRPC_MAGIC << 4) | BINRPC_VERS)) throw new BinrpcError('badPacket');
  const type = buf[1]! >> 4;
  if (type !== PacketType.Request && type !== PacketType.Reply && type !== PacketType.Fault)
    throw new BinrpcError('badPacket');
  const lenLen = ((buf[1]! >> 2) & 3) + 1;
  const cookieLen = (buf[1]! & 3) + 1;
  const headerSize = 2 + lenLen + cookieLen;
  if (buf.length < headerSize) return null;
  let length = 0;
  for (let i = 0; i < lenLen; i++) length = length * 256 + buf[2 + i]!;
  let cookie = 0;
  for (let i = 0; i < cookieLen; i++) cookie = ((cookie << 8) | buf[2 + lenLen + i]!) >>> 0;
  return { type, length, cookie, headerSize };
}

function minBytes(u: number): number {
  let n = 0;
  for (let v = u >>> 0; v !== 0; v >>>= 8) n++;
  return n;
}

export function buildHeader(type: PacketType, bodyLength: number, cookie: number): Buffer {
  const lenLen = Math.max(1, minBytes(bodyLength));
  const cookieLen = Math.max(1, minBytes(cookie));
  const out = Buffer.alloc(2 + lenLen + cookieLen);
  out[0] = (BINRPC_MAGIC << 4) | BINRPC_VERS;
  out[1] = (type << 4) | ((lenLen - 1) << 2) | (cookieLen - 1);
  for (let i = 0; i < lenLen; i++) out[2 + i] = (bodyLength >>> ((lenLen - 1 - i) * 8)) & 0xff;
  for (let i = 0; i < cookieLen; i++) out[2 + lenLen + i] = (cookie >>> ((cookieLen - 1 - i) * 8)) & 0xff;
  return out;
}

/** Builds a packet body record by record. */
export class BodyWriter {
  private readonly parts: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }

  int(v: number): void {
    const u = v >>> 0;
    const n = minBytes(u);
    const b = Buffer.alloc(1 + n);
    b[0] = (n << 4) | RecordType.Int;
    for (let i = 0; i < n; i++) b[1 + i] = (u >>> ((n - 1 - i) * 8)) & 0xff;
    this.push(b);
  }

  /** Fixed point: trunc(v × 1000) as a 64-bit two's complement integer, minimal big-endian bytes. */
  double(v: number): void {
    const scaled = Number.isFinite(v) ? Math.trunc(v * 1000) : 0;
    let u = BigInt.asUintN(64, BigInt(scaled));
    const bytes: number[] = [];
    while (u !== 0n) {
      bytes.unshift(Number(u & 0xffn));
      u >>= 8n;
    }
    const b = Buffer.alloc(1 + bytes.length);
    b[0] = (bytes.length << 4) | RecordType.Double;
    bytes.forEach((x, i) => (b[1 + i] = x));
    this.push(b);
  }

  private strType(s: string, type: RecordType): void {
    const data = Buffer.from(s, 'utf8');
    const zeroTerm = type === RecordType.Str || type === RecordType.Avp;
    const l = data.length + (zeroTerm ? 1 : 0);
    let head: Buffer;
    if (l < 8) head = Buffer.from([(l << 4) | type]);
    else {
      const n = minBytes(l);
      head = Buffer.alloc(1 + n);
      head[0] = ((n | 8) << 4) | type;
      for (let i = 0; i < n; i++) head[1 + i] = (l >>> ((n - 1 - i) * 8)) & 0xff;
    }
    this.push(head);
    this.push(data);
    if (zeroTerm) this.push(Buffer.from([0]));
  }

  str(s: string): void {
    this.strType(s, RecordType.Str);
  }

  /** A struct member's name; the member's value record follows. */
  avpName(name: string): void {
    this.strType(name, RecordType.Avp);
  }

  structStart(): void {
    this.push(Buffer.from([RecordType.Struct]));
  }

  structEnd(): void {
    this.push(Buffer.from([0x80 | RecordType.Struct]));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

/** A whole packet: header + body. */
export function buildPacket(type: PacketType, cookie: number, body: Buffer): Buffer {
  return Buffer.concat([buildHeader(type, body.length, cookie), body]);
}

/** A fault packet: an int code and a string message (Kamailio counts the message's NUL). */
export function buildFault(cookie: number, code: number, message: string): Buffer {
  const w = new BodyWriter();
  w.int(code);
  w.str(message);
  return buildPacket(PacketType.Fault, cookie, w.toBuffer());
}

export type ParamValue = number | string;

/**
 * Reads the scalar records of a request body: the method name (a string) and its params
 * (ints, doubles, strings, bytes). Structs and arrays are not request params in Kamailio
 * either; they are refused as a bad record.
 */
export class BodyReader {
  private pos = 0;
  constructor(private readonly body: Buffer) {}

  get done(): boolean {
    return this.pos >= this.body.length;
  }

  private need(n: number): void {
    if (n < 0) throw new BinrpcError('badPacket');
    if (this.pos + n > this.body.length) throw new BinrpcError('moreData');
  }

  private uint(n: number): number {
    this.need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.body[this.pos + i]!;
    this.pos += n;
    return v;
  }

  /** The method name: the first record, which must be a string. */
  method(): string {
    if (this.done) throw new BinrpcError('endOfPacket');
    if ((this.body[this.pos]! & 0x0f) !== RecordType.Str) throw new BinrpcError('type');
    return String(this.next());
  }

  next(): ParamValue {
    if (this.done) throw new BinrpcError('endOfPacket');
    const b = this.body[this.pos++]!;
    const type = b & 0x0f;
    let len = b >> 4;
    if (type === RecordType.Double) {
      this.need(len);
      let u = 0n;
      for (let i = 0; i < len; i++) u = (u << 8n) | BigInt(this.body[this.pos + i]!);
      this.pos += len;
      return Number(BigInt.asIntN(64, u)) / 1000;
    }
    if (len & 8) {
      if (type === RecordType.Struct || type === RecordType.Array) throw new BinrpcError('record');
      len = this.uint(len & 7);
    }
    switch (type) {
      case RecordType.Int: {
        if (len > 4) throw new BinrpcError('badPacket');
        return this.uint(len) | 0;
      }
      case RecordType.Str:
      case RecordType.Bytes: {
        this.need(len);
        const zero = type === RecordType.Str && len > 0 ? 1 : 0;
        const s = this.body.toString('utf8', this.pos, this.pos + len - zero);
        this.pos += len;
        return s;
      }
      case RecordType.Struct:
      case RecordType.Array:
      case RecordType.Avp:
        throw new BinrpcError('record');
      default:
        throw new BinrpcError('type');
    }
  }
}
