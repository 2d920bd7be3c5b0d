/**
 * The transaction table and the timers every transaction uses. Server transactions are
 * keyed as in keys.ts, client transactions by our branch + method. The layer owns the
 * counters `tm.stats` reports.
 */
import type { TransportLayer } from '../transport/layer';
import type { Target } from '../transport/types';
import type { TmConfig } from './config';
import type { ServerTxn } from './server';
import type { ClientTxn } from './client';

export interface TmStats {
  current: number;
  waiting: number;
  total: number;
  totalLocal: number;
  rplReceived: number;
  rplGenerated: number;
  rplSent: number;
  byClass: [number, number, number, number, number, number, number];
  created: number;
  freed: number;
}

export class TxnLayer {
  readonly servers = new Map<string, ServerTxn>();
  readonly clients = new Map<string, ClientTxn>();
  readonly stats: TmStats = {
    current: 0, waiting: 0, total: 0, totalLocal: 0, rplReceived: 0, rplGenerated: 0, rplSent: 0,
    byClass: [0, 0, 0, 0, 0, 0, 0], created: 0, freed: 0,
  };

  constructor(readonly transport: TransportLayer, public cfg: TmConfig) {}

  send(target: Target, buf: Buffer): boolean {
    return this.transport.send(target, buf);
  }

  /**
   * A stream connection to `target` failed (TLS handshake, refused): every branch still
   * waiting for its first reply over it fails now instead of at fr_timer.
   */
  transportFailed(target: Target): void {
    for (const ct of [...this.clients.values()]) {
      const t = ct.target;
      if (t.proto === target.proto && t.ip === target.ip && t.port === target.port) ct.transportFailed();
    }
  }

  /** Number of transactions still in flight (not lingering to absorb retransmissions). */
  get inFlight(): number {
    let n = 0;
    for (const s of this.servers.values()) if (!s.finished) n++;
    return n;
  }
}

/**
 * Timer plumbing: one static callback for every transaction timer, so arming a timer
 * allocates only Node's Timeout object, never a closure.
 */
export interface TimerTarget {
  onTimer(kind: number): void;
}

function fire(target: TimerTarget, kind: number): void {
  target.onTimer(kind);
}

export function arm(ms: number, target: TimerTarget, kind: number): NodeJS.Timeout {
  const t = setTimeout(fire, ms, target, kind);
  return t;
}
