/**
 * `omnimeter/node` (and `omnimeter` when imported from Node): the core plus
 * what only Node has: configuration, exporters, an HTTP endpoint and
 * process metrics.
 */
import type { MetricsBackend } from '../api/backend.js';
import type { Metrics, MetricsOptions } from '../api/metrics.js';
import { wasmComponentBackend } from '../host/load-node.js';
import { ConfigError } from '../config/errors.js';
import { compileFilters } from '../config/filters.js';
import { applyEnvironment, parseConfig, portFromEnvironment } from '../config/load.js';
import { type MetricsConfig, type MetricsConfigInput, PrometheusExporterSchema, parseDuration } from '../config/schema.js';
import type * as z from 'zod';
import { ExportPipeline, NODE_EXPORTERS, buildPushExporters } from '../exporters/index.js';
import { createMetrics as createCoreMetrics } from '../index.js';
import { activeSpanContext } from '../otel/span-context.js';
import { createMeterProvider } from '../otel/meter-provider.js';
import { type Tracing, startTracing } from './tracing.js';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { IngestGate } from '../ingest/gate.js';
import { endpointOptions, ingestGate } from './endpoints.js';
import { type FetchHandler, fetchHandler } from './fetch-handler.js';
import { type HandlerOptions, type HealthRoutes, type RequestHandler, metricsHandler } from './request-handler.js';
import { type DefaultMetricsHandle, type DefaultMetricsOptions, collectDefaultMetrics } from './process-metrics.js';
import { type MetricsServer, type ServeOptions, serveMetrics } from './server.js';
import { type ShutdownReport, handleSignals, shutdownWithin } from './shutdown.js';
import { type Watch, type WatchOptions, buildWatch } from './watch.js';
import type { Health } from '../health/index.js';
import type { Alerting } from '../alerting/index.js';

export * from '../index.js';
export { serveMetrics, type MetricsServer, type ServeOptions, type ServerTimeouts } from './server.js';
export type { ShutdownReport } from './shutdown.js';
export type { HandlerOptions, HealthRoutes, RequestHandler } from './request-handler.js';
export type { FetchHandler } from './fetch-handler.js';
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
  /** Serves `/metrics` (127.0.0.1:9464 by default, or the port OMNIMETER_PORT names); closed by shutdown(). */
  serve(options?: ServeOptions): Promise<MetricsServer>;
  /** Registers the process and Node.js runtime metrics; stopped by shutdown(). */
  collectDefaultMetrics(options?: DefaultMetricsOptions): DefaultMetricsHandle;
  /** Resolves once configured endpoints listen; rejects if one could not start. */
  ready(): Promise<void>;
  /** Collects now and waits until every push exporter has delivered it. */
  flush(): Promise<void>;
  /**
   * Closes endpoints and delivers a final collection to every push exporter,
   * resolving within `shutdownTimeout` (default 10 s) whatever clients and
   * receivers do; what could not be delivered is logged. Idempotent.
   */
  shutdown(): Promise<void>;
  /** The same shutdown, resolving with its report: what was not delivered, connections closed by force. */
  shutdownWithReport(): Promise<ShutdownReport>;
  /**
   * The endpoint for an application's own server, `(req, res, next?)`
   * (node:http, Express, Connect): /metrics, /metrics.json, /healthz and
   * /readyz while health is on, /ingest when the first prometheus exporter
   * configures it. Its other paths go to `next` (or get 404). Defaults come
   * from the configuration; `options` override them.
   */
  handler(options?: EndpointOptions): RequestHandler;
  /** The same endpoint as `(Request) => Promise<Response>` (Hono, Bun, Deno, Workers); mount it on `.routes`. */
  fetchHandler(options?: EndpointOptions): FetchHandler;
  /** Health checks and readiness (config `health`); undefined while health is off. */
  readonly health: Health | undefined;
  /** Alerting rules, silences and notifications (config `alerting`); undefined while alerting is off. */
  readonly alerting: Alerting | undefined;
  /**
   * The TracerProvider timers (`span`) and the WASM host use: the injected
   * one, or the one built from `tracing` (undefined when neither). Never global.
   */
  readonly tracerProvider: TracerProvider | undefined;
  /**
   * The OpenTelemetry MeterProvider of this instance: the injected
   * `meterProvider`, else this instance as a provider (omnimeter/otel's
   * bridge, created on first use). Never global.
   */
  readonly meterProvider: MeterProvider;
}

