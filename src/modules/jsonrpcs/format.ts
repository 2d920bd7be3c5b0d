// Kamailio's JSON printer (srjson, a cJSON fork) byte for byte, because kamctl filters the
// reply line by line and scripts diff it: pretty form puts each object member on its own
// line, indented with tabs, `"name":<TAB>value`; arrays stay on one line, `[a, b]`; numbers
// are %d when they fit an int, %.0f when integral, %e when tiny or huge, else %f; strings
// escape only `"`, `\` and control characters (UTF-8 passes as is).

function pad2Exp(s: string): string {
  // C's %e writes at least two exponent digits: 1.5e+9 → 1.500000e+09
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

export function formatNumber(d: number): string {
  if (!Number.isFinite(d)) return Number.isNaN(d) ? 'nan' : d > 0 ? 'inf' : '-inf';
  const i = Math.trunc(d);
  if (Math.abs(i - d) <= Number.EPSILON && d <= 0x7fffffff && d >= -0x80000000) return String(i === 0 ? 0 : i);
  if (Math.abs(Math.floor(d) - d) <= Number.EPSILON) return Math.abs(d) < 1e21 ? d.toFixed(0) : BigInt(d).toString();
  if (Math.abs(d) < 1e-6 || Math.abs(d) > 1e9) return pad2Exp(d.toExponential(6));
  return d.toFixed(6);
}

const ESC: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function formatString(s: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${s.replace(/["\\\u0000-\u001f]/g, (c) => ESC[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

function value(v: unknown, depth: number, pretty: boolean): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return formatString(v);
  if (Array.isArray(v)) return `[${v.map((x) => value(x, depth + 1, pretty)).join(pretty ? ', ' : ',')}]`;
  if (typeof v === 'object') {
    const d = depth + 1;
    const entries = Object.entries(v as Record<string, unknown>);
    if (!pretty) return `{${entries.map(([k, x]) => `${formatString(k)}:${value(x, d, false)}`).join(',')}}`;
    const tabs = '\t'.repeat(d);
    const body = entries.map(([k, x]) => `${tabs}${formatString(k)}:\t${value(x, d, true)}`).join(',\n');
    return `{\n${body}${entries.length ? '\n' : ''}${'\t'.repeat(d - 1)}}`;
  }
  return formatString(String(v));
}

/** srjson_Print (pretty) or srjson_PrintUnformatted of a JSON value. */
export function printJson(v: unknown, pretty: boolean): string {
  return value(v, 0, pretty);
}
