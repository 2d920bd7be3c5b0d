/**
 * Reads RPC parameters the way Kamailio's jsonrpcs rpc->scan() does, so dsd answers the
 * same params with the same values and faults: `d` takes a JSON number (a string reads
 * as 0), `S` needs a string (or a number when preceded by `.`, auto-convert), `*` makes
 * the rest optional. Returns the scanned values and the count (negative on an error, as
 * scan() does), and the callers compare counts like the C code.
 */

export interface ScanResult {
  readonly count: number;
  readonly values: unknown[];
}

function intOf(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return 0;
}

export function rpcScan(params: readonly unknown[], fmt: string): ScanResult {
  const values: unknown[] = [];
  let mandatory = true;
  let auto = false;
  let count = 0;
  let pi = 0;
  for (let fi = 0; fi < fmt.length; fi++) {
    const ch = fmt[fi];
    if (ch === '*') {
      mandatory = false;
      continue;
    }
    if (ch === '.') {
      auto = true;
      continue;
    }
    if (pi >= params.length) {
      return { count: mandatory ? -count : count, values };
    }
    const v = params[pi++];
    if (ch === 'd' || ch === 'u') {
      values.push(intOf(v));
    } else if (ch === 'S' || ch === 's') {
      if (typeof v === 'string') values.push(v);
      else if (auto && typeof v === 'number') values.push(String(Math.trunc(v) >>> 0));
      else return { count: -count, values };
    } else {
      throw new Error(`rpcScan: unsupported format char ${ch}`);
    }
    auto = false;
    count++;
  }
  return { count, values };
}