/** Options only code can pass (functions, objects), beside the configuration. */
type ProgrammaticOnly = Pick<MetricsOptions, 'clock' | 'filter' | 'maxSeriesPerMetric' | 'seriesTtlSeconds' | 'tracerProvider'> & {
  /**
   * Where series live: a MetricsBackend, "native" (default), or
   * "wasm-component": omnimeter's engine compiled to a WebAssembly component
   * (built by `npm run build:wasm`; see docs/wasm.md).
   */
  backend?: MetricsBackend | 'native' | 'wasm-component';
  /**
   * The OpenTelemetry MeterProvider that what omnimeter instruments through
   * the OpenTelemetry API records into (omnimeter/mcp given `{ metrics }`,
   * anything handed `metrics.meterProvider`), for example the application's
   * own SDK provider. Default: this instance as a provider (omnimeter/otel's bridge).
   */
  meterProvider?: MeterProvider;
} & WatchOptions;
export type NodeMetricsOptions = MetricsConfigInput & ProgrammaticOnly;

/** handler() and fetchHandler() options: ingest as in the configuration (or false for none); health false to leave it out. */
export type EndpointOptions = Omit<HandlerOptions, 'ingest' | 'health'> & {
  ingest?: z.input<typeof PrometheusExporterSchema.shape.ingest> | false;
  health?: false;
};

const PROGRAMMATIC = [
  'backend',
  'clock',
  'filter',
  'maxSeriesPerMetric',
  'seriesTtlSeconds',
  'scheduler',
  'alertChannels',
  'tracerProvider',
  'meterProvider',
] as const;

/** Splits code-only options from the configuration and validates the latter (env overrides applied). */
function resolveConfig(
  input: NodeMetricsOptions,
  env: Record<string, string | undefined>,
): { config: MetricsConfig; programmatic: ProgrammaticOnly } {
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
  const injected = programmatic.meterProvider as { getMeter?: unknown } | undefined;
  if (injected !== undefined && typeof injected?.getMeter !== 'function') {
    throw new ConfigError('createMetrics', [
      `meterProvider: expected an OpenTelemetry MeterProvider (with getMeter), got ${String(injected)}`,
    ]);
  }
  if (programmatic.tracerProvider !== undefined && config.tracing.enabled) {
    throw new ConfigError('createMetrics', [
      'tracerProvider: conflicts with tracing.enabled (omnimeter would build a second provider); set one',
    ]);
  }
  return { config, programmatic };
}

/** The config's filters, then the programmatic one on the name they produce. */
function combinedFilter(config: MetricsConfig, userFilter: ProgrammaticOnly['filter']) {
  const filters = compileFilters(config.filters);
  const filter =
    filters.filter && userFilter
      ? (name: string, type: Parameters<typeof userFilter>[1], unit?: string) => {
          const renamed = filters.filter!(name, type, unit);
          return renamed === null ? null : userFilter(renamed, type, unit);
        }
      : (filters.filter ?? userFilter);
  return { filter, commonLabels: filters.commonLabels };
}

function backendOption(programmatic: ProgrammaticOnly): { backend?: MetricsBackend } {
  if (programmatic.backend === 'wasm-component') return { backend: wasmComponentBackend({ clock: programmatic.clock }) };
  return typeof programmatic.backend === 'object' ? { backend: programmatic.backend } : {};
}

/** The core's options: the configuration plus what only code can pass. */
function coreOptions(config: MetricsConfig, programmatic: ProgrammaticOnly, tracerProvider: TracerProvider | undefined): MetricsOptions {
  const { filter, commonLabels } = combinedFilter(config, programmatic.filter);
  const maxAge = config.retention.maxSeriesAge === undefined ? undefined : parseDuration(config.retention.maxSeriesAge)! / 1000;
  return {
    enabled: config.enabled,
    prefix: config.prefix,
    defaultLabels: { ...config.defaultLabels, ...commonLabels },
    mode: config.mode,
    maxSeriesPerMetric: programmatic.maxSeriesPerMetric ?? config.retention.maxSeries,
    seriesTtlSeconds: programmatic.seriesTtlSeconds ?? maxAge,
    samplingRate: config.samplingRate,
    ...(config.exemplars.enabled ? { exemplars: { spanContext: activeSpanContext } } : {}),
    ...(tracerProvider ? { tracerProvider } : {}),
    ...backendOption(programmatic),
    ...(programmatic.clock ? { clock: programmatic.clock } : {}),
    ...(filter ? { filter } : {}),
  };
}

