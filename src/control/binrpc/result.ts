// Turns a JSON-RPC result (what the registry's handlers return, jsonrpcs-shaped) into the
// binrpc reply body Kamailio's ctl would send for the same data, so kamcmd prints the same
// tree. binrpc has no arrays in structs: Kamailio's ctl sends an array as a struct, and a
// member added to an array (jsonrpcs wraps it as a one-key object, `[{"SET":{…}}]`) as a
// plain member of that struct. The same rules dsctl's kamcmd renderer follows.
import { BodyWriter } from './codec';

const NULL_STRING = '<null string>';

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

function isStruct(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class ResultEncoder {
  readonly w = new BodyWriter();
  constructor(private readonly int32: ReadonlySet<string>) {}

  /** Kamailio's 'd'/'u' go out as a 32-bit int ('u' wrapped to signed); longer ones ('l', 'j', 'f') as a double. */
  private number(v: number, key: string | undefined): void {
    if (Number.isInteger(v)) {
      if (v >= INT32_MIN && v <= INT32_MAX) return this.w.int(v);
      if (key !== undefined && this.int32.has(key) && v >= 0 && v <= 0xffffffff) return this.w.int(v | 0);
    }
    this.w.double(v);
  }

  scalar(v: unknown, key?: string): void {
    if (v === null || v === undefined) this.w.str(NULL_STRING);
    else if (typeof v === 'string') this.w.str(v);
    else if (typeof v === 'number') this.number(v, key);
    else if (typeof v === 'boolean') this.w.int(v ? 1 : 0);
    else this.w.str(String(v));
  }

  members(obj: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(obj)) this.member(k, v);
  }

  private member(key: string, v: unknown): void {
    this.w.avpName(key);
    if (isStruct(v)) {
      this.w.structStart();
      this.members(v);
      this.w.structEnd();
    } else if (Array.isArray(v)) {
      this.w.structStart();
      this.elements(v);
      this.w.structEnd();
    } else this.scalar(v, key);
  }

  /** An array inside a struct: object elements contribute their members, arrays nest, scalars stay bare. */
  private elements(arr: readonly unknown[]): void {
    for (const el of arr) {
      if (isStruct(el)) this.members(el);
      else if (Array.isArray(el)) {
        this.w.structStart();
        this.elements(el);
        this.w.structEnd();
      } else this.scalar(el);
    }
  }

  top(v: unknown): void {
    if (isStruct(v)) {
      this.w.structStart();
      this.members(v);
      this.w.structEnd();
    } else if (Array.isArray(v)) {
      for (const el of v) this.top(el);
    } else this.scalar(v);
  }
}

/**
 * The reply body for `result`. `int32Keys` are members Kamailio adds as unsigned ('u'):
 * they go out as a wrapped 32-bit int (kamcmd prints them signed). null/undefined is an
 * empty body, as a Kamailio method that adds nothing.
 */
export function encodeResult(result: unknown, int32Keys: readonly string[] = []): Buffer {
  const e = new ResultEncoder(new Set(int32Keys));
  if (result !== null && result !== undefined) e.top(result);
  return e.w.toBuffer();
}
