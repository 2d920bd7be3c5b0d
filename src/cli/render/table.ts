// cli-table3 renderers: one row per destination for dispatcher.list, and generic forms for
// the other shapes. Width-aware: when the terminal is narrower than the table, the widest
// free-text column (URI) is wrapped instead of letting lines spill over.
import type { OutputKind } from '../../rpc-api/types';
import { describeMarks, dispatcherRows, type DispatcherListResult } from '../../rpc-api/results';

export interface TableOptions {
  /** Terminal width; undefined (a pipe) means no limit. */
  readonly maxWidth?: number;
}

export interface TableSpec {
  readonly head: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  /** Columns that may be narrowed and wrapped, most preferred first. */
  readonly flexible?: readonly number[];
  /** Columns aligned right (numbers). */
  readonly right?: readonly number[];
}

const MIN_FLEX_WIDTH = 12;

function visibleWidth(s: string): number {
  let w = 0;
  for (const line of s.split('\n')) w = Math.max(w, [...line].length);
  return w;
}

/** Column widths (content + 2 padding) that fit maxWidth if they can, or undefined for auto. */
export function fitColumns(spec: TableSpec, maxWidth: number | undefined): number[] | undefined {
  const widths = spec.head.map(
    (h, i) => Math.max(visibleWidth(h), ...spec.rows.map((r) => visibleWidth(r[i] ?? ''))) + 2,
  );
  if (maxWidth === undefined || maxWidth <= 0) return undefined;
  const total = () => widths.reduce((a, b) => a + b, 0) + widths.length + 1;
  let excess = total() - maxWidth;
  if (excess <= 0) return undefined;
  for (const i of spec.flexible ?? []) {
    const room = widths[i]! - (MIN_FLEX_WIDTH + 2);
    if (room <= 0) continue;
    const cut = Math.min(room, excess);
    widths[i] = widths[i]! - cut;
    excess -= cut;
    if (excess <= 0) break;
  }
  return widths;
}

/** The width to fit: the terminal's, else $COLUMNS (pipes have none), else unlimited. */
export function terminalWidth(out: { columns?: number } = process.stdout): number | undefined {
  if (out.columns && out.columns > 0) return out.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : undefined;
}

export function renderTable(spec: TableSpec, opts: TableOptions = {}): string {
  // Loaded on demand: dsctl's default (kamcmd) output does not need it.
  const Table = require('cli-table3') as typeof import('cli-table3');
  const colWidths = fitColumns(spec, opts.maxWidth);
  const right = new Set(spec.right ?? []);
  const table = new Table({
    head: [...spec.head],
    style: { head: [], border: [], compact: true }, // no colours: read by people and scripts alike
    ...(colWidths ? { colWidths, wordWrap: true, wrapOnWordBoundary: false } : {}),
    colAligns: spec.head.map((_, i) => (right.has(i) ? 'right' : 'left')),
  });
  for (const r of spec.rows) table.push([...r]);
  return table.toString() + '\n';
}

export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return JSON.stringify(v);
}

export function dispatcherListTable(result: DispatcherListResult): TableSpec {
  const rows = dispatcherRows(result);
  const withDuid = rows.some((r) => r.dest.ATTRS?.DUID);
  const withMarks = rows.some((r) => describeMarks(r.dest) !== '');
  const head = [
    'SET',
    'URI',
    'FLAGS',
    'PRIO',
    'WEIGHT',
    ...(withDuid ? ['DUID'] : []),
    'LATENCY',
    ...(withMarks ? ['MARKS'] : []),
  ];
  const body = rows.map(({ set, dest }) => {
    const lat = dest.LATENCY;
    return [
      String(set),
      dest.URI,
      dest.FLAGS,
      String(dest.PRIORITY),
      cellText(dest.ATTRS?.WEIGHT ?? 0),
      ...(withDuid ? [cellText(dest.ATTRS?.DUID)] : []),
      lat ? `${cellText(lat.AVG)} ms` : '-',
      ...(withMarks ? [describeMarks(dest) || '-'] : []),
    ];
  });
  return { head, rows: body, flexible: [1], right: [0, 3, 4] };
}

function flatten(prefix: string, v: unknown, out: Array<[string, string]>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, x, out);
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => flatten(`${prefix}[${i}]`, x, out));
  } else out.push([prefix, cellText(v)]);
}

function objectsTable(list: readonly Record<string, unknown>[]): TableSpec {
  const head: string[] = [];
  for (const o of list) for (const k of Object.keys(o)) if (!head.includes(k)) head.push(k);
  const rows = list.map((o) => head.map((k) => cellText(o[k])));
  const right = head
    .map((k, i) => (list.every((o) => typeof o[k] === 'number' || o[k] === undefined) ? i : -1))
    .filter((i) => i >= 0);
  const flexible = head.map((k, i) => (/uri/i.test(k) ? i : -1)).filter((i) => i >= 0);
  return { head: head.map((h) => h.toUpperCase()), rows, right, flexible };
}

/** A table for any result, or undefined when a table makes no sense (strings, nothing). */
export function tableFor(kind: OutputKind, result: unknown): TableSpec | undefined {
  if (result === null || result === undefined || typeof result !== 'object') return undefined;
  if (kind === 'dispatcher-list' && 'RECORDS' in (result as object))
    return dispatcherListTable(result as DispatcherListResult);
  if (Array.isArray(result)) {
    if (kind === 'pairs') {
      const rows: string[][] = [];
      for (let i = 0; i + 1 < result.length; i += 2) rows.push([cellText(result[i]), cellText(result[i + 1])]);
      return { head: ['PID', 'DESCRIPTION'], rows, right: [0], flexible: [1] };
    }
    if (result.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x)))
      return objectsTable(result as Record<string, unknown>[]);
    return { head: ['VALUE'], rows: result.map((x) => [cellText(x)]) };
  }
  const pairs: Array<[string, string]> = [];
  flatten('', result, pairs);
  return { head: ['NAME', 'VALUE'], rows: pairs, flexible: [1] };
}
