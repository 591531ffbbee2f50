/**
 * Merges JSON snapshots pushed by browsers (or any process) into the host's
 * metrics, through the same GuestSession a WebAssembly guest gets: each
 * source is a session whose series carry a `source` label, its cumulative
 * values turned into deltas against what that source sent before.
 * Summaries are not merged (a snapshot carries their quantiles, and quantiles
 * cannot be combined): they are skipped and counted; send histograms instead.
 */
import type { Counter } from '../api/instruments.js';
import type { Metrics } from '../api/metrics.js';
import type { GuestUpdate } from '../api/recorder.js';
import type { FamilySnapshot, SeriesSnapshot } from '../api/snapshot.js';
import { DeltaTracker } from '../core/delta.js';
import { type JsonSnapshot, fromJsonSnapshot } from '../exposition/json.js';
import { DEFAULT_LIMITS, GuestSession, type GuestLimits } from './guest-session.js';

interface Source {
  session: GuestSession;
  /** Series ids by family name and labels (0: refused). */
  series: Map<string, number>;
  /** Metric id and label-name order by family name: one registration per family, not per series. */
  metrics: Map<string, { id: number; labelNames: readonly string[] }>;
  /** What this source sent before: pushes are cumulative, the session takes deltas. */
  deltas: DeltaTracker;
}

export class IngestAggregator {
  private readonly sources = new Map<string, Source>();
  private readonly rejected: Counter<'source' | 'reason'>;

  constructor(
    private readonly metrics: Metrics,
    private readonly options: { maxSources?: number; limits?: Partial<GuestLimits> } = {},
  ) {
    this.rejected = metrics.counter('omnimeter_ingest_rejected_total', {
      help: 'Pushed updates refused, by source and reason.',
      labelNames: ['source', 'reason'] as const,
    });
  }

  /** Updates or series of the current merge that were refused (counted by reason as well). */
  private refusedNow = 0;

  /** Applies one snapshot from `source`; false if the source limit is reached. */
  ingest(source: string, snapshot: JsonSnapshot): boolean {
    if (!this.sources.has(source) && this.sources.size >= (this.options.maxSources ?? 1000)) return false;
    this.merge(source, snapshot);
    return true;
  }

  /** Drops a source: its series leave the exposition and its state is released. */
  forget(source: string): void {
    const s = this.sources.get(source);
    if (!s) return;
    const ids = [...new Set(s.series.values())].filter((id) => id !== 0);
    s.session.applyBatch(ids.map((id) => ({ series: id, op: 'forget', index: 0, value: 0 })));
    this.sources.delete(source);
  }

  /** Applies one snapshot from `source` (no source limit: the caller admits); returns how many series or updates were refused. */
  merge(source: string, snapshot: JsonSnapshot): number {
    this.refusedNow = 0;
    let s = this.sources.get(source);
    if (!s) {
      const session = new GuestSession({
        metrics: this.metrics,
        component: source,
        instance: '',
        componentLabel: 'source',
        instanceLabel: undefined,
        limits: { ...DEFAULT_LIMITS, ...this.options.limits },
        rejected: {
          inc: ({ component, reason }, n = 1) => {
            this.refusedNow += n;
            this.rejected.inc({ source: component, reason }, n);
          },
        },
      });
      this.sources.set(source, (s = { session, series: new Map(), metrics: new Map(), deltas: new DeltaTracker() }));
    }
    const families = fromJsonSnapshot(snapshot).filter((f) => {
      if (f.type !== 'summary') return true;
      this.rejected.inc({ source, reason: 'summary_not_mergeable' }, f.series.length);
      return false;
    });
    // A value that went down (a page reload) counts from zero again: DeltaTracker's reset rule.
    const diff = s.deltas.diff(families, snapshot.timeMs);
    const updates: GuestUpdate[] = [];
    for (const family of diff.families) {
      for (const series of family.series) {
        const id = this.seriesId(s, family, series);
        if (id === 0) {
          this.refusedNow++;
          continue;
        }
        if (family.type === 'counter' && (series.value ?? 0) > 0) updates.push({ series: id, op: 'add', index: 0, value: series.value! });
        if (family.type === 'gauge') updates.push({ series: id, op: 'set', index: 0, value: series.value ?? 0 });
        if (family.type === 'histogram') {
          series.bucketCounts?.forEach((count, index) => count > 0 && updates.push({ series: id, op: 'bucket', index, value: count }));
          if (series.sum) updates.push({ series: id, op: 'sum', index: 0, value: series.sum });
        }
      }
    }
    s.session.applyBatch(updates);
    diff.commit();
    return this.refusedNow;
  }

  private seriesId(s: Source, family: FamilySnapshot, series: SeriesSnapshot): number {
    const key = `${family.name}\u0000${JSON.stringify(series.labels)}`;
    let id = s.series.get(key);
    if (id === undefined) {
      let metric = s.metrics.get(family.name);
      if (!metric) {
        const labelNames = series.labels.map(([name]) => name);
        const name = family.type === 'counter' ? `${family.name}_total` : family.name;
        const descriptor = {
          name,
          help: family.help,
          unit: family.unit,
          kind: family.type,
          labelNames,
          buckets: family.buckets ?? [],
          quantiles: [],
        };
        metric = { id: s.session.registerMetric(descriptor), labelNames };
        s.metrics.set(family.name, metric);
      }
      const labels = new Map(series.labels);
      const values = metric.labelNames.map((n) => labels.get(n));
      const fits = values.length === labels.size && values.every((v) => v !== undefined);
      id = metric.id === 0 || !fits ? 0 : s.session.registerSeries(metric.id, values as string[]);
      s.series.set(key, id);
    }
    return id;
  }
}
