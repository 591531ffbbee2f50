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
import type { JsonSnapshot } from '../exposition/json.js';
import { DEFAULT_LIMITS, GuestSession, type GuestLimits } from './guest-session.js';

interface Source {
  session: GuestSession;
  series: Map<string, number>;
  last: Map<string, { value: number; count: number; sum: number; buckets: number[] }>;
}

export class IngestAggregator {
  private readonly sources = new Map<string, Source>();
  private readonly rejected: Counter<'component' | 'reason'>;

  constructor(
    private readonly metrics: Metrics,
    private readonly options: { maxSources?: number; limits?: Partial<GuestLimits> } = {},
  ) {
    this.rejected = metrics.counter('omnimeter_ingest_rejected_total', { help: 'Pushed updates refused, by source and reason.', labelNames: ['component', 'reason'] as const });
  }

  /** Applies one snapshot from `source`; false if the source limit is reached. */
  ingest(source: string, snapshot: JsonSnapshot): boolean {
    let s = this.sources.get(source);
    if (!s) {
      if (this.sources.size >= (this.options.maxSources ?? 1000)) return false;
      const session = new GuestSession({
        metrics: this.metrics,
        component: source,
        instance: '',
        componentLabel: 'source',
        instanceLabel: undefined,
        limits: { ...DEFAULT_LIMITS, ...this.options.limits },
        rejected: this.rejected,
        onHostCall: () => {},
      });
      this.sources.set(source, (s = { session, series: new Map(), last: new Map() }));
    }
    for (const family of snapshot.metrics) {
      if (family.type === 'summary') {
        this.rejected.inc({ component: source, reason: 'summary_not_mergeable' }, family.series.length);
        continue;
      }
      const name = family.type === 'counter' ? `${family.name}_total` : family.name;
      for (const series of family.series) {
        const labelNames = Object.keys(series.labels);
        const key = `${name}\u0000${JSON.stringify(series.labels)}`;
        let id = s.series.get(key);
        if (id === undefined) {
          const metric = s.session.registerMetric({ name, help: family.help, unit: family.unit, kind: family.type, labelNames, buckets: family.buckets ?? [], quantiles: family.quantiles ?? [] });
          id = metric === 0 ? 0 : s.session.registerSeries(metric, labelNames.map((l) => series.labels[l]!));
          s.series.set(key, id);
        }
        if (id === 0) continue;
        const prev = s.last.get(key) ?? { value: 0, count: 0, sum: 0, buckets: [] };
        const now = { value: series.value ?? 0, count: series.count ?? 0, sum: series.sum ?? 0, buckets: series.bucketCounts ?? [] };
        // A value that went down means the page reloaded: count from zero again.
        const reset = now.value < prev.value || now.count < prev.count;
        const base = reset ? { value: 0, count: 0, sum: 0, buckets: [] as number[] } : prev;
        const updates: Parameters<GuestSession['applyBatch']>[0][number][] = [];
        if (family.type === 'counter' && now.value > base.value) updates.push({ series: id, op: 'add', index: 0, value: now.value - base.value });
        if (family.type === 'gauge') updates.push({ series: id, op: 'set', index: 0, value: now.value });
        if (family.type === 'histogram') {
          now.buckets.forEach((c, i) => c > (base.buckets[i] ?? 0) && updates.push({ series: id!, op: 'bucket', index: i, value: c - (base.buckets[i] ?? 0) }));
          if (now.sum !== base.sum) updates.push({ series: id, op: 'sum', index: 0, value: now.sum - base.sum });
        }
        s.session.applyBatch(updates);
        s.last.set(key, now);
      }
    }
    return true;
  }
}
