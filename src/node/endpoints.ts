/**
 * The configuration's `prometheus` entries as listener options: timeouts,
 * scrape concurrency and, where configured, `/ingest` with its admission
 * gate in front of the merge.
 */
import type { Metrics } from '../api/metrics.js';
import { type ExporterConfig, parseDuration } from '../config/schema.js';
import { IngestAggregator } from '../host/ingest.js';
import { IngestGate } from '../ingest/gate.js';
import type { ServeOptions } from './server.js';

type PrometheusConfig = Extract<ExporterConfig, { type: 'prometheus' }>;
type IngestConfig = NonNullable<PrometheusConfig['ingest']>;

const ms = (duration: number | string) => parseDuration(duration)!;

/** What the collector's own labels (`source`, up to 64 characters, and the default labels) add to a sample line, at most. */
function hostLabelBytes(defaultLabels: Readonly<Record<string, string>>): number {
  let bytes = 'source="",'.length + 64;
  for (const [name, value] of Object.entries(defaultLabels)) bytes += name.length + 4 + 3 * value.length;
  return bytes;
}

/** The admission gate and the merge behind it, for one endpoint. */
export function ingestGate(metrics: Metrics, config: IngestConfig, defaultLabels: Readonly<Record<string, string>>): IngestGate {
  const merger = new IngestAggregator(metrics, {
    maxSources: Infinity, // the gate admits sources
    limits: { maxMetrics: config.maxMetricsPerSource, maxSeries: config.maxSeriesPerSource },
  });
  return new IngestGate({
    metrics,
    merger: { merge: (source, snapshot) => merger.merge(source, snapshot), forget: (source) => merger.forget(source) },
    reservedLabels: ['source', ...Object.keys(defaultLabels)],
    hostLabelBytes: hostLabelBytes(defaultLabels),
    limits: {
      maxBytes: config.maxBytes,
      maxSources: config.maxSources,
      maxMetricsPerSource: config.maxMetricsPerSource,
      maxSeriesPerSource: config.maxSeriesPerSource,
      maxBucketsPerHistogram: config.maxBucketsPerHistogram,
      maxExpositionBytesPerSource: config.maxExpositionBytesPerSource,
      maxExpositionBytes: config.maxExpositionBytes,
      sourceIdleMs: ms(config.sourceIdleTimeout),
      sourcePushesPerSecond: config.rateLimit.sourcePushesPerSecond,
      pushesPerSecond: config.rateLimit.pushesPerSecond,
      bytesPerSecond: config.rateLimit.bytesPerSecond,
      maxBufferedBytes: config.maxBufferedBytes,
    },
  });
}

/** serve() options for one prometheus entry; `gate` is set when it accepts pushes. */
export function endpointOptions(
  metrics: Metrics,
  e: PrometheusConfig,
  defaultLabels: Readonly<Record<string, string>>,
): { options: ServeOptions; gate?: IngestGate } {
  const gate = e.ingest && ingestGate(metrics, e.ingest, defaultLabels);
  const options: ServeOptions = {
    host: e.host,
    port: e.port,
    path: e.path,
    format: e.format,
    auth: e.auth,
    maxConcurrentScrapes: e.maxConcurrentScrapes,
    timeouts: {
      headers: ms(e.timeouts.headers),
      request: ms(e.timeouts.request),
      keepAlive: ms(e.timeouts.keepAlive),
      idle: ms(e.timeouts.idle),
    },
    ...(e.ingest && gate ? { ingest: { path: e.ingest.path, origins: e.ingest.origins, gate } } : {}),
  };
  return { options, gate };
}
