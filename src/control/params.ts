// Turns the params of a JSON-RPC request into the typed positional list a handler reads,
// following the command table. Kamailio-compatible: positional arrays as kamcmd/jsonrpcs send
// them; a named object whose keys are the table's names is mapped by name, any other object is
// read in value order as jsonrpcs does. Stricter than Kamailio where it reads garbage as 0:
// an int param takes a JSON integer or a decimal string, anything else is "Invalid Parameters".
import { RpcError } from '../rpc-api/errors';
import { PERSIST_PARAM } from '../rpc-api/protocol';
import type { ParamSpec } from '../rpc-api/types';

export type RpcArg = number | string;

export interface NormalizedParams {
  /** Positional values, typed per the table; absent optional ones are left out (no holes: a gap is filled with the default). */
  readonly args: readonly RpcArg[];
  /** The same values keyed by parameter name (absent optionals are missing). */
  readonly named: Readonly<Record<string, RpcArg>>;
  /** `persist: true` was sent (only honoured for methods whose table entry allows it). */
  readonly persist: boolean;
}

const DECIMAL = /^[+-]?\d+$/;

function coerce(spec: ParamSpec, v: unknown): RpcArg {
  if (spec.type === 'int') {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && DECIMAL.test(v.trim())) return Number.parseInt(v.trim(), 10);
    throw RpcError.of('invalidParameters', `${spec.name} must be an integer`);
  }
  if (typeof v === 'string') return v;
  // kamcmd sends numeric-looking words as ints; the daemon reads them back as strings.
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw RpcError.of('invalidParameters', `${spec.name} must be a string`);
}

function asPositional(specs: readonly ParamSpec[], raw: Record<string, unknown>): unknown[] {
  const keys = Object.keys(raw);
  const known = new Set(specs.map((s) => s.name));
  if (keys.every((k) => known.has(k))) {
    const out: unknown[] = specs.map((s) => raw[s.name]);
    while (out.length && out[out.length - 1] === undefined) out.pop();
    return out;
  }
  return keys.map((k) => raw[k]);
}

export interface NormalizeOptions {
  /** `persist: true` is accepted (the table entry allows it). */
  readonly persistAllowed: boolean;
  /**
   * Type-check and require params per the table (default). false: only map named params to
   * positions (gaps take the default, else null) and leave scanning to the handler, for
   * handlers that read params like Kamailio's rpc->scan() themselves.
   */
  readonly check?: boolean;
}

/** Without a table entry params pass through untouched (args holds the raw values). */
export function normalizeParams(
  specs: readonly ParamSpec[] | undefined,
  raw: unknown,
  opts: NormalizeOptions,
): NormalizedParams {
  const persistAllowed = opts.persistAllowed;
  let persist = false;
  let list: unknown[];
  if (raw === undefined || raw === null) list = [];
  else if (Array.isArray(raw)) list = raw;
  else if (typeof raw === 'object') {
    const obj = { ...(raw as Record<string, unknown>) };
    if (PERSIST_PARAM in obj) {
      const p = obj[PERSIST_PARAM];
      delete obj[PERSIST_PARAM];
      if (p !== true && p !== false && p !== 0 && p !== 1)
        throw RpcError.of('invalidParameters', 'persist must be a boolean');
      persist = p === true || p === 1;
      if (persist && !persistAllowed) throw RpcError.of('invalidParameters', 'this method cannot persist');
    }
    list = specs ? asPositional(specs, obj) : Object.values(obj);
  } else throw RpcError.of('invalidParameters', 'params must be an array or an object');

  if (!specs) return { args: list as RpcArg[], named: {}, persist };
  if (opts.check === false) {
    const args = list.map((v, i) => (v === undefined ? (specs[i]?.default ?? null) : v)) as RpcArg[];
    const named: Record<string, RpcArg> = {};
    specs.forEach((sp, i) => {
      if (list[i] !== undefined && list[i] !== null) named[sp.name] = list[i] as RpcArg;
    });
    return { args, named, persist };
  }

  const args: RpcArg[] = [];
  const named: Record<string, RpcArg> = {};
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    if (spec.variadic) {
      for (const v of list.slice(i)) args.push(coerce(spec, v));
      break;
    }
    const v = list[i];
    if (v === undefined || v === null) {
      const later = list.slice(i + 1).some((x) => x !== undefined && x !== null);
      if (!spec.optional) throw RpcError.of('invalidParameters', `missing ${spec.name}`);
      if (!later) break;
      if (spec.default === undefined) throw RpcError.of('invalidParameters', `missing ${spec.name}`);
      args.push(spec.default);
      named[spec.name] = spec.default;
      continue;
    }
    const c = coerce(spec, v);
    args.push(c);
    named[spec.name] = c;
  }
  return { args, named, persist };
}
