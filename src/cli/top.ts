// dsctl dispatcher.top: a refreshing table of every destination. State and latency come from
// dispatcher.list; calls and failovers per second from the dsd extension dispatcher.stats when
// the daemon has it (cumulative counters, so rates need two samples).
import {
  dispatcherRows,
  describeFlags,
  type DispatcherListResult,
  type DispatcherStatsEntry,
} from '../rpc-api/results';
import { callRpc } from './client';
import { DsctlError, RpcCallError } from './errors';
import { cellText, renderTable, terminalWidth, type TableSpec } from './render/table';

export interface TopOptions {
  readonly socket: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly once: boolean;
  /** With once: print the frame as JSON (one object per destination) instead of the table. */
  readonly json?: boolean;
  readonly out?: NodeJS.WritableStream & { columns?: number };
  /** Stops the live loop (tests); SIGINT does it for people. */
  readonly signal?: AbortSignal;
}

interface Sample {
  readonly at: number;
  readonly counters: Map<string, DispatcherStatsEntry>;
}

const key = (set: number, uri: string): string => `${set}\u0000${uri.toLowerCase()}`;

async function sampleStats(o: TopOptions): Promise<Sample> {
  const list = (await callRpc(o.socket, 'dispatcher.stats', undefined, o.timeoutMs)) as DispatcherStatsEntry[] | null;
  const counters = new Map<string, DispatcherStatsEntry>();
  for (const e of Array.isArray(list) ? list : []) counters.set(key(e.SET, e.URI), e);
  return { at: Date.now(), counters };
}

function rate(cur: number | undefined, prev: number | undefined, seconds: number): string {
  if (cur === undefined || prev === undefined || seconds <= 0) return '-';
  return (Math.max(0, cur - prev) / seconds).toFixed(1);
}

export function topTable(list: DispatcherListResult | null, stats?: { prev?: Sample; cur?: Sample }): TableSpec {
  const withStats = stats !== undefined;
  const head = [
    'SET',
    'URI',
    'STATE',
    'FLAGS',
    'PRIO',
    'LATENCY ms',
    'EST ms',
    'TIMEOUTS',
    ...(withStats ? ['CALLS/s', 'FAILOVERS/s'] : []),
  ];
  const rows = (list ? dispatcherRows(list) : []).map(({ set, dest }) => {
    const lat = dest.LATENCY;
    const row = [
      String(set),
      dest.URI,
      describeFlags(dest.FLAGS),
      dest.FLAGS,
      String(dest.PRIORITY),
      lat ? cellText(lat.AVG) : '-',
      lat ? cellText(lat.EST) : '-',
      lat ? String(lat.TIMEOUT) : '-',
    ];
    if (withStats) {
      const k = key(set, dest.URI);
      const c = stats.cur?.counters.get(k);
      const p = stats.prev?.counters.get(k);
      const secs = stats.cur && stats.prev ? (stats.cur.at - stats.prev.at) / 1000 : 0;
      row.push(rate(c?.CALLS, p?.CALLS, secs), rate(c?.FAILOVERS, p?.FAILOVERS, secs));
    }
    return row;
  });
  return { head, rows, flexible: [1], right: [0, 4, 5, 6, 7, ...(withStats ? [8, 9] : [])] };
}

async function hasStats(o: TopOptions): Promise<boolean> {
  try {
    const methods = await callRpc(o.socket, 'system.listMethods', undefined, o.timeoutMs);
    return Array.isArray(methods) && methods.includes('dispatcher.stats');
  } catch (err) {
    if (err instanceof RpcCallError) return false;
    throw err;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function frame(
  o: TopOptions,
  stats: boolean,
  prev: Sample | undefined,
): Promise<{ text: string; sample?: Sample }> {
  let list: DispatcherListResult | null = null;
  let note = '';
  try {
    list = (await callRpc(o.socket, 'dispatcher.list', undefined, o.timeoutMs)) as DispatcherListResult;
  } catch (err) {
    if (o.once || !(err instanceof DsctlError)) throw err;
    note = err.line();
  }
  let sample: Sample | undefined;
  if (stats && list) sample = await sampleStats(o).catch(() => undefined);
  const out = o.out ?? process.stdout;
  const table = renderTable(topTable(list, stats ? { prev, cur: sample } : undefined), {
    maxWidth: terminalWidth(out),
  });
  const title =
    `dsd dispatcher.top  ${new Date().toISOString().replace('T', ' ').slice(0, 19)}  ${o.socket}` +
    (o.once ? '' : `  every ${o.intervalMs / 1000} s, Ctrl-C quits`);
  return { text: `${title}\n${note ? note + '\n' : ''}${table}`, sample };
}

const num = (s: string): number | null => (s === '-' || s === '' ? null : Number(s));

/** The --once --json frame: the table's rows as objects with numbers (null where the table shows -). */
async function jsonFrame(o: TopOptions, stats: boolean, prev: Sample | undefined): Promise<object> {
  const list = (await callRpc(o.socket, 'dispatcher.list', undefined, o.timeoutMs)) as DispatcherListResult;
  const cur = stats && list ? await sampleStats(o).catch(() => undefined) : undefined;
  const t = topTable(list, stats ? { prev, cur } : undefined);
  const destinations = t.rows.map((r) => ({
    set: Number(r[0]),
    uri: r[1],
    state: r[2],
    flags: r[3],
    priority: Number(r[4]),
    latency_ms: num(r[5]!),
    est_ms: num(r[6]!),
    timeouts: num(r[7]!),
    ...(stats ? { calls_per_s: num(r[8]!), failovers_per_s: num(r[9]!) } : {}),
  }));
  return { time: new Date().toISOString(), socket: o.socket, destinations };
}

export async function runTop(o: TopOptions): Promise<void> {
  const out = o.out ?? process.stdout;
  const stats = await hasStats(o);
  if (o.once) {
    // Rates need two samples: take one, wait one interval, then print the frame.
    const first = stats ? await sampleStats(o) : undefined;
    if (first) await sleep(o.intervalMs, o.signal);
    if (o.json) out.write(JSON.stringify(await jsonFrame(o, stats, first), null, 2) + '\n');
    else out.write((await frame(o, stats, first)).text);
    return;
  }
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  o.signal?.addEventListener('abort', stop, { once: true });
  process.once('SIGINT', stop);
  let prev: Sample | undefined;
  try {
    while (!ac.signal.aborted) {
      const f = await frame(o, stats, prev);
      prev = f.sample ?? prev;
      out.write('\x1b[H\x1b[2J' + f.text);
      await sleep(o.intervalMs, ac.signal);
    }
  } finally {
    process.off('SIGINT', stop);
  }
}
