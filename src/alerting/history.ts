/**
 * A small in-memory time-series store fed by collections: each collection's
 * families are flattened into the samples a Prometheus scrape would store
 * (`x_total`, `x_bucket{le}`, `x_count`, `x_sum`, `x{quantile}`), timestamped,
 * and kept for as long as the longest rule window needs. Only the sample names
 * some rule or check asks for are kept, so memory follows the rules, not the
 * registry. A series missing from a collection is stale from then on, as
 * Prometheus marks a series that disappears from a scrape.
 */
import type { FamilySnapshot } from '../api/snapshot.js';
import { canonicalFloat } from '../exposition/text.js';
import { type Labels, type Selector, compileMatchers } from '../config/selector.js';

export interface Point {
  readonly t: number;
  readonly v: number;
}

/** Labels include `__name__`, as PromQL's selection results do. */
export interface RangeSeries {
  readonly labels: Labels;
  readonly points: readonly Point[];
}

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

interface Stored {
  readonly labels: Labels;
  points: Point[];
  /** Collection time from which the series is missing (stale), if it is. */
  staleAt: number | undefined;
}

export interface HistoryOptions {
  /** How far back points are kept (the longest window plus its offset). */
  retentionMs: number;
  /** Instant selection looks back at most this far for a sample (PromQL's lookback delta). Default 5 min. */
  lookbackMs?: number;
  /** Series kept per sample name; beyond it new series are ignored (and counted). Default 10,000. */
  maxSeriesPerName?: number;
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The samples of one family as a 0.0.4 scrape stores them. */
export function flatten(family: FamilySnapshot, emit: (name: string, labels: Record<string, string>, value: number) => void): void {
  for (const s of family.series) {
    const labels = Object.fromEntries(s.labels);
    switch (family.type) {
      case 'counter':
        emit(`${family.name}_total`, labels, s.value ?? 0);
        break;
      case 'gauge':
        emit(family.name, labels, s.value ?? 0);
        break;
      case 'histogram': {
        let cumulative = 0;
        const bounds = [...(family.buckets ?? []), Infinity];
        bounds.forEach((le, i) => {
          cumulative += s.bucketCounts?.[i] ?? 0;
          emit(`${family.name}_bucket`, { ...labels, le: canonicalFloat(le) }, cumulative);
        });
        emit(`${family.name}_count`, labels, s.count ?? 0);
        emit(`${family.name}_sum`, labels, s.sum ?? 0);
        break;
      }
      case 'summary':
        (family.quantiles ?? []).forEach((q, i) =>
          emit(family.name, { ...labels, quantile: canonicalFloat(q) }, s.quantileValues?.[i] ?? Number.NaN),
        );
        emit(`${family.name}_count`, labels, s.count ?? 0);
        emit(`${family.name}_sum`, labels, s.sum ?? 0);
        break;
    }
  }
}

export class SeriesHistory {
  private readonly byName = new Map<string, Map<string, Stored>>();
  private readonly lookbackMs: number;
  private readonly maxSeries: number;
  private lastIngest = Number.NEGATIVE_INFINITY;
  private readonly compiled = new WeakMap<Selector, (labels: Labels) => boolean>();
  /** Series ignored because a name reached maxSeriesPerName. */
  ignored = 0;

  private readonly wanted = new Set<string>();
  private retentionMs: number;

  constructor(options: HistoryOptions = { retentionMs: 0 }) {
    this.retentionMs = options.retentionMs;
    this.lookbackMs = options.lookbackMs ?? 300_000;
    this.maxSeries = options.maxSeriesPerName ?? 10_000;
  }

  /** Keeps these sample names from now on, for at least `retentionMs`. */
  want(names: Iterable<string>, retentionMs: number): void {
    for (const n of names) this.wanted.add(n);
    this.retentionMs = Math.max(this.retentionMs, retentionMs);
  }

  /** Sample names this history keeps. */
  get names(): ReadonlySet<string> {
    return this.wanted;
  }

  /** Time of the latest collection, or -Infinity before the first. */
  get latest(): number {
    return this.lastIngest;
  }

  ingest(families: readonly FamilySnapshot[], t: number): void {
    const seen = new Set<Stored>();
    for (const family of families) {
      if (!this.familyWanted(family)) continue;
      flatten(family, (name, labels, value) => {
        if (!this.wanted.has(name)) return;
        let series = this.byName.get(name);
        if (!series) this.byName.set(name, (series = new Map()));
        const full = { __name__: name, ...labels };
        const k = key(full);
        let stored = series.get(k);
        if (!stored) {
          if (series.size >= this.maxSeries) {
            this.ignored++;
            return;
          }
          series.set(k, (stored = { labels: full, points: [], staleAt: undefined }));
        }
        stored.points.push({ t, v: value });
        stored.staleAt = undefined;
        seen.add(stored);
      });
    }
    const horizon = t - this.retentionMs;
    for (const series of this.byName.values()) {
      for (const [k, stored] of series) {
        if (!seen.has(stored) && stored.staleAt === undefined) stored.staleAt = t;
        let drop = 0;
        while (drop < stored.points.length && stored.points[drop]!.t < horizon) drop++;
        if (drop) stored.points.splice(0, drop);
        if (stored.points.length === 0) series.delete(k);
      }
    }
    this.lastIngest = t;
  }

  private familyWanted(f: FamilySnapshot): boolean {
    const w = this.wanted;
    const n = f.name;
    switch (f.type) {
      case 'counter':
        return w.has(`${n}_total`);
      case 'gauge':
        return w.has(n);
      default:
        return w.has(n) || w.has(`${n}_bucket`) || w.has(`${n}_count`) || w.has(`${n}_sum`);
    }
  }

  private *select(selector: Selector): Iterable<Stored> {
    const series = this.byName.get(selector.metric);
    if (!series) return;
    let matches = this.compiled.get(selector);
    if (!matches) this.compiled.set(selector, (matches = compileMatchers(selector.matchers)));
    for (const stored of series.values()) if (matches(stored.labels)) yield stored;
  }

  /** Every stored series with its points (diagnostics; tests replay them into promtool). */
  all(): RangeSeries[] {
    return [...this.byName.values()].flatMap((series) => [...series.values()].map((s) => ({ labels: s.labels, points: [...s.points] })));
  }

  /** PromQL's instant vector selector at `t`: the latest sample within the lookback, unless stale. */
  instant(selector: Selector, t: number): Sample[] {
    const out: Sample[] = [];
    for (const stored of this.select(selector)) {
      if (stored.staleAt !== undefined && stored.staleAt <= t) continue;
      const point = latestAtOrBefore(stored.points, t);
      if (point && point.t > t - this.lookbackMs) out.push({ labels: stored.labels, value: point.v });
    }
    return out;
  }

  /** PromQL's range selector `[window] offset offset` evaluated at `t` (both ends inclusive, as Prometheus 2.x). */
  range(selector: Selector, t: number, windowMs: number, offsetMs = 0): RangeSeries[] {
    const end = t - offsetMs;
    const start = end - windowMs;
    const out: RangeSeries[] = [];
    for (const stored of this.select(selector)) {
      const points = stored.points.filter((p) => p.t >= start && p.t <= end);
      if (points.length) out.push({ labels: stored.labels, points });
    }
    return out;
  }
}

function latestAtOrBefore(points: readonly Point[], t: number): Point | undefined {
  for (let i = points.length - 1; i >= 0; i--) if (points[i]!.t <= t) return points[i];
  return undefined;
}
