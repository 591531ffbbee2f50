/**
 * The backend trait. A backend owns the storage of series ("cells"); the core
 * engine in front of it owns names, labels, validation, cardinality limits
 * and exposition, so every backend behaves identically at the API.
 */
import type { MetricType, NativeHistogramSpec, SeriesSnapshot } from './snapshot.js';

/** Everything a backend needs to know about a metric family. */
export interface FamilyDescriptor {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
  /** Gauges: values are sums (an OpenTelemetry UpDownCounter); OTLP exports a non-monotonic sum. */
  readonly additive?: boolean;
  /** All label names of the family's series, default labels first. */
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
  /** Histograms: native (exponential) buckets beside the classic ones. */
  readonly native?: NativeHistogramSpec;
  readonly quantiles?: readonly number[];
  /** Summary sliding window. */
  readonly maxAgeSeconds?: number;
  readonly ageBuckets?: number;
  /**
   * Set on the descriptor of a family's overflow series (labels: the default
   * labels and `omnimeter_overflow`): the family it overflows.
   */
  readonly overflowOf?: FamilyDescriptor;
}

/** What a cell reports at collection time. */
export type CellReading = Omit<SeriesSnapshot, 'labels' | 'createdMs'>;

/** Cells receive values the core has already validated. */
export interface CounterCell {
  add(value: number): void;
  read(): CellReading;
}

export interface GaugeCell {
  set(value: number): void;
  add(value: number): void;
  read(): CellReading;
}

export interface HistogramCell {
  /** `weight` > 1 when sampling: the observation stands for that many. */
  observe(value: number, weight: number): void;
  /** Merges pre-aggregated data: `count` more observations in bucket `index` (last = +Inf). */
  addBucket(index: number, count: number): void;
  /** Merges pre-aggregated data: adds to the sum of observations. */
  addSum(value: number): void;
  read(): CellReading;
}

export interface SummaryCell {
  observe(value: number, weight: number): void;
  /** Merges pre-aggregated data: `count` more observations in log-linear sketch bucket `index`. */
  addSketchBucket(index: number, count: number): void;
  addSum(value: number): void;
  read(): CellReading;
}

export type Cell = CounterCell | GaugeCell | HistogramCell | SummaryCell;

/** What the core offers a backend whose storage has telemetry of its own. */
export interface BackendHost {
  /** Counts `n` recordings or registrations the backend's storage refused (omnimeter_backend_rejected_total). */
  rejected(reason: string, n: number): void;
}

export interface MetricsBackend {
  /** Short identifier, e.g. "native" or "wasm-component". */
  readonly id: string;
  counterCell(family: FamilyDescriptor, labelValues: readonly string[]): CounterCell;
  gaugeCell(family: FamilyDescriptor, labelValues: readonly string[]): GaugeCell;
  histogramCell(family: FamilyDescriptor, labelValues: readonly string[]): HistogramCell;
  summaryCell(family: FamilyDescriptor, labelValues: readonly string[]): SummaryCell;
  /**
   * The series behind `cell` is gone: "removed" by reset() or remove() (its
   * data must be dropped), or "expired" as idle (the core may reinstate the
   * same cell if the user still holds its handle, so keep its data).
   */
  release(cell: Cell, reason: 'removed' | 'expired'): void;
  /** Called once by the core that owns the backend, before any cell is made. */
  attach?(host: BackendHost): void;
  /** Called once before each collection, so batching backends can sync. */
  beforeCollect?(): void | Promise<void>;
  /** Flush and free everything; the backend is not used afterwards. */
  close?(): void | Promise<void>;
}
