/**
 * OTLP metrics (opentelemetry/proto/metrics/v1) built from snapshots, in the
 * OTLP/JSON shape (lowerCamelCase, 64-bit integers as decimal strings), and
 * encoded to protobuf by `encodeOtlpProtobuf`.
 */
import type { FamilySnapshot } from '../api/snapshot.js';
import { ucumUnit } from './prometheus-names.js';

export type Temporality = 'cumulative' | 'delta';
export const AGGREGATION_TEMPORALITY = { delta: 1, cumulative: 2 } as const;

export type AnyValue = { stringValue: string } | { boolValue: boolean } | { intValue: string } | { doubleValue: number };
export interface KeyValue {
  key: string;
  value: AnyValue;
}

interface PointBase {
  attributes: KeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
}
/** OTLP/JSON exemplar: trace and span ids as hex strings, as the OTLP/JSON encoding requires. */
export interface OtlpExemplar {
  timeUnixNano: string;
  asDouble: number;
  traceId: string;
  spanId: string;
}
export interface NumberDataPoint extends PointBase {
  asDouble: number;
  exemplars?: OtlpExemplar[];
}
export interface HistogramDataPoint extends PointBase {
  count: string;
  sum?: number;
  bucketCounts: string[];
  explicitBounds: number[];
  exemplars?: OtlpExemplar[];
}
/** OTLP bucket index i holds (base^i, base^(i+1)]: the Prometheus index minus one. */
export interface ExponentialBuckets {
  offset: number;
  bucketCounts: string[];
}

export interface ExponentialHistogramDataPoint extends PointBase {
  count: string;
  sum: number;
  scale: number;
  zeroCount: string;
  zeroThreshold: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
}

export interface SummaryDataPoint extends PointBase {
  count: string;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
}

export interface OtlpMetric {
  name: string;
  description: string;
  unit?: string;
  sum?: { dataPoints: NumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  gauge?: { dataPoints: NumberDataPoint[] };
  histogram?: { dataPoints: HistogramDataPoint[]; aggregationTemporality: number };
  exponentialHistogram?: { dataPoints: ExponentialHistogramDataPoint[]; aggregationTemporality: number };
  summary?: { dataPoints: SummaryDataPoint[] };
}

export interface ExportMetricsServiceRequest {
  resourceMetrics: {
    resource: { attributes: KeyValue[] };
    scopeMetrics: { scope: { name: string; version: string }; schemaUrl?: string; metrics: OtlpMetric[] }[];
  }[];
}

export function anyValue(value: string | number | boolean): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

const nanos = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
const integer = (n: number | undefined) => String(Math.round(n ?? 0));

export interface OtlpOptions {
  resource: Readonly<Record<string, string | number | boolean>>;
  temporality: Temporality;
  /** Collection time. */
  timeMs: number;
  /** Start of each point: the series' creation (cumulative) or the previous export (delta). */
  startMs(family: FamilySnapshot, series: FamilySnapshot['series'][number]): number;
  scope?: { name: string; version: string; schemaUrl?: string };
}

type Series = FamilySnapshot['series'][number];
type Scope = { name: string; version: string; schemaUrl?: string };

const SCOPE_PREFIX = 'otel_scope_';

/**
 * The instrumentation scope a series names with `otel_scope_*` labels (the
 * OpenTelemetry bridge sets them, as the specification's Prometheus rules
 * require), or undefined: "Labels with otel_scope_ prefix MUST be dropped
 * from all metric points and used as the Instrumentation Scope".
 */
function scopeOf(series: Series): Scope | undefined {
  let scope: Scope | undefined;
  for (const [key, value] of series.labels) {
    if (!key.startsWith(SCOPE_PREFIX)) continue;
    scope ??= { name: '', version: '' };
    if (key === 'otel_scope_name') scope.name = value;
    else if (key === 'otel_scope_version') scope.version = value;
    else if (key === 'otel_scope_schema_url') scope.schemaUrl = value;
  }
  return scope;
}

/** Snapshots (already deltas when temporality is delta) as an ExportMetricsServiceRequest. */
export function toOtlp(families: readonly FamilySnapshot[], options: OtlpOptions): ExportMetricsServiceRequest {
  const temporality = AGGREGATION_TEMPORALITY[options.temporality];
  const time = nanos(options.timeMs);
  const own = options.scope ?? { name: 'omnimeter', version: '0.1.0' };
  const scopes = new Map<string, { scope: Scope; metrics: OtlpMetric[] }>();
  const scopeEntry = (scope: Scope) => {
    const key = `${scope.name}\u0000${scope.version}\u0000${scope.schemaUrl ?? ''}`;
    let entry = scopes.get(key);
    if (!entry) scopes.set(key, (entry = { scope, metrics: [] }));
    return entry;
  };
  scopeEntry(own);
  for (const family of families) {
    // One metric per scope the family's series belong to (usually one).
    const groups = new Map<string, { scope: Scope; series: Series[] }>();
    for (const s of family.series) {
      const scope = scopeOf(s) ?? own;
      const key = `${scope.name}\u0000${scope.version}\u0000${scope.schemaUrl ?? ''}`;
      const group = groups.get(key);
      if (group) group.series.push(s);
      else groups.set(key, { scope, series: [s] });
    }
    for (const { scope, series } of groups.values()) {
      scopeEntry(scope).metrics.push(toMetric(family, series, temporality, time, options));
    }
  }
  return {
    resourceMetrics: [
      {
        resource: { attributes: Object.entries(options.resource).map(([key, value]) => ({ key, value: anyValue(value) })) },
        scopeMetrics: [...scopes.values()]
          .filter((e) => e.metrics.length > 0 || e.scope === own)
          .map(({ scope, metrics }) => ({
            scope: { name: scope.name, version: scope.version },
            ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}),
            metrics,
          })),
      },
    ],
  };
}

