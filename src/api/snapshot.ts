/**
 * The data model every collection produces and every exporter consumes.
 * Plain data only: snapshots are copied out of live series, so an exporter
 * may hold them across awaits.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface FamilySnapshot {
  /**
   * Family name as written: a Prometheus name or an OpenTelemetry one
   * (`mcp.server.operation.duration`), kept as is for OTLP, JSON and StatsD;
   * Prometheus exposition translates it (exposition/prometheus-names.ts).
   * Counters carry it without the `_total` suffix (OpenMetrics family
   * naming); exporters append the suffix on samples.
   */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /**
   * Unit as given: a Prometheus unit word that is already the name's suffix
   * ("seconds", "bytes"), or a UCUM unit ("s", "By", "1", "{request}"); "" for none.
   */
  readonly unit: string;
  /** A gauge whose values are sums (an OpenTelemetry UpDownCounter): OTLP exports it as a non-monotonic sum. */
  readonly additive?: boolean;
  readonly series: readonly SeriesSnapshot[];
  /** Histogram upper bounds (finite, ascending; +Inf implicit). */
  readonly buckets?: readonly number[];
  /** Histograms with the native option: how their series keep exponential buckets. */
  readonly native?: NativeHistogramSpec;
  /** Summary quantiles in [0, 1], ascending. */
  readonly quantiles?: readonly number[];
}

export interface SeriesSnapshot {
  /** Label names (attribute keys, as written) and values, default labels first, in declaration order. */
  readonly labels: readonly (readonly [name: string, value: string])[];
  /** Counter or gauge value. */
  readonly value?: number;
  /** Histogram and summary: number of observations and their sum. */
  readonly count?: number;
  readonly sum?: number;
  /** Histogram: non-cumulative counts, one per bucket plus the +Inf bucket last. */
  readonly bucketCounts?: readonly number[];
  /** Summary: one value per family quantile, NaN when the window is empty. */
  readonly quantileValues?: readonly number[];
  /**
   * Exemplars (when enabled): counters one, histograms one per bucket (+Inf
   * last), undefined where none was recorded.
   */
  readonly exemplars?: readonly (Exemplar | undefined)[];
  /** Histograms with the native option: the exponential buckets of the observations made through the API. */
  readonly native?: NativeHistogramPoint;
  /** Creation time of the series in milliseconds since the epoch (counters, histograms, summaries). */
  readonly createdMs?: number;
}

/** The trace a recording happened in: an OpenMetrics exemplar, an OTLP exemplar. */
export interface Exemplar {
  /** The increment (counters) or the observed value (histograms). */
  readonly value: number;
  /** Wall-clock time in milliseconds since the epoch. */
  readonly timeMs: number;
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
}

/** How a histogram keeps native (exponential) buckets. */
export interface NativeHistogramSpec {
  /** Starting resolution, -4 to 8: bucket boundaries at powers of 2^(2^-schema). */
  readonly schema: number;
  /** Most buckets the series may span, lowest to highest in use (positive and negative together), before the schema is reduced. */
  readonly maxBuckets: number;
  /** Observations of at most this magnitude count in the zero bucket. */
  readonly zeroThreshold: number;
  /** Whether the protobuf exposition also carries the classic buckets. */
  readonly classic: boolean;
}

/** A native histogram's reading: the Prometheus native histogram and OTLP ExponentialHistogram data point. */
export interface NativeHistogramPoint {
  /** Current schema (may be below the configured one after scale reduction). */
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly count: number;
  readonly sum: number;
  /** [bucket index, count] pairs, ascending index, counts > 0; bucket i holds (2^((i-1)/2^schema), 2^(i/2^schema)]. */
  readonly positive: readonly (readonly [number, number])[];
  /** The same for negative observations, by magnitude. */
  readonly negative: readonly (readonly [number, number])[];
}