/** Everything that runs beside the core in Node: endpoints, push exporters, process metrics, signal handlers. */
class NodeRuntime {
  private readonly servers: MetricsServer[] = [];
  private readonly gates: IngestGate[] = [];
  private readonly collectors: DefaultMetricsHandle[] = [];
  private readonly pipeline: ExportPipeline;
  /** Health and alerting on their shared sampler (nothing unless configured). */
  readonly watch: Watch;
  private removeSignalHandlers = () => {};
  readonly started: Promise<void>;
  private shuttingDown: Promise<ShutdownReport> | undefined;

  constructor(
    private readonly metrics: Metrics,
    private readonly config: MetricsConfig,
    private readonly closeCore: () => Promise<void>,
    programmatic: ProgrammaticOnly,
    private readonly tracing: Tracing | undefined,
  ) {
    // Disabled: no exporter is built, no port opened, no timer started.
    const exporters = config.enabled ? config.exporters : [];
    this.pipeline = new ExportPipeline(() => metrics.registry.collect(), buildPushExporters(exporters, NODE_EXPORTERS), metrics, {
      intervalMs: parseDuration(config.collectionInterval)!,
    });
    this.watch = buildWatch(metrics, config, programmatic.maxSeriesPerMetric ?? config.retention.maxSeries, programmatic, this.pipeline);
    this.started = this.startEndpoints(exporters);
    this.started.catch((error: Error) => console.warn(error.message));
    this.pipeline.start();
    this.watch.start();
    if (config.handleSignals && config.enabled) this.removeSignalHandlers = handleSignals(() => this.shutdown());
  }

  private async startEndpoints(exporters: MetricsConfig['exporters']): Promise<void> {
    const defaultLabels = this.config.defaultLabels;
    const starting = exporters.flatMap((e) => {
      if (e.type !== 'prometheus') return [];
      const { options, gate } = endpointOptions(this.metrics, e, defaultLabels);
      if (gate) this.gates.push(gate);
      return [serveMetrics(this.metrics.registry, { ...this.withHealth(), ...options }).then((s) => void this.servers.push(s))];
    });
    const failed = (await Promise.allSettled(starting)).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length)
      throw new Error(
        `omnimeter: ${failed.length} endpoint(s) failed to start: ${failed.map((f) => (f.reason as Error).message).join('; ')}`,
      );
  }

  /** Liveness and readiness routes while health is on. */
  private withHealth(): { health?: HealthRoutes } {
    const h = this.config.health;
    return this.watch.health && h
      ? { health: { health: this.watch.health, livenessPath: h.livenessPath, readinessPath: h.readinessPath } }
      : {};
  }

  /** Handler options: the first prometheus exporter's, health while on, then the caller's. */
  handlerOptions(options: EndpointOptions = {}): HandlerOptions {
    const prom = this.config.exporters.find((e) => e.type === 'prometheus');
    const { ingest: ingestInput, health, ...rest } = options;
    const ingestConfig =
      ingestInput === false ? undefined : ingestInput ? PrometheusExporterSchema.shape.ingest.parse(ingestInput) : prom?.ingest;
    let ingest: HandlerOptions['ingest'];
    if (ingestConfig) {
      const gate = ingestGate(this.metrics, ingestConfig, this.config.defaultLabels);
      this.gates.push(gate);
      ingest = { path: ingestConfig.path, origins: ingestConfig.origins, gate };
    }
    return {
      ...(prom ? { path: prom.path, format: prom.format, auth: prom.auth, maxConcurrentScrapes: prom.maxConcurrentScrapes } : {}),
      ...(health === false ? {} : this.withHealth()),
      ...(ingest ? { ingest } : {}),
      ...rest,
    };
  }

  async serve(options?: ServeOptions): Promise<MetricsServer> {
    const server = await serveMetrics(this.metrics.registry, { ...this.withHealth(), ...options });
    this.servers.push(server);
    return server;
  }

  collectDefaultMetrics(options?: DefaultMetricsOptions): DefaultMetricsHandle {
    const handle = this.metrics.enabled ? collectDefaultMetrics(this.metrics, options) : { stop() {} };
    this.collectors.push(handle);
    return handle;
  }

  flush(): Promise<void> {
    return this.pipeline.flush();
  }

  shutdown(): Promise<ShutdownReport> {
    this.shuttingDown ??= shutdownWithin({
      timeoutMs: parseDuration(this.config.shutdownTimeout)!,
      stopBackground: () => {
        this.removeSignalHandlers();
        for (const collector of this.collectors.splice(0)) collector.stop();
        for (const gate of this.gates.splice(0)) gate.close();
      },
      started: this.started,
      servers: () => this.servers.splice(0),
      closePipeline: async (deadline) => {
        await this.watch.shutdown(Math.max(0, deadline - Date.now())); // pending alert notifications first
        return this.pipeline.close(deadline);
      },
      // After the servers have drained: spans of requests that were in flight have ended.
      ...(this.tracing ? { closeTracing: this.tracing.shutdown } : {}),
      closeCore: this.closeCore,
    });
    return this.shuttingDown;
  }
}

