// Result shapes of the RPC methods, as jsonrpcs returns them (Kamailio 5.6.3 field names and
// order). Array members are wrapped as { NAME: {…} }, missing strings are null.

interface DispatcherAttrs {
  BODY: string | null;
  DUID: string | null;
  PROBING_COUNT?: number;
  MAXLOAD: number;
  WEIGHT: number;
  RWEIGHT: number;
  SOCKET: string | null;
  SOCKNAME: string | null;
  PING_SOCKET?: string | null;
  OBPROXY: string | null;
  OCMIN?: number;
  OCMAX?: number;
}

interface DispatcherLatency {
  AVG: number;
  STD: number;
  EST: number;
  MAX: number;
  TIMEOUT: number;
}

export interface DispatcherDest {
  IDX?: number;
  URI: string;
  FLAGS: string;
  PRIORITY: number;
  IUID?: string;
  HOST?: string;
  IPADDR?: string;
  PORT?: number;
  PROTOID?: number;
  DNSTIME_SEC?: number;
  DNSTIME_USEC?: number;
  ATTRS?: DispatcherAttrs;
  LATENCY?: DispatcherLatency;
  RUNTIME?: { DLGLOAD: number };
  /** dsd marks (only when set): draining, ejection count, slow-start percent. */
  DRAIN?: number;
  EJECTED?: number;
  SLOWSTART?: number;
}

/** The dsd marks of a destination as words ("draining, ejected, slow start 40%"), '' for none. */
export function describeMarks(d: DispatcherDest): string {
  const w: string[] = [];
  if (d.DRAIN) w.push('draining');
  if (d.EJECTED) w.push('ejected');
  if (d.SLOWSTART !== undefined) w.push(`slow start ${d.SLOWSTART}%`);
  return w.join(', ');
}

interface DispatcherSet {
  ID: number;
  TARGETS: Array<{ DEST: DispatcherDest }>;
}

export interface DispatcherListResult {
  NRSETS: number;
  RECORDS: Array<{ SET: DispatcherSet }>;
}

/** dsd extension (dispatcher.stats): cumulative counters per destination. */
export interface DispatcherStatsEntry {
  SET: number;
  URI: string;
  CALLS: number;
  FAILOVERS: number;
}

export interface UptimeResult {
  now: string;
  up_since: string;
  uptime: number;
}

/** Field order of Kamailio's tm.stats. */
export const TM_STATS_KEYS = [
  'current',
  'waiting',
  'total',
  'total_local',
  'rpl_received',
  'rpl_generated',
  'rpl_sent',
  '6xx',
  '5xx',
  '4xx',
  '3xx',
  '2xx',
  'created',
  'freed',
  'delayed_free',
] as const;
export type TmStatsResult = Record<(typeof TM_STATS_KEYS)[number], number>;

/** Flattens a dispatcher.list result into one row per destination, in output order. */
export function dispatcherRows(r: DispatcherListResult): Array<{ set: number; dest: DispatcherDest }> {
  const rows: Array<{ set: number; dest: DispatcherDest }> = [];
  for (const rec of r.RECORDS ?? []) {
    const set = rec.SET;
    if (!set) continue;
    for (const t of set.TARGETS ?? []) if (t.DEST) rows.push({ set: set.ID, dest: t.DEST });
  }
  return rows;
}

/** Human state of a FLAGS string: A active, I inactive, D disabled, T trying (+ probing when P). */
export function describeFlags(flags: string): string {
  const s = flags.charAt(0);
  const base = s === 'A' ? 'active' : s === 'I' ? 'inactive' : s === 'D' ? 'disabled' : s === 'T' ? 'trying' : flags;
  return flags.charAt(1) === 'P' ? `${base}, probing` : base;
}
