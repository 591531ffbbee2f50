/**
 * `omnimeter/node` (and `omnimeter` when imported from Node): the core plus
 * what only Node has: configuration, exporters, an HTTP endpoint and
 * process metrics.
 */
import type { MetricsBackend } from '../api/backend.js';
import type { Metrics, MetricsOptions } from '../api/metrics.js';
import { wasmComponentBackend } from '../host/load-node.js';
import { ConfigError, formatIssues } from '../config/errors.js';
import { SnapshotSchema } from '../config/snapshot-schema.js';
import type { JsonSnapshot } from '../exposition/json.js';
import { IngestAggregator } from '../host/ingest.js';
import { compileFilters } from '../config/filters.js';
import { applyEnvironment, parseConfig } from '../config/load.js';
import { type MetricsConfig, type MetricsConfigInput, parseDuration } from '../config/schema.js';
import { ExportPipeline, buildPushExporter } from '../exporters/index.js';
import { exporterNamer } from '../exporters/worker-options.js';
import { createMetrics as createCoreMetrics } from '../index.js';
import { activeSpanContext } from '../otel/span-context.js';
import { type DefaultMetricsHandle, type DefaultMetricsOptions, collectDefaultMetrics } from './process-metrics.js';
import { type MetricsServer, type ServeOptions, serveMetrics } from './server.js';

export * from '../index.js';
export { serveMetrics, type MetricsServer, type ServeOptions } from './server.js';
export { collectDefaultMetrics, type DefaultMetricsOptions, type DefaultMetricsHandle } from './process-metrics.js';
export { negotiateFormat, acceptsGzip } from '../exposition/negotiate.js';
export { ConfigError } from '../config/errors.js';
export { loadConfig, parseConfig, CONFIG_FILES } from '../config/load.js';
export { MetricsConfigSchema, type MetricsConfig, type MetricsConfigInput, type ExporterConfig } from '../config/schema.js';
export { toJsonSnapshot, type JsonSnapshot } from '../exposition/json.js';
export type { PushExporter, ExportBatch } from '../api/exporter.js';

export interface NodeMetrics extends Metrics {
  /** The validated configuration this instance runs with. */
  readonly config: MetricsConfig;
  /** Serves `/metrics` (127.0.0.1:9464 by default); closed by shutdown(). */
  serve(options?: ServeOptions): Promise<MetricsServer>;
  /** Registers the process and Node.js runtime metrics; stopped by shutdown(). */
  collectDefaultMetrics(options?: DefaultMetricsOptions): DefaultMetricsHandle;
  /** Resolves once configured endpoints listen; rejects if one could not start. */
  ready(): Promise<void>;
  /** Collects now and waits until every push exporter has delivered it. */
  flush(): Promise<void>;
}

/** Options only code can pass (functions, objects), beside the configuration. */
type ProgrammaticOnly = Pick<MetricsOptions, 'clock' | 'filter' | 'maxSeriesPerMetric' | 'seriesTtlSeconds'> & {
  /**
   * Where series live: a MetricsBackend, "native" (default), or
   * "wasm-component": omnimeter's engine compiled to a WebAssembly component
   * (built by `npm run build:wasm`; see docs/wasm.md).
   */
  backend?: MetricsBackend | 'native' | 'wasm-component';
};
export type NodeMetricsOptions = MetricsConfigInput & ProgrammaticOnly;

const PROGRAMMATIC = ['backend', 'clock', 'filter', 'maxSeriesPerMetric', 'seriesTtlSeconds'] as const;

/**
 * Builds metrics from a configuration (see docs/configuration.md) plus
 * programmatic options. Code that calls this has asked for metrics, so
 * `enabled` defaults to true here; a config file (loadConfig) is inert until
 * it says `enabled: true`. OMNIMETER_ENABLED and OMNIMETER_PORT
 * override both. The whole configuration is validated before anything
 * starts: an invalid one throws a ConfigError and opens nothing.
 */
/** Validates pushed snapshots against the snapshot schema and merges them through an IngestAggregator. */
function ingestEndpoint(
  metrics: Metrics,
  config: { path: string; maxBytes: number; maxSources: number; origins: string[] },
): NonNullable<ServeOptions['ingest']> {
  const aggregator = new IngestAggregator(metrics, { maxSources: config.maxSources });
  return {
    path: config.path,
    maxBytes: config.maxBytes,
    origins: config.origins,
    accept(source, body) {
      const parsed = SnapshotSchema.safeParse(body, { reportInput: true });
      if (!parsed.success)
        return { ok: false, status: 400, message: `invalid snapshot:\n  ${formatIssues(parsed.error.issues).join('\n  ')}` };
      if (!aggregator.ingest(source, parsed.data as JsonSnapshot))
        return { ok: false, status: 429, message: `too many sources (limit ${config.maxSources})` };
      return { ok: true };
    },
  };
}

