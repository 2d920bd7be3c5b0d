// Renders a JSON-RPC result the way kamcmd prints the same result received over binrpc:
// - a struct prints as `{` … `}`; a member struct as `NAME: {` at its siblings' indentation,
//   members one TAB deeper, the `}` under the opening line;
// - arrays become structs too: inside a struct, `[ {SET:{…}}, … ]` prints as `RECORDS: {`
//   followed by the members of each element; at top level each element is its own value;
// - null strings print as `<null string>`; integral numbers as integers (keys listed in
//   int32Keys wrap to a signed 32-bit int, as binrpc carries them), others with %f;
// - every value ends with a newline; a bare string result is one line.
export interface KamcmdRenderOptions {
  /** Keys whose integral values binrpc sends as a C int (printed with %d, e.g. hashid). */
  readonly int32Keys?: readonly string[];
}

const NULL_STRING = '<null string>';

function formatNumber(v: number, wrap32: boolean): string {
  if (Number.isInteger(v)) {
    if (wrap32) return String(v | 0);
    // %lld of an integral double: never exponent notation, -0 prints as 0.
    return Number.isSafeInteger(v) ? String(v === 0 ? 0 : v) : BigInt(v).toString();
  }
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return v.toFixed(6);
}

function scalar(v: unknown, key: string | undefined, int32: ReadonlySet<string>): string {
  if (v === null || v === undefined) return NULL_STRING;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v, key !== undefined && int32.has(key));
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

function isStruct(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class TreeWriter {
  private out = '';
  constructor(private readonly int32: ReadonlySet<string>) {}

  text(): string {
    return this.out;
  }

  private line(depth: number, s: string): void {
    this.out += '\t'.repeat(depth) + s + '\n';
  }

  /** A struct's members, each at `depth`. */
  members(obj: Record<string, unknown>, depth: number): void {
    for (const key of Object.keys(obj)) this.member(key, obj[key], depth);
  }

  private member(key: string, v: unknown, depth: number): void {
    if (isStruct(v)) {
      this.line(depth, `${key}: {`);
      this.members(v, depth + 1);
      this.line(depth, '}');
    } else if (Array.isArray(v)) {
      this.line(depth, `${key}: {`);
      this.elements(v, depth + 1);
      this.line(depth, '}');
    } else {
      this.line(depth, `${key}: ${scalar(v, key, this.int32)}`);
    }
  }

  /** Members of an array nested in a struct: wrapped {NAME:{…}} elements print as NAME: {…}. */
  private elements(arr: readonly unknown[], depth: number): void {
    for (const el of arr) {
      if (isStruct(el)) this.members(el, depth);
      else if (Array.isArray(el)) {
        this.line(depth, '{');
        this.elements(el, depth + 1);
        this.line(depth, '}');
      } else this.line(depth, scalar(el, undefined, this.int32));
    }
  }

  /** A top-level value. */
  top(v: unknown): void {
    if (isStruct(v)) {
      this.line(0, '{');
      this.members(v, 1);
      this.line(0, '}');
    } else if (Array.isArray(v)) {
      for (const el of v) this.top(el);
    } else {
      this.line(0, scalar(v, undefined, this.int32));
    }
  }
}

export function renderKamcmd(result: unknown, opts: KamcmdRenderOptions = {}): string {
  // A method that returns nothing (null over JSON-RPC) prints nothing in kamcmd.
  if (result === null || result === undefined) return '';
  const w = new TreeWriter(new Set(opts.int32Keys ?? []));
  w.top(result);
  return w.text();
}
