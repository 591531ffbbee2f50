/**
 * The few PromQL functions rules need, implemented as Prometheus 2.x
 * implements them, so a rule evaluated here and the same rule exported to a
 * Prometheus server agree: rate() with its extrapolation to the window edges
 * and counter-reset handling, histogram_quantile() with linear interpolation
 * inside the bucket, aggregation by labels, binary division with one-to-one
 * matching, and comparison filters.
 */
import type { RangeSeries, Sample } from './history.js';
import type { Labels } from '../config/selector.js';

export type CompareOp = '>' | '>=' | '<' | '<=' | '==' | '!=';
export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count';

export function withoutName(labels: Labels): Labels {
  const { __name__: _, ...rest } = labels;
  return rest;
}

export function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Prometheus' extrapolatedRate (promql/functions.go): the increase between
 * the first and last points, corrected for counter resets, extrapolated to
 * the window edges (not past half a sample interval, nor below zero), per
 * second when `perSecond`.
 */
export function extrapolatedRate(series: RangeSeries, rangeStart: number, rangeEnd: number, perSecond = true): number | undefined {
  const points = series.points;
  if (points.length < 2) return undefined;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  let result = last.v - first.v;
  for (let i = 1; i < points.length; i++) if (points[i]!.v < points[i - 1]!.v) result += points[i - 1]!.v;
  let durationToStart = (first.t - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - last.t) / 1000;
  const sampled = (last.t - first.t) / 1000;
  const averageGap = sampled / (points.length - 1);
  if (result > 0 && first.v >= 0) {
    const durationToZero = sampled * (first.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageGap * 1.1;
  let extrapolateTo = sampled;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageGap / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageGap / 2;
  result *= extrapolateTo / sampled;
  return perSecond ? result / ((rangeEnd - rangeStart) / 1000) : result;
}

export function rate(matrix: readonly RangeSeries[], rangeStart: number, rangeEnd: number): Sample[] {
  const out: Sample[] = [];
  for (const series of matrix) {
    const value = extrapolatedRate(series, rangeStart, rangeEnd);
    if (value !== undefined) out.push({ labels: withoutName(series.labels), value });
  }
  return out;
}

/** `op by (by) (samples)`; `by` undefined keeps every series as it is (no aggregation). */
export function aggregate(samples: readonly Sample[], op: AggregateOp, by: readonly string[] | undefined): Sample[] {
  if (by === undefined) return samples.map((s) => ({ labels: withoutName(s.labels), value: s.value }));
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const s of samples) {
    const labels = Object.fromEntries(by.filter((n) => s.labels[n] !== undefined && s.labels[n] !== '').map((n) => [n, s.labels[n]!]));
    const k = labelKey(labels);
    let group = groups.get(k);
    if (!group) groups.set(k, (group = { labels, values: [] }));
    group.values.push(s.value);
  }
  return [...groups.values()].map(({ labels, values }) => ({ labels, value: reduce(op, values) }));
}

function reduce(op: AggregateOp, values: readonly number[]): number {
  switch (op) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'count':
      return values.length;
    case 'min':
      return values.reduce((a, b) => (Number.isNaN(a) || b < a ? b : a));
    case 'max':
      return values.reduce((a, b) => (Number.isNaN(a) || b > a ? b : a));
  }
}

/**
 * Prometheus' bucketQuantile: samples are cumulative `le` buckets; groups are
 * the label sets without `le`. A group without a +Inf bucket yields NaN.
 */
export function histogramQuantile(q: number, buckets: readonly Sample[]): Sample[] {
  const groups = new Map<string, { labels: Labels; buckets: { le: number; count: number }[] }>();
  for (const b of buckets) {
    const { le, ...labels } = withoutName(b.labels);
    if (le === undefined) continue;
    const k = labelKey(labels);
    let group = groups.get(k);
    if (!group) groups.set(k, (group = { labels, buckets: [] }));
    group.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: b.value });
  }
  return [...groups.values()].map(({ labels, buckets }) => ({ labels, value: bucketQuantile(q, buckets) }));
}

export function bucketQuantile(q: number, input: readonly { le: number; count: number }[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...input].sort((a, b) => a.le - b.le);
  if (sorted.length === 0 || sorted[sorted.length - 1]!.le !== Infinity) return Number.NaN;
  // Coalesce equal bounds and force monotonic counts, as Prometheus does.
  const buckets: { le: number; count: number }[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last && last.le === b.le) last.count += b.count;
    else buckets.push({ ...b });
  }
  for (let i = 1; i < buckets.length; i++) if (buckets[i]!.count < buckets[i - 1]!.count) buckets[i]!.count = buckets[i - 1]!.count;
  if (buckets.length < 2) return Number.NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  let b = buckets.findIndex((x) => x.count >= rank);
  if (b < 0) b = buckets.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let start = 0;
  const end = buckets[b]!.le;
  let count = buckets[b]!.count;
  if (b > 0) {
    start = buckets[b - 1]!.le;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return start + (end - start) * (rank / count);
}

/** `a / b` with one-to-one matching on identical label sets (names dropped). */
export function divide(a: readonly Sample[], b: readonly Sample[]): Sample[] {
  const right = new Map(b.map((s) => [labelKey(withoutName(s.labels)), s.value]));
  const out: Sample[] = [];
  for (const s of a) {
    const labels = withoutName(s.labels);
    const d = right.get(labelKey(labels));
    if (d !== undefined) out.push({ labels, value: s.value / d });
  }
  return out;
}

/** `a <op> b` between two vectors matched one-to-one; keeps `a`'s value where true. */
export function compareVectors(a: readonly Sample[], op: CompareOp, b: readonly Sample[], scale = 1): Sample[] {
  const right = new Map(b.map((s) => [labelKey(withoutName(s.labels)), s.value]));
  return a.filter((s) => {
    const r = right.get(labelKey(withoutName(s.labels)));
    return r !== undefined && compare(s.value, op, scale * r);
  });
}

export function compare(value: number, op: CompareOp, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/** A duration in PromQL's notation: `5m`, `30s`, `1h`, `1500ms`. */
export function promDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${Math.round(ms)}ms`;
}
