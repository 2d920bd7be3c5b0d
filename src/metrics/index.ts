/**
 * Observability entry point: the Prometheus endpoint (off unless
 * modparam("dispatcher", "ds_metrics_listen", "127.0.0.1:9090")) and its parameters.
 */
import { buildMetricsRegistry, MetricsSources } from './collectors';
import { MetricsServer } from './server';
import { StatusPage } from './status-page';
import { healthRoute } from './health';
import type { MetricsListen } from './params';

export type { MetricsListen } from './params';
export { buildMetricsRegistry } from './collectors';
export type { MetricsSources } from './collectors';
export { MetricsServer } from './server';
/** Starts the endpoint, or does nothing (null) when `listen` is null. Rejects with MetricsListenError. */
export async function startMetrics(
  listen: MetricsListen | null,
  src: MetricsSources,
  onError: (e: Error) => void,
): Promise<MetricsServer | null> {
  if (listen === null) return null;
  const page = new StatusPage(src);
  const health = healthRoute(src);
  const routes = {
    handle: (req: Parameters<typeof health>[0], res: Parameters<typeof health>[1]): boolean => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
        health(req, res);
        return true;
      }
      return page.handle(req, res);
    },
    close: () => page.close?.(),
  };
  const server = await MetricsServer.start(listen, buildMetricsRegistry(src), onError, routes);
  page.start();
  return server;
}
