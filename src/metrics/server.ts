/**
 * The Prometheus endpoint: a plain node:http server answering GET /metrics (HEAD too)
 * with the registry's text exposition; anything else is 404/405.
 */
import type http from 'node:http';
import type { Registry } from 'prom-client';
import type { MetricsListen } from './params';
import { DsdError } from '../core/errors';

class MetricsListenError extends DsdError {
  constructor(
    readonly listen: MetricsListen,
    override readonly cause: Error,
  ) {
    super('DSD_ERR_METRICS_LISTEN', `metrics endpoint ${fmt(listen)}: ${cause.message}`);
  }
}

function fmt(l: MetricsListen): string {
  return l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
}

/** More routes on the same listener (the status page): handle() returns false for paths it does not own. */
export interface ExtraRoutes {
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  close?(): void;
}

export class MetricsServer {
  private constructor(
    private readonly server: http.Server,
    readonly listen: MetricsListen,
    private readonly extra: ExtraRoutes | null,
  ) {}

  /** Text form of the bound address, e.g. 127.0.0.1:9090. */
  get address(): string {
    return fmt(this.listen);
  }

  static start(
    listen: MetricsListen,
    registry: Registry,
    onError: (e: Error) => void,
    extra: ExtraRoutes | null = null,
  ): Promise<MetricsServer> {
    // node:http is loaded here, when the endpoint starts: a start without it never pays it
    const server = (require('node:http') as typeof http).createServer((req, res) => {
      if (extra !== null && extra.handle(req, res)) return;
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found; try /metrics\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
        return;
      }
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (e: Error) => {
          onError(e);
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics collection failed\n');
        },
      );
    });
    server.keepAliveTimeout = 5000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => reject(new MetricsListenError(listen, e)));
      server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', onError);
        resolve(new MetricsServer(server, listen, extra));
      });
    });
  }

  close(): Promise<void> {
    this.extra?.close?.();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
