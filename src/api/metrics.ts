import type { TracerProvider } from '@opentelemetry/api';
import type { MetricsBackend } from './backend.js';
import type { Counter, Gauge, Histogram, Summary, Timer } from './instruments.js';
import type { MergePort } from './merge.js';
import type { FamilySnapshot } from './snapshot.js';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export interface MetricOptions<N extends string> {
  help: string;
  labelNames?: readonly N[];
  /** Unit suffix of the name (OpenMetrics `# UNIT`), e.g. "seconds" for `x_seconds`. */
  unit?: string;
}

export type CounterOptions<N extends string> = MetricOptions<N>;

export interface GaugeOptions<N extends string> extends MetricOptions<N> {
  /** Called before every collection to refresh values (pull-style gauge). */
  collect?: (this: Gauge<N>, gauge: Gauge<N>) => void | Promise<void>;
}

/** Sampling for high-volume observations: record 1 in round(1/rate), each standing for round(1/rate). */
export interface SamplingOptions {
  /** In (0, 1]. Default: the instance's samplingRate (1). */
  sampleRate?: number;
}

export interface HistogramOptions<N extends string> extends MetricOptions<N>, SamplingOptions {
  /** Finite, strictly ascending upper bounds; +Inf is implicit. Default: DEFAULT_BUCKETS. */
  buckets?: readonly number[];
  /**
   * Also keep native (exponential, base-2) buckets, exposed as a Prometheus
   * native histogram in the protobuf exposition. Off by default. Classic
   * buckets stay in the text formats; the protobuf exposition carries them
   * too only when `buckets` is given.
   */
  native?: boolean | NativeHistogramOptions;
}

export interface NativeHistogramOptions {
  /** Starting resolution, an integer from -4 to 8. Default 3 (8 buckets per power of two, ~4.4% error). */
  schema?: number;
  /** Bucket limit: the buckets in use may span at most this many (both signs together); beyond it neighbours merge (the schema goes down). Default 160. */
  maxBuckets?: number;
  /** Observations of at most this magnitude count as zero. Default 2^-128. */
  zeroThreshold?: number;
}

export interface SummaryOptions<N extends string> extends MetricOptions<N>, SamplingOptions {
  /** Quantiles in [0, 1]. Default [0.5, 0.9, 0.95, 0.99]. */
  quantiles?: readonly number[];
  /** Sliding window length. Default 600 s. */
  maxAgeSeconds?: number;
  /** Window granularity: the window advances in maxAgeSeconds/ageBuckets steps. Default 5. */
  ageBuckets?: number;
}

export interface TimerOptions<N extends string> extends HistogramOptions<N>, SummaryOptions<N> {
  /** Where durations go. Default "histogram" (aggregatable by Prometheus). */
  type?: 'histogram' | 'summary';
  /**
   * `time()` (and `@timed`) also runs the call in an OpenTelemetry span from
   * the instance's `tracerProvider`: true names it after the metric, a string
   * names it. Off by default; ignored without a tracerProvider.
   */
  span?: boolean | string;
}

export interface MetricsRegistry {
  /** Runs collect callbacks and returns a consistent copy of every family. */
  collect(): Promise<FamilySnapshot[]>;
  /** Renders the registry; yields to the event loop between slices on large registries. */
  expose(format?: ExpositionFormat): Promise<string>;
  /**
   * The same text in pieces as it is rendered (a few hundred series each,
   * one event-loop turn apart): for writing a large exposition out as it
   * is produced instead of holding it whole as one string.
   */
  exposeChunks(format?: ExpositionFormat): AsyncIterable<string>;
  contentType(format?: ExpositionFormat): string;
  /**
   * Runs `hook` before every collection (to refresh pull-style values); a
   * hook that throws is counted in omnimeter_collect_errors_total under
   * `name`. Returns a function that removes the hook.
   */
  addCollectHook(name: string, hook: () => void | Promise<void>): () => void;
  /**
   * Adds headers to every scrape's answer, read once its collection has run:
   * what a collect hook learned about the collection (a cluster primary sets
   * `X-Omnimeter-Partial` when workers did not answer). Returns a remover.
   */
  addResponseHeaders(source: () => Readonly<Record<string, string>> | undefined): () => void;
  /** What every source of addResponseHeaders gives now. */
  responseHeaders(): Record<string, string>;
}

export interface MetricsOptions {
  /** false: every instrument is a shared no-op. Default true. */
  enabled?: boolean;
  /** Prepended to every metric name (not to omnimeter's self-metrics). */
  prefix?: string;
  /** Labels added to every series, self-metrics included. */
  defaultLabels?: Readonly<Record<string, string>>;
  /** Series per metric before new label sets go to the overflow series. Default 2000. */
  maxSeriesPerMetric?: number;
  /** Expire series not recorded into for this long. Default: never. */
  seriesTtlSeconds?: number;
  /** "strict" throws on invalid values and labels; "lenient" drops and counts them. Default "strict". */
  mode?: 'strict' | 'lenient';
  /** Where series are stored. Default: the native in-process backend. */
  backend?: MetricsBackend;
  /** Monotonic millisecond clock (timers, windows, expiry). Default: performance.now. */
  clock?: { now(): number };
  /**
   * Decides at registration: returns the name to register under, or null to
   * hand out a no-op instead (deny). `unit` is the metric's unit option as
   * given ("" or absent for none). Config filters compile to this.
   */
  filter?: (name: string, type: 'counter' | 'gauge' | 'histogram' | 'summary', unit?: string) => string | null;
  /** Default sampling rate of histograms, summaries and timers. Default 1. */
  samplingRate?: number;
  /**
   * Attach the active trace to counters and histogram buckets as exemplars
   * (OpenMetrics, OTLP). Off by default. `omnimeter/node` reads the active
   * OpenTelemetry span; elsewhere pass `spanContext` (omnimeter/otel's
   * `activeSpanContext`).
   */
  exemplars?: boolean | { spanContext: SpanContextSource };
  /**
   * Where timers with `span` get their tracer. Injected, never the global
   * provider; omnimeter/node builds one from the `tracing` configuration.
   */
  tracerProvider?: TracerProvider;
}

/** The active (sampled) span, or undefined: where exemplars come from. */
export type SpanContextSource = () => { traceId: string; spanId: string } | undefined;

export interface Metrics {
  readonly enabled: boolean;
  readonly registry: MetricsRegistry;
  counter<N extends string = never>(name: string, options: CounterOptions<N>): Counter<N>;
  gauge<N extends string = never>(name: string, options: GaugeOptions<N>): Gauge<N>;
  histogram<N extends string = never>(name: string, options: HistogramOptions<N>): Histogram<N>;
  summary<N extends string = never>(name: string, options: SummaryOptions<N>): Summary<N>;
  timer<N extends string = never>(name: string, options: TimerOptions<N>): Timer<N>;
  /**
   * Where pre-aggregated data comes in (WebAssembly guests, /ingest pushes,
   * the engine component, workers): see src/api/merge.ts.
   */
  readonly merge: MergePort;
  /** Method decorator (TC39 or legacy) timing every call into `timer(name)`. */
  timed(name: string, options?: Partial<TimerOptions<never>>): (...args: any[]) => any;
  /** Stops background work and releases the backend. Idempotent. */
  shutdown(): Promise<void>;
}