/** `{ port }` from OMNIMETER_PORT (or OMNIMETER_PROMETHEUS_PORT) when set. */
function envPort(env: Record<string, string | undefined>): Pick<ServeOptions, 'port'> {
  const from = portFromEnvironment(env);
  return from ? { port: from.port } : {};
}

/**
 * Builds metrics from a configuration (see docs/configuration.md) plus
 * programmatic options. Code that calls this has asked for metrics, so
 * `enabled` defaults to true here; a config file (loadConfig) is inert until
 * it says `enabled: true`. OMNIMETER_ENABLED and OMNIMETER_PORT
 * override both. The whole configuration is validated before anything
 * starts: an invalid one throws a ConfigError and opens nothing.
 */
export function createMetrics(input: NodeMetricsOptions = {}, env: Record<string, string | undefined> = process.env): NodeMetrics {
  const { config, programmatic } = resolveConfig(input, env);
  // Disabled (tracing or metrics): nothing is loaded, built or sent.
  const tracing = config.enabled && config.tracing.enabled ? startTracing(config.tracing) : undefined;
  tracing?.ready.catch((error: Error) => console.warn(`omnimeter: ${error.message}`));
  const tracerProvider = programmatic.tracerProvider ?? tracing?.provider;
  const metrics = createCoreMetrics(coreOptions(config, programmatic, tracerProvider));
  const runtime = new NodeRuntime(metrics, config, metrics.shutdown.bind(metrics), programmatic, tracing);
  const node = Object.assign(metrics, {
    config,
    tracerProvider,
    // OMNIMETER_PORT is the metrics port's default here too; a port passed in code wins.
    serve: (options?: ServeOptions) => runtime.serve({ ...envPort(env), ...options }),
    collectDefaultMetrics: (options?: DefaultMetricsOptions) => runtime.collectDefaultMetrics(options),
    ready: () => Promise.all([runtime.started, tracing?.ready]).then(() => {}),
    flush: () => runtime.flush(),
    shutdown: async () => void (await runtime.shutdown()),
    shutdownWithReport: () => runtime.shutdown(),
    handler: (options?: EndpointOptions) => metricsHandler(metrics.registry, runtime.handlerOptions(options)),
    fetchHandler: (options?: EndpointOptions) => fetchHandler(metrics.registry, runtime.handlerOptions(options)),
    health: runtime.watch.health,
    alerting: runtime.watch.alerting,
  });
  // The injected provider, or the bridge created on first use (it registers a collect hook for observable instruments).
  let bridge: MeterProvider | undefined = programmatic.meterProvider;
  Object.defineProperty(node, 'meterProvider', { get: () => (bridge ??= createMeterProvider(metrics)), enumerable: true });
  return node as typeof node & { readonly meterProvider: MeterProvider };
}
