/**
 * Merges JSON snapshots pushed by browsers (or any process) into the host's
 * metrics through the core's merge port: each source is a port session whose
 * series carry a `source` label, and each pushed series is a cumulative
 * reading the port turns into deltas against what that source sent before
 * (a value that went down, a page reload, counts from zero). Admission
 * (sizes, rates, origins) happens before, in src/ingest.
 * Summaries are not merged (a snapshot carries their quantiles, and
 * quantiles cannot be combined): they are skipped and counted; send
 * histograms instead.
 */
import type { Counter } from '../api/instruments.js';
import type { MergeRefusal, MergeSession } from '../api/merge.js';
import type { Metrics } from '../api/metrics.js';
import type { FamilySnapshot, SeriesSnapshot } from '../api/snapshot.js';
import { type JsonSnapshot, fromJsonSnapshot } from '../exposition/json.js';

type Refusal = MergeRefusal | 'series_limit';

interface Source {
  session: MergeSession;
  /** Series ids by family name and labels, or why the series was refused. */
  series: Map<string, number | Refusal>;
}

export interface IngestOptions {
  /** Sources kept at once; a push from one more is refused. Default 1000. */
  maxSources?: number;
  /** Series one source may push. Default 10,000. */
  maxSeries?: number;
  /** The admission gate's per-source limits (src/ingest checks metrics per source before the merge). */
  limits?: { maxMetrics?: number; maxSeries?: number };
}

export class IngestAggregator {
  private readonly sources = new Map<string, Source>();
  private readonly rejected: Counter<'source' | 'reason'>;

  constructor(
    private readonly metrics: Metrics,
    private readonly options: IngestOptions = {},
  ) {
    this.rejected = metrics.counter('omnimeter_ingest_rejected_total', {
      help: 'Pushed updates refused, by source and reason.',
      labelNames: ['source', 'reason'] as const,
    });
  }

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
    for (const id of new Set(s.series.values())) if (typeof id === 'number') s.session.forget(id);
    s.session.close();
    this.sources.delete(source);
  }

  /** Applies one snapshot from `source` (no source limit: the caller admits); returns how many series or updates were refused. */
  merge(source: string, snapshot: JsonSnapshot): number {
    let s = this.sources.get(source);
    if (!s) {
      s = { session: this.metrics.merge.open({ labels: [['source', source]] }), series: new Map() };
      this.sources.set(source, s);
    }
    let refused = 0;
    const refuse = (reason: string, n = 1) => {
      refused += n;
      this.rejected.inc({ source, reason }, n);
    };
    for (const family of fromJsonSnapshot(snapshot)) {
      if (family.type === 'summary') {
        refuse('summary_not_mergeable', family.series.length);
        continue;
      }
      for (const series of family.series) {
        const id = this.seriesId(s, family, series);
        const why = typeof id === 'number' ? s.session.applyCumulative(id, series) : id;
        if (why !== undefined) refuse(why);
      }
    }
    return refused;
  }

  /** The port's id for a pushed series, registered on first sight, or why it is refused. */
  private seriesId(s: Source, family: FamilySnapshot, series: SeriesSnapshot): number | Refusal {
    const key = `${family.name}\u0000${JSON.stringify(series.labels)}`;
    const known = s.series.get(key);
    if (known !== undefined) return known;
    if (s.series.size >= (this.options.maxSeries ?? this.options.limits?.maxSeries ?? 10_000)) return 'series_limit';
    const metric = s.session.register({
      name: family.name,
      help: family.help,
      unit: family.unit,
      kind: family.type,
      labelNames: series.labels.map(([name]) => name),
      buckets: family.buckets,
    });
    const id =
      typeof metric === 'number'
        ? s.session.series(
            metric,
            series.labels.map(([, value]) => value),
          )
        : metric;
    s.series.set(key, id);
    return id;
  }
}