export function createMetrics(input: NodeMetricsOptions = {}, env: Record<string, string | undefined> = process.env): NodeMetrics {
  const configInput: Record<string, unknown> = { ...input };
  const programmatic: ProgrammaticOnly = {};
  for (const key of PROGRAMMATIC) {
    if (key in configInput) {
      (programmatic as Record<string, unknown>)[key] = configInput[key];
      delete configInput[key];
    }
  }
  if (programmatic.maxSeriesPerMetric !== undefined && (input.retention as { maxSeries?: number } | undefined)?.maxSeries !== undefined) {
    throw new ConfigError('createMetrics', ['maxSeriesPerMetric: conflicts with retention.maxSeries; set one']);
  }
  const config = parseConfig(applyEnvironment({ enabled: true, ...(configInput as MetricsConfigInput) }, env), 'createMetrics');
  const filters = compileFilters(config.filters);
  const userFilter = programmatic.filter;
  const filter =
    filters.filter && userFilter
      ? (name: string, type: Parameters<typeof userFilter>[1]) => {
          const renamed = filters.filter!(name);
          return renamed === null ? null : userFilter(renamed, type);
        }
      : (filters.filter ?? userFilter);
  const maxAge = config.retention.maxSeriesAge === undefined ? undefined : parseDuration(config.retention.maxSeriesAge)! / 1000;
  const metrics = createCoreMetrics({
    enabled: config.enabled,
    prefix: config.prefix,
    defaultLabels: { ...config.defaultLabels, ...filters.commonLabels },
    mode: config.mode,
    maxSeriesPerMetric: programmatic.maxSeriesPerMetric ?? config.retention.maxSeries,
    seriesTtlSeconds: programmatic.seriesTtlSeconds ?? maxAge,
    samplingRate: config.samplingRate,
    ...(config.exemplars.enabled ? { exemplars: { spanContext: activeSpanContext } } : {}),
    ...(programmatic.backend === 'wasm-component'
      ? { backend: wasmComponentBackend({ clock: programmatic.clock }) }
      : typeof programmatic.backend === 'object'
        ? { backend: programmatic.backend }
        : {}),
    ...(programmatic.clock ? { clock: programmatic.clock } : {}),
    ...(filter ? { filter } : {}),
  });

  // Disabled: no exporter is built, no port opened, no timer started.
  const exporters = config.enabled ? config.exporters : [];
  const nameOf = exporterNamer();
  const push = exporters.flatMap((e) => (e.type === 'prometheus' ? [] : [buildPushExporter(e, nameOf(e.type))]));
  const pipeline = new ExportPipeline(() => metrics.registry.collect(), push, metrics, {
    intervalMs: parseDuration(config.collectionInterval)!,
  });

  const servers: MetricsServer[] = [];
  const collectors: DefaultMetricsHandle[] = [];
  const starting = exporters.flatMap((e) =>
    e.type === 'prometheus'
      ? [
          serveMetrics(metrics.registry, {
            host: e.host,
            port: e.port,
            path: e.path,
            format: e.format,
            auth: e.auth,
            ingest: e.ingest && ingestEndpoint(metrics, e.ingest),
          }).then((s) => void servers.push(s)),
        ]
      : [],
  );
  const started = Promise.allSettled(starting).then((results) => {
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length)
      throw new Error(
        `omnimeter: ${failed.length} endpoint(s) failed to start: ${failed.map((f) => (f.reason as Error).message).join('; ')}`,
      );
  });
  started.catch((error: Error) => console.warn(error.message));
  pipeline.start();

  const coreShutdown = metrics.shutdown.bind(metrics);
  let shuttingDown: Promise<void> | undefined;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      for (const collector of collectors.splice(0)) collector.stop();
      await pipeline.close(); // final collection, delivered to every push exporter
      await started.catch(() => {});
      await Promise.all(servers.splice(0).map((s) => s.close()));
      await coreShutdown();
    })());

  if (config.handleSignals && config.enabled) {
    const onSignal = (signal: NodeJS.Signals) => {
      void shutdown().finally(() => process.kill(process.pid, signal));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  return Object.assign(metrics, {
    config,
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
    ready: () => started,
    flush: () => pipeline.flush(),
    shutdown,
  });
}
