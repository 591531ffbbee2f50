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
export interface NumberDataPoint extends PointBase {
  asDouble: number;
}
export interface HistogramDataPoint extends PointBase {
  count: string;
  sum?: number;
  bucketCounts: string[];
  explicitBounds: number[];
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
  summary?: { dataPoints: SummaryDataPoint[] };
}

export interface ExportMetricsServiceRequest {
  resourceMetrics: {
    resource: { attributes: KeyValue[] };
    scopeMetrics: { scope: { name: string; version: string }; metrics: OtlpMetric[] }[];
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
  scope?: { name: string; version: string };
}

/** Snapshots (already deltas when temporality is delta) as an ExportMetricsServiceRequest. */
export function toOtlp(families: readonly FamilySnapshot[], options: OtlpOptions): ExportMetricsServiceRequest {
  const temporality = AGGREGATION_TEMPORALITY[options.temporality];
  const time = nanos(options.timeMs);
  const metrics: OtlpMetric[] = [];
  for (const family of families) {
    if (family.series.length === 0) continue;
    const metric: OtlpMetric = { name: family.name, description: family.help };
    // Names, attribute keys and UCUM units as written: OTLP needs no translation.
    if (family.unit) metric.unit = ucumUnit(family.unit);
    const base = (s: FamilySnapshot['series'][number]): PointBase => ({
      attributes: s.labels.map(([key, value]) => ({ key, value: { stringValue: value } })),
      startTimeUnixNano: nanos(options.startMs(family, s)),
      timeUnixNano: time,
    });
    switch (family.type) {
      case 'counter':
        metric.sum = {
          aggregationTemporality: temporality,
          isMonotonic: true,
          dataPoints: family.series.map((s) => ({ ...base(s), asDouble: s.value ?? 0 })),
        };
        break;
      case 'gauge':
        metric.gauge = { dataPoints: family.series.map((s) => ({ ...base(s), asDouble: s.value ?? 0 })) };
        break;
      case 'histogram':
        metric.histogram = {
          aggregationTemporality: temporality,
          dataPoints: family.series.map((s) => ({
            ...base(s),
            count: integer(s.count),
            sum: s.sum ?? 0,
            bucketCounts: (s.bucketCounts ?? []).map(integer),
            explicitBounds: [...(family.buckets ?? [])],
          })),
        };
        break;
      case 'summary':
        metric.summary = {
          dataPoints: family.series.map((s) => ({
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
    metrics.push(metric);
  }
  return {
    resourceMetrics: [
      {
        resource: { attributes: Object.entries(options.resource).map(([key, value]) => ({ key, value: anyValue(value) })) },
        scopeMetrics: [{ scope: options.scope ?? { name: 'omnimeter', version: '0.1.0' }, metrics }],
      },
    ],
  };
}
