/**
 * `omnimeter/node` (and `omnimeter` when imported from Node): the core plus
 * what only Node has: an HTTP endpoint and process metrics.
 */
import type { Metrics, MetricsOptions } from '../api/metrics.js';
import { createMetrics as createCoreMetrics } from '../index.js';
import { type DefaultMetricsHandle, type DefaultMetricsOptions, collectDefaultMetrics } from './process-metrics.js';
import { type MetricsServer, type ServeOptions, serveMetrics } from './server.js';

export * from '../index.js';
export { serveMetrics, type MetricsServer, type ServeOptions } from './server.js';
export { collectDefaultMetrics, type DefaultMetricsOptions, type DefaultMetricsHandle } from './process-metrics.js';
export { negotiateFormat, acceptsGzip } from '../exposition/negotiate.js';

export interface NodeMetrics extends Metrics {
  /** Serves `/metrics` (127.0.0.1:9464 by default); closed by shutdown(). */
  serve(options?: ServeOptions): Promise<MetricsServer>;
  /** Registers the process and Node.js runtime metrics; stopped by shutdown(). */
  collectDefaultMetrics(options?: DefaultMetricsOptions): DefaultMetricsHandle;
}

export function createMetrics(options: MetricsOptions = {}): NodeMetrics {
  const metrics = createCoreMetrics(options);
  const servers: MetricsServer[] = [];
  const collectors: DefaultMetricsHandle[] = [];
  const shutdown = metrics.shutdown.bind(metrics);
  return Object.assign(metrics, {
    async serve(serveOptions?: ServeOptions) {
      const server = await serveMetrics(metrics.registry, serveOptions);
      servers.push(server);
      return server;
    },
    collectDefaultMetrics(defaultOptions?: DefaultMetricsOptions) {
      const handle = metrics.enabled ? collectDefaultMetrics(metrics, defaultOptions) : { stop() {} };
      collectors.push(handle);
      return handle;
    },
    async shutdown() {
      for (const collector of collectors.splice(0)) collector.stop();
      await Promise.all(servers.splice(0).map((s) => s.close()));
      await shutdown();
    },
  });
}
