/**
 * Reading a collection the way a dashboard does: sums of matching series,
 * counter rates and histogram quantiles between two collections.
 */
import { type FamilySnapshot, type SeriesSnapshot, bucketQuantile } from 'omnimeter/browser';

export type Match = Record<string, string>;

const matches = (s: SeriesSnapshot, match: Match) => Object.entries(match).every(([k, v]) => s.labels.some(([n, x]) => n === k && x === v));

export class Readings {
  private readonly byName: Map<string, FamilySnapshot>;
  constructor(
    families: readonly FamilySnapshot[],
    readonly timeMs: number,
  ) {
    this.byName = new Map(families.map((f) => [f.name, f]));
  }

  private series(name: string, match: Match): SeriesSnapshot[] {
    return this.byName.get(name)?.series.filter((s) => matches(s, match)) ?? [];
  }

  /** Sum of the values (counters, gauges) of the matching series. */
  sum(name: string, match: Match = {}): number {
    return this.series(name, match).reduce((a, s) => a + (s.value ?? 0), 0);
  }

  /** Per-second increase of a counter since `before`. */
  rate(before: Readings | undefined, name: string, match: Match = {}): number {
    if (!before || this.timeMs <= before.timeMs) return 0;
    return Math.max(0, this.sum(name, match) - before.sum(name, match)) / ((this.timeMs - before.timeMs) / 1000);
  }

  /** A summary's q-quantile (as the engine computed it over its window). */
  summaryQuantile(name: string, q: number, match: Match = {}): number {
    const family = this.byName.get(name);
    const index = family?.quantiles?.indexOf(q) ?? -1;
    const value = index < 0 ? undefined : this.series(name, match)[0]?.quantileValues?.[index];
    return value === undefined || Number.isNaN(value) ? NaN : value;
  }

  /** A histogram's q-quantile over the observations made since `before` (NaN when none). */
  histogramQuantile(before: Readings | undefined, name: string, q: number, match: Match = {}): number {
    const bounds = this.byName.get(name)?.buckets ?? [];
    const counts = (r: Readings | undefined) =>
      (r?.series(name, match) ?? []).reduce<number[]>((acc, s) => (s.bucketCounts ?? []).map((c, i) => c + (acc[i] ?? 0)), []);
    const now = counts(this);
    const then = counts(before);
    return bucketQuantile(
      q,
      bounds,
      now.map((c, i) => c - (then[i] ?? 0)),
    );
  }
}
