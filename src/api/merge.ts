/**
 * The merge port: the one way pre-aggregated data enters a core. WebAssembly
 * guests (through the host's GuestSession), `/ingest` pushes, the engine
 * component, and later cluster workers each open a session for their source,
 * register metrics and series once, and then apply per-kind deltas (or
 * cumulative readings, which the core turns into deltas) by number.
 *
 * The types here say nothing about how series are stored: a source holds
 * numbers (metric and series ids), never handles, so the storage behind the
 * port can change without touching its callers.
 */
import type { MetricType } from './snapshot.js';

/** A metric as a source describes it; sent once per session. */
export interface MergeDescriptor {
  /** `[a-zA-Z_:][a-zA-Z0-9_:./-]*`: Prometheus or OpenTelemetry names (core/names.ts); a counter may end in `_total` (`x` and `x_total` are one counter). */
  readonly name: string;
  readonly kind: MetricType;
  readonly help: string;
  /** A Prometheus unit word ("seconds") or a UCUM unit ("s", "By", "{request}"), or "" for none. */
  readonly unit: string;
  /** The source's own label names, in the order series give values. */
  readonly labelNames: readonly string[];
  /** Histogram bounds, strictly ascending; absent or empty: the core's defaults. */
  readonly buckets?: ArrayLike<number>;
  /** Summary quantiles; absent or empty: the core's defaults. */
  readonly quantiles?: ArrayLike<number>;
  /** Summary window in seconds; absent or 0: the core's default. */
  readonly maxAgeSeconds?: number;
  /** Summary window steps; absent or 0: the core's default. */
  readonly ageBuckets?: number;
}

/**
 * What a delta does to a series, by kind:
 * - counter: `add` (>= 0);
 * - gauge: `add`, `set`;
 * - histogram: `observe`, `bucket` (`value` more observations in bucket `index`, the last being +Inf), `sum`;
 * - summary: `observe`, `sketch` (`value` more observations in log-linear sketch bucket `index`), `sum`.
 */
export type MergeOp = 'add' | 'set' | 'observe' | 'bucket' | 'sketch' | 'sum';

/** Why the port refused a registration or an update. */
export type MergeRefusal =
  /** A source that is not the core's own storage named a metric in the `omnimeter_` namespace. */
  | 'reserved_name'
  /** The core's filter denies the metric. */
  | 'filtered'
  /** Invalid name, labels, unit, buckets or quantiles. */
  | 'invalid_metric'
  /** The name is registered with another kind or shape. */
  | 'conflict'
  /** Wrong number of label values, or an id this session never gave out. */
  | 'invalid_series'
  /** An update for a series id this session does not know (never given, or forgotten). */
  | 'unknown_series'
  /** An op the kind does not take, a value out of range, a bucket index past +Inf. */
  | 'invalid_update'
  /** A cumulative reading the kind cannot merge (a summary without its sketch). */
  | 'not_mergeable'
  /** The session was closed. */
  | 'closed';

/** Ids are > 0; a refusal says why there is none. */
export type MergeResult = number | MergeRefusal;

/**
 * A cumulative reading of one series (what a worker or a pushed snapshot
 * reports): the core diffs it against the previous reading of the same series
 * in the same session. A value that went down is a reset (the source
 * restarted) and counts from zero, as Prometheus' `rate()` expects.
 */
export interface CumulativeReading {
  /** Counter total or gauge value. */
  readonly value?: number;
  /** Histogram and summary: observations and their sum. */
  readonly count?: number;
  readonly sum?: number;
  /** Histogram: non-cumulative count per bucket, +Inf last. */
  readonly bucketCounts?: ArrayLike<number>;
  /** Summary: log-linear sketch bucket index → count (docs/wasm.md); without it a summary cannot merge. */
  readonly sketch?: ReadonlyMap<number, number>;
}

/** How a gauge written by several sources sharing a series combines. */
export type GaugePolicy = 'last' | 'sum' | 'min' | 'max';

export interface MergeSourceOptions {
  /**
   * Labels that identify the source (component and instance, a push source, a
   * worker), put before the source's own labels on every series. Sources with
   * the same identity labels share series: counters add, histograms add
   * bucket-wise, summaries merge sketches, gauges follow `gaugePolicy`.
   */
  readonly labels?: readonly (readonly [name: string, value: string])[];
  /** Default "last": the latest write wins. */
  readonly gaugePolicy?: GaugePolicy;
  /** Sampling of raw `observe` updates into histograms and summaries, in (0, 1]. Default the core's. */
  readonly sampleRate?: number;
  /**
   * The core's own storage (the engine component): no prefix or filter, and
   * the `omnimeter_` namespace allowed. Everything else is untrusted.
   */
  readonly trusted?: boolean;
}

/** One source's view of the core: its ids, its gauge shares, its cumulative baselines. */
export interface MergeSession {
  /** Registers a metric; the same descriptor again gives the same id. */
  register(descriptor: MergeDescriptor): MergeResult;
  /** The series of `metric` with these label values (in labelNames order); the same values give the same id. */
  series(metric: number, labelValues: readonly string[]): MergeResult;
  /** The metric's overflow series (`omnimeter_overflow="true"`), where a source puts what is beyond its own series limit. */
  overflow(metric: number): MergeResult;
  /** Applies one delta. */
  apply(series: number, op: MergeOp, index: number, value: number): MergeRefusal | undefined;
  /** Applies the difference between `reading` and this session's previous reading of the series. */
  applyCumulative(series: number, reading: CumulativeReading): MergeRefusal | undefined;
  /**
   * Drops the series: its data goes when no other source shares it; a shared
   * series only loses this source's gauge share. The id is refused afterwards.
   */
  forget(series: number): MergeRefusal | undefined;
  /** The descriptor in effect for `metric`: its name as first registered, defaults filled in. */
  descriptor(metric: number): MergeDescriptor | undefined;
  /** Ids of the metrics registered in this session, in registration order. */
  metrics(): readonly number[];
  /** Releases the session's ids and gauge shares; the data it merged stays. */
  close(): void;
}

export interface MergePort {
  open(options?: MergeSourceOptions): MergeSession;
}
