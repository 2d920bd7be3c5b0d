/** CSeq header: sequence number and method (RFC 3261 §20.16). */
import { isToken } from './token';

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

const MAX_SEQ = 0xffffffff;

/** Parses an unfolded CSeq value; null when malformed (number past 2^32-1, bad method). */
export function parseCSeq(value: string): CSeq | null {
  let i = 0;
  const len = value.length;
  let seq = 0;
  const ds = i;
  while (i < len) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
    if (seq > MAX_SEQ) return null;
    i++;
  }
  if (i === ds || i - ds > 10) return null;
  const ws = i;
  while (i < len && (value.charCodeAt(i) === 32 || value.charCodeAt(i) === 9)) i++;
  if (i === ws) return null;
  const method = value.slice(i);
  if (!isToken(method)) return null;
  return { seq, method };
}
