/**
 * pike at run time: the IP tree, its two timers (swap every sampling_time_unit seconds,
 * expiry checked every second as Kamailio's clean_routine), pike_check_req's answer and
 * the pike.top RPC result in Kamailio's shape.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { IpTree, Mark } from './ip-tree';

export interface PikeParams {
  /** sampling_time_unit, seconds (Kamailio: 2). */
  samplingTimeUnit: number;
  /** reqs_density_per_unit (Kamailio: 30). */
  reqsDensityPerUnit: number;
  /** remove_latency, seconds (Kamailio: 120). */
  removeLatency: number;
  /** pike_log_level: Kamailio's L_* number (default L_WARN = 0). */
  logLevel: number;
}

export const PIKE_DEFAULTS: Readonly<PikeParams> = {
  samplingTimeUnit: 2,
  reqsDensityPerUnit: 30,
  removeLatency: 120,
  logLevel: 0,
};

export interface PikeLog {
  warn(m: string): void;
  info(m: string): void;
  debug(m: string): void;
}

/** An address as pike's tree keys it: 4 bytes for IPv4, 16 for IPv6; null if not an address. */
export function ipBytes(ip: string): Uint8Array | null {
  const v4 = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(v4)) return Uint8Array.from(v4.split('.').map(Number));
  if (!isIPv6(ip)) return null;
  let text = ip;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 255;
  });
  return out;
}

function printIp(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) return '0.0.0.0';
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // inet_ntop's form: the longest run of zero groups (2 or more) becomes ::
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

export class Pike {
  readonly tree: IpTree;
  /** pike:blocked_ips. */
  blocked = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    readonly params: PikeParams,
    private readonly log: PikeLog,
  ) {
    this.tree = new IpTree(params.reqsDensityPerUnit, params.removeLatency * 1000);
  }

  start(): void {
    if (this.timers.length) return;
    const swap = setInterval(
      () => this.tree.swap(() => this.logAt('PIKE - UNBLOCKing node')),
      this.params.samplingTimeUnit * 1000,
    );
    const clean = setInterval(() => this.tree.clean(Date.now()), 1000);
    swap.unref();
    clean.unref();
    this.timers = [swap, clean];
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** pike_check_req / pike_check_ip: 1 allowed, -1 blocked, -2 blocked from now on. */
  check(ip: string): number {
    const bytes = ipBytes(ip);
    if (!bytes) return -1;
    this.start();
    const r = this.tree.mark(bytes, Date.now());
    if (r === Mark.NewlyBlocked) {
      this.blocked++;
      this.logAt(`PIKE - BLOCKing ip ${ip}`);
    }
    return r;
  }

  private logAt(m: string): void {
    const l = this.params.logLevel;
    if (l <= 0) this.log.warn(m);
    else if (l <= 2) this.log.info(m);
    else this.log.debug(m);
  }

  /** pike.top [HOT|ALL|WARM], as Kamailio answers it. */
  top(opt: string | undefined): { max_hits: number; list: object[]; number_of_rows: number } | { error: string } {
    const o = (opt ?? 'HOT').toUpperCase();
    const mode = o.includes('ALL') ? 'ALL' : o.includes('HOT') ? 'HOT' : o.includes('WARM') ? 'WARM' : null;
    if (!mode) return { error: 'Bad argument. Select: ALL, HOT or WARM' };
    const now = Date.now();
    const rows: object[] = [];
    for (const { bytes, node } of this.tree.leaves()) {
      const status = this.tree.hotLeaf(node) ? 'HOT' : this.tree.warm(node) ? 'WARM' : '';
      // Kamailio's WARM option selects nothing (its switch has no WARM case); kept as is
      if (mode === 'ALL' || (mode === 'HOT' && status === 'HOT')) {
        rows.unshift({
          ip_addr: printIp(bytes),
          leaf_hits_prev: node.leafHits[0],
          leaf_hits_curr: node.leafHits[1],
          expires: Math.max(0, Math.round((node.expires - now) / 1000)),
          status,
        });
      }
    }
    return { max_hits: this.tree.maxHits, list: rows, number_of_rows: rows.length };
  }
}
