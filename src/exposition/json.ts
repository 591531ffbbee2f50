/**
 * The JSON snapshot format ("omnimeter-snapshot", version 1), documented by
 * docs/snapshot.schema.json. Used by the JSON file exporter, /metrics.json
 * and (later) browser pushes. NaN quantiles become null (JSON has no NaN).
 */
import type { FamilySnapshot, MetricType } from '../api/snapshot.js';

export interface JsonSeries {
  labels: Record<string, string>;
  value?: number;
  count?: number;
  sum?: number;
  /** Histograms: non-cumulative counts per bucket, +Inf last. */
  bucketCounts?: number[];
  /** Summaries: one per family quantile; null when the window is empty. */
  quantileValues?: (number | null)[];
  createdMs?: number;
}

export interface JsonFamily {
  name: string;
  type: MetricType;
  help: string;
  unit: string;
  buckets?: number[];
  quantiles?: number[];
  series: JsonSeries[];
}

export interface JsonSnapshot {
  format: 'omnimeter-snapshot';
  version: 1;
  /** Collection time, ISO 8601 and milliseconds since the epoch. */
  timestamp: string;
  timeMs: number;
  metrics: JsonFamily[];
}

export function toJsonSnapshot(families: readonly FamilySnapshot[], timeMs: number): JsonSnapshot {
  return {
    format: 'omnimeter-snapshot',
    version: 1,
    timestamp: new Date(timeMs).toISOString(),
    timeMs,
    metrics: families.map((f) => ({
      name: f.name,
      type: f.type,
      help: f.help,
      unit: f.unit,
      ...(f.buckets ? { buckets: [...f.buckets] } : {}),
      ...(f.quantiles ? { quantiles: [...f.quantiles] } : {}),
      series: f.series.map((s) => {
        const out: JsonSeries = { labels: Object.fromEntries(s.labels) };
        if (s.value !== undefined) out.value = s.value;
        if (s.count !== undefined) out.count = s.count;
        if (s.sum !== undefined) out.sum = s.sum;
        if (s.bucketCounts) out.bucketCounts = [...s.bucketCounts];
        if (s.quantileValues) out.quantileValues = s.quantileValues.map((v) => (Number.isNaN(v) ? null : v));
        if (s.createdMs !== undefined) out.createdMs = s.createdMs;
        return out;
      }),
    })),
  };
}

/** The inverse of toJsonSnapshot: back to the data model (null quantiles become NaN). */
export function fromJsonSnapshot(snapshot: JsonSnapshot): FamilySnapshot[] {
  return snapshot.metrics.map((f) => ({
    name: f.name,
    type: f.type,
    help: f.help,
    unit: f.unit,
    ...(f.buckets ? { buckets: f.buckets } : {}),
    ...(f.quantiles ? { quantiles: f.quantiles } : {}),
    series: f.series.map((s) => ({
      labels: Object.entries(s.labels),
      value: s.value,
      count: s.count,
      sum: s.sum,
      bucketCounts: s.bucketCounts,
      quantileValues: s.quantileValues?.map((v) => v ?? NaN),
      createdMs: s.createdMs,
    })),
  }));
}
