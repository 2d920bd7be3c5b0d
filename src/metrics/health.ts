/**
 * GET /health on the metrics listener, for load balancers, systemd watchdogs and container
 * probes: 200 with a small JSON document while dsd runs and at least one destination can
 * be selected; 503 with the same document when none can (every destination inactive or
 * disabled, or no destination loaded), so a front balancer can take this node out.
 * `GET /health?live` answers 200 whenever the process serves at all (liveness).
 */
import type http from 'node:http';
import type { MetricsSources } from './collectors';
import { isSkipped } from '../modules/dispatcher/flags';
import { VERSION } from '../core/version';

interface HealthDoc {
  readonly status: 'ok' | 'no-destination';
  readonly version: string;
  readonly uptime_seconds: number;
  readonly sets: number;
  readonly destinations: number;
  readonly destinations_up: number;
  readonly transactions: number;
}

function healthDoc(src: MetricsSources, startedAt: number): HealthDoc {
  let total = 0;
  let up = 0;
  const sets = src.dispatcher.ds.list?.sets ?? [];
  for (const s of sets) {
    for (const d of s.dests) {
      total++;
      if (!isSkipped(d.flags)) up++;
    }
  }
  return {
    status: up > 0 ? 'ok' : 'no-destination',
    version: VERSION,
    uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
    sets: sets.length,
    destinations: total,
    destinations_up: up,
    transactions: src.core.txns.stats.current,
  };
}

export function healthRoute(src: MetricsSources): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const startedAt = Date.now();
  return (req, res) => {
    const doc = healthDoc(src, startedAt);
    const live = /[?&]live\b/.test(req.url ?? '');
    const code = live || doc.status === 'ok' ? 200 : 503;
    res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(doc) + '\n');
  };
}
