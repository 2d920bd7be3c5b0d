/**
 * The live status page on the metrics listener (dsd extension, read-only): `GET /` an
 * HTML page (status-page-html.ts: no build step, no external resources — the machine may
 * be offline), `GET /status.json` the same data, `GET /events` Server-Sent Events pushing
 * it every second. Changes stay on the control socket.
 *
 * A one-second sampler keeps the last five minutes of latency and calls per second per
 * destination for the sparklines; it runs only while the listener is up.
 */
import type http from 'node:http';
import type { MetricsSources } from './collectors';
import {
  DS_DISABLED_DST,
  DS_INACTIVE_DST,
  DS_PROBING_DST,
  DS_TRYING_DST,
  flagsString,
} from '../modules/dispatcher/flags';
import { activeDialogs } from '../modules/dispatcher/lb/operations';
import { VERSION } from '../core/version';
import { STATUS_PAGE_HTML } from './status-page-html';

const HISTORY_POINTS = 300;
const MAX_SSE_CLIENTS = 32;
/** The page's refresh period (a sample and a push to every open page). */
export const SAMPLE_MS = 1000;

interface StatusDest {
  uri: string;
  flags: string;
  state: 'active' | 'trying' | 'inactive' | 'disabled';
  probing: boolean;
  draining: boolean;
  ejected: boolean;
  /** Slow-start share in percent while ramping, else null. */
  slowStart: number | null;
  priority: number;
  weight: number;
  /** Keepalive latency estimate (ms), null without ds_ping_latency_stats samples. */
  latencyMs: number | null;
  callsPerSec: number;
  activeDialogs: number;
  calls: number;
  failovers: number;
  history: { latencyMs: Array<number | null>; callsPerSec: number[] };
}

export interface StatusDoc {
  version: string;
  now: string;
  uptimeSec: number;
  pingActive: boolean;
  sets: Array<{ id: number; destinations: StatusDest[] }>;
}

interface History {
  latency: Array<number | null>;
  cps: number[];
  lastCalls: number;
}

function stateOf(flags: number): StatusDest['state'] {
  if (flags & DS_INACTIVE_DST) return 'inactive';
  if (flags & DS_DISABLED_DST) return 'disabled';
  if (flags & DS_TRYING_DST) return 'trying';
  return 'active';
}

export class StatusPage {
  private readonly history = new Map<string, History>();
  private readonly clients = new Set<http.ServerResponse>();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly src: MetricsSources) {}

  start(): void {
    if (this.timer !== null) return;
    this.sample();
    this.timer = setInterval(() => this.tick(), SAMPLE_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private tick(): void {
    this.sample();
    if (this.clients.size === 0) return;
    const data = `data: ${JSON.stringify(this.snapshot())}\n\n`;
    for (const c of this.clients) c.write(data);
  }

  /** Adds one point per destination; drops the history of destinations that left. */
  private sample(): void {
    const ds = this.src.dispatcher.ds;
    const seen = new Set<string>();
    for (const set of ds.list?.sets ?? []) {
      for (const d of set.dests) {
        const k = `${set.id}\u0000${d.uri.toLowerCase()}`;
        seen.add(k);
        const calls = this.src.dispatcher.counters.of(set.id, d.uri).calls;
        let h = this.history.get(k);
        if (h === undefined) {
          h = { latency: [], cps: [], lastCalls: calls };
          this.history.set(k, h);
        }
        h.cps.push(Math.max(0, calls - h.lastCalls) * (1000 / SAMPLE_MS));
        h.lastCalls = calls;
        h.latency.push(d.latency.count > 0 || d.latency.est > 0 ? Math.round(d.latency.est * 100) / 100 : null);
        if (h.cps.length > HISTORY_POINTS) h.cps.shift();
        if (h.latency.length > HISTORY_POINTS) h.latency.shift();
      }
    }
    for (const k of [...this.history.keys()]) if (!seen.has(k)) this.history.delete(k);
  }

  snapshot(): StatusDoc {
    const ds = this.src.dispatcher.ds;
    const now = Date.now();
    const sets = (ds.list?.sets ?? []).map((set) => ({
      id: set.id,
      destinations: set.dests.map((d): StatusDest => {
        const h = this.history.get(`${set.id}\u0000${d.uri.toLowerCase()}`);
        const c = this.src.dispatcher.counters.of(set.id, d.uri);
        const ramp = ds.lb.slowStart.rampOf(d, now);
        const lat = h?.latency[h.latency.length - 1] ?? null;
        return {
          uri: d.uri,
          flags: flagsString(d.flags),
          state: stateOf(d.flags),
          probing: (d.flags & DS_PROBING_DST) !== 0,
          draining: ds.lb.drains.isDraining(d),
          ejected: ds.lb.eject.isEjected(d),
          slowStart: ramp === null ? null : Math.round(ramp * 100),
          priority: d.priority,
          weight: d.attrs.weight,
          latencyMs: lat,
          callsPerSec: h?.cps[h.cps.length - 1] ?? 0,
          activeDialogs: activeDialogs(ds, d),
          calls: c.calls,
          failovers: c.failovers,
          history: { latencyMs: h ? [...h.latency] : [], callsPerSec: h ? [...h.cps] : [] },
        };
      }),
    }));
    return {
      version: VERSION,
      now: new Date(now).toISOString(),
      uptimeSec: Math.floor((now - this.started) / 1000),
      pingActive: ds.pingEnabled,
      sets,
    };
  }

  /** Answers `/`, `/status.json` and `/events`; false for any other path (the caller's). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/' && path !== '/status.json' && path !== '/events') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' })
        .end('method not allowed; the status page is read-only\n');
      return true;
    }
    const common = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    if (path === '/') {
      res.writeHead(200, {
        ...common,
        'Content-Type': 'text/html; charset=utf-8',
        // everything is inline; nothing may load from elsewhere
        'Content-Security-Policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
      });
      res.end(req.method === 'HEAD' ? undefined : STATUS_PAGE_HTML);
      return true;
    }
    if (path === '/status.json') {
      res.writeHead(200, { ...common, 'Content-Type': 'application/json' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(this.snapshot()));
      return true;
    }
    if (this.clients.size >= MAX_SSE_CLIENTS) {
      res.writeHead(503, { ...common, 'Content-Type': 'text/plain', 'Retry-After': '5' }).end('too many live views\n');
      return true;
    }
    res.writeHead(200, { ...common, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    res.write(`retry: 1000\ndata: ${JSON.stringify(this.snapshot())}\n\n`);
    req.socket.setTimeout(0);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    return true;
  }
}