function exemplarsOf(s: Series): { exemplars?: OtlpExemplar[] } {
  const exemplars = s.exemplars?.filter((e) => e !== undefined);
  if (!exemplars?.length) return {};
  return {
    exemplars: exemplars.map((e) => ({ timeUnixNano: nanos(e.timeMs), asDouble: e.value, traceId: e.traceId, spanId: e.spanId })),
  };
}

/** Sparse [Prometheus index, count] pairs as OTLP's dense buckets from an offset. */
function dense(buckets: readonly (readonly [number, number])[]): ExponentialBuckets {
  if (buckets.length === 0) return { offset: 0, bucketCounts: [] };
  const first = buckets[0]![0];
  const counts: string[] = new Array(buckets[buckets.length - 1]![0] - first + 1).fill('0');
  for (const [index, count] of buckets) counts[index - first] = integer(count);
  return { offset: first - 1, bucketCounts: counts };
}

/** A native family is exported as ExponentialHistogram when every series' native buckets saw all its data. */
function exponential(family: FamilySnapshot, series: readonly Series[]): boolean {
  return family.native !== undefined && series.every((s) => s.native !== undefined && s.native.count === s.count);
}

function toMetric(family: FamilySnapshot, series: readonly Series[], temporality: number, time: string, options: OtlpOptions): OtlpMetric {
  const metric: OtlpMetric = { name: family.name, description: family.help };
  // Names, attribute keys and UCUM units as written: OTLP needs no translation.
  if (family.unit) metric.unit = ucumUnit(family.unit);
  const base = (s: Series): PointBase => ({
    attributes: s.labels.filter(([key]) => !key.startsWith(SCOPE_PREFIX)).map(([key, value]) => ({ key, value: { stringValue: value } })),
    startTimeUnixNano: nanos(options.startMs(family, s)),
    timeUnixNano: time,
  });
  switch (family.type) {
    case 'counter':
      metric.sum = {
        aggregationTemporality: temporality,
        isMonotonic: true,
        dataPoints: series.map((s) => ({ ...base(s), asDouble: s.value ?? 0, ...exemplarsOf(s) })),
      };
      break;
    case 'gauge':
      if (family.additive) {
        // An UpDownCounter: a non-monotonic sum, as the OpenTelemetry SDK exports it.
        metric.sum = {
          aggregationTemporality: temporality,
          isMonotonic: false,
          dataPoints: series.map((s) => ({ ...base(s), asDouble: s.value ?? 0 })),
        };
      } else metric.gauge = { dataPoints: series.map((s) => ({ ...base(s), asDouble: s.value ?? 0 })) };
      break;
    case 'histogram':
      if (exponential(family, series)) {
        metric.exponentialHistogram = {
          aggregationTemporality: temporality,
          dataPoints: series.map((s) => {
            const n = s.native!;
            return {
              ...base(s),
              count: integer(n.count),
              sum: n.sum,
              scale: n.schema,
              zeroCount: integer(n.zeroCount),
              zeroThreshold: n.zeroThreshold,
              positive: dense(n.positive),
              negative: dense(n.negative),
            };
          }),
        };
        break;
      }
      metric.histogram = {
        aggregationTemporality: temporality,
        dataPoints: series.map((s) => ({
          ...base(s),
          count: integer(s.count),
          sum: s.sum ?? 0,
          bucketCounts: (s.bucketCounts ?? []).map(integer),
          explicitBounds: [...(family.buckets ?? [])],
          ...exemplarsOf(s),
        })),
      };
      break;
    case 'summary':
      metric.summary = {
        dataPoints: series.map((s) => ({
          ...base(s),
          count: integer(s.count),
          sum: s.sum ?? 0,
          quantileValues: (family.quantiles ?? [])
            .map((quantile, i) => ({ quantile, value: s.quantileValues?.[i] ?? NaN }))
            .filter((q) => !Number.isNaN(q.value)),
        })),
      };
      break;
  }
  return metric;
}
