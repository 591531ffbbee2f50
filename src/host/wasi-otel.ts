/**
 * The host side of `wasi:otel/metrics` (the WASI observability proposal,
 * wasi:otel@0.2.0-rc.2) for one component instance. A guest that speaks it
 * exports OpenTelemetry's data model (resource → scope → metric → data
 * points); each data point becomes a series of the instance's recorder
 * session, so it goes through the same limits, filters and merge port as
 * omnimeter's own recorder and carries the same component attribution.
 *
 * Mapping (OpenTelemetry's data model onto the port's kinds):
 * - monotonic sum → counter: cumulative points are readings the port diffs
 *   (a drop is a restart), delta points are added;
 * - non-monotonic sum → gauge (cumulative: set; delta: add); gauge → gauge (set);
 * - histogram → histogram with the point's bounds: cumulative points are
 *   readings, delta points add bucket counts and sum;
 * - exponential histograms are refused (`not_mergeable`): their buckets do
 *   not map onto fixed bounds or omnimeter's sketch without loss.
 * Names, attribute keys and UCUM units pass as they are (the core accepts
 * OpenTelemetry names; exposition translates them). Attribute values are
 * JSON (the WIT says so): strings are unquoted, anything else keeps its JSON
 * text. The resource, the scope, timestamps and exemplars are not used: the
 * host's labels say which component and instance the data came from.
 */
import type { CumulativeReading, MergeOp } from '../api/merge.js';
import type { MetricType } from '../api/snapshot.js';
import type { GuestSession } from './guest-session.js';

/** The interface name jco's glue looks up (it asks with and without the version, depending on its release). */
export const WASI_OTEL_METRICS = 'wasi:otel/metrics@0.2.0-rc.2';

/** The WIT's types as jco lifts them: records with camelCase fields, variants as `{ tag, val }`, 64-bit integers as bigint. */
export interface OtelKeyValue {
  key: string;
  value: string;
}
export type OtelNumber = { tag: 'f64'; val: number } | { tag: 's64' | 'u64'; val: bigint };
interface ValuePoint {
  attributes: readonly OtelKeyValue[];
  value: OtelNumber;
}
interface HistogramPoint {
  attributes: readonly OtelKeyValue[];
  count: bigint;
  bounds: ArrayLike<number>;
  bucketCounts: ArrayLike<bigint>;
  sum: OtelNumber;
}
export type OtelTemporality = 'cumulative' | 'delta' | 'low-memory';
export type OtelMetricData =
  | { tag: `${'f64' | 'u64' | 's64'}-gauge`; val: { dataPoints: readonly ValuePoint[] } }
  | { tag: `${'f64' | 'u64' | 's64'}-sum`; val: { dataPoints: readonly ValuePoint[]; temporality: OtelTemporality; isMonotonic: boolean } }
  | { tag: `${'f64' | 'u64' | 's64'}-histogram`; val: { dataPoints: readonly HistogramPoint[]; temporality: OtelTemporality } }
  | { tag: `${'f64' | 'u64' | 's64'}-exponential-histogram`; val: { dataPoints: readonly unknown[] } };
export interface OtelMetric {
  name: string;
  description: string;
  unit: string;
  data: OtelMetricData;
}
export interface OtelResourceMetrics {
  scopeMetrics: readonly { metrics: readonly OtelMetric[] }[];
}

const num = (n: OtelNumber): number => Number(n.val);

/** An attribute value: JSON per the WIT; a string is its text, anything else (or malformed JSON) its raw text. */
export function attributeValue(json: string): string {
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'string' ? v : json;
  } catch {
    return json;
  }
}

interface Registered {
  readonly id: number;
  readonly kind: MetricType;
  /** Attribute keys in label order. */
  readonly keys: readonly string[];
}

type Shape = 'gauge' | 'sum' | 'histogram' | 'exponential-histogram';

/** One instance's wasi:otel metrics exporter: OpenTelemetry data points in, merge-port updates out. */
export class OtelMetricsSink {
  private readonly metrics = new Map<string, Registered | 0>();
  private readonly series = new Map<string, number>();

  constructor(private readonly session: GuestSession) {}

  /** The `wasi:otel/metrics` import object: `export` returns nothing on success and throws the WIT's `error` (a string). */
  imports(): Record<string, unknown> {
    return { export: (rm: OtelResourceMetrics) => this.export(rm) };
  }

  export(rm: OtelResourceMetrics): void {
    if (!Array.isArray(rm?.scopeMetrics)) throw 'resource-metrics without scope-metrics';
    let refused = 0;
    for (const scope of rm.scopeMetrics) for (const metric of scope.metrics) refused += this.exportMetric(metric);
    // The data that was accepted stays; the guest learns that some was not (the reasons are counted by the host).
    if (refused > 0) throw `${refused} data point(s) refused; see omnimeter_wasm_rejected_total`;
  }

  /** Merges one metric's points; returns how many were refused. */
  private exportMetric(metric: OtelMetric): number {
    const shape = metric.data.tag.slice(4) as Shape;
    if (shape === 'exponential-histogram') {
      const n = metric.data.val.dataPoints.length;
      return (this.session.refuse('not_mergeable', n), n);
    }
    const points = metric.data.val.dataPoints as readonly (ValuePoint | HistogramPoint)[];
    const val = metric.data.val as { temporality?: OtelTemporality; isMonotonic?: boolean };
    const kind: MetricType = shape === 'histogram' ? 'histogram' : shape === 'sum' && val.isMonotonic ? 'counter' : 'gauge';
    // low-memory: monotonic sums and histograms are delta, up-down sums cumulative (OpenTelemetry's definition).
    const cumulative = val.temporality === 'cumulative' || (val.temporality === 'low-memory' && kind === 'gauge');
    const registered = this.register(metric, kind, points);
    let refused = 0;
    for (const point of points) {
      const series = registered ? this.seriesOf(registered, point.attributes) : 0;
      if (series === 0 || !this.record(series, kind, shape, cumulative, point)) refused++;
    }
    return refused;
  }

  /** The metric's registration: its label set is the union of the attribute keys of the points it first arrives with. */
  private register(metric: OtelMetric, kind: MetricType, points: readonly (ValuePoint | HistogramPoint)[]): Registered | 0 {
    const key = `${kind}\u0000${metric.name}`;
    const known = this.metrics.get(key);
    if (known !== undefined) return known;
    const keys = [...new Set(points.flatMap((p) => p.attributes.map((a) => a.key)))].sort();
    const first = points[0] as HistogramPoint | undefined;
    const id = this.session.registerMetric({
      name: metric.name,
      help: metric.description,
      unit: metric.unit,
      kind,
      labelNames: keys,
      buckets: kind === 'histogram' && first ? first.bounds : [],
      quantiles: [],
    });
    const registered = id === 0 ? 0 : { id, kind, keys };
    this.metrics.set(key, registered);
    return registered;
  }

  /** The series for a point's attributes; keys outside the metric's label set are refused, missing ones are empty. */
  private seriesOf(metric: Registered, attributes: readonly OtelKeyValue[]): number {
    const values = new Array<string>(metric.keys.length).fill('');
    for (const { key, value } of attributes) {
      const i = metric.keys.indexOf(key);
      if (i < 0) return this.session.refuse('invalid_series');
      values[i] = attributeValue(value);
    }
    const key = `${metric.id}\u0000${values.join('\u0001')}`;
    let id = this.series.get(key);
    if (id === undefined) {
      id = this.session.registerSeries(metric.id, values);
      if (id !== 0) this.series.set(key, id);
    }
    return id;
  }

  private record(series: number, kind: MetricType, shape: Shape, cumulative: boolean, point: ValuePoint | HistogramPoint): boolean {
    if (kind === 'histogram') {
      const p = point as HistogramPoint;
      const bucketCounts = Array.from(p.bucketCounts, Number);
      if (cumulative) return this.session.applyCumulative(series, { count: Number(p.count), sum: num(p.sum), bucketCounts });
      const ops: [MergeOp, number, number][] = bucketCounts.map((c, i) => ['bucket', i, c]);
      ops.push(['sum', 0, num(p.sum)]);
      return ops.every(([op, index, value]) => (op === 'bucket' && value === 0) || this.session.update(series, op, index, value));
    }
    const value = num((point as ValuePoint).value);
    if (kind === 'counter' && cumulative) return this.session.applyCumulative(series, { value } satisfies CumulativeReading);
    const op: MergeOp = shape === 'gauge' || cumulative ? 'set' : 'add';
    return this.session.update(series, op, 0, value);
  }
}
