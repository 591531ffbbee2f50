import type { FamilySnapshot, NativeHistogramPoint, SeriesSnapshot } from '../api/snapshot.js';
import { nativeDelta } from './native-histogram.js';

interface Last {
  value: number;
  count: number;
  sum: number;
  buckets: readonly number[];
  native: NativeHistogramPoint | undefined;
  timeMs: number;
}

const keyOf = (family: string, s: SeriesSnapshot) => `${family}\u0000${s.labels.map(([k, v]) => `${k}\u0001${v}`).join('\u0000')}`;

/**
 * Turns cumulative snapshots into deltas against what was last delivered.
 * `diff` computes without committing; `commit` records the batch once the
 * receiver has it, so a failed send is included again in the next delta and
 * nothing recorded is lost. A value that went down (reset) counts from zero.
 */
export class DeltaTracker {
  private last = new Map<string, Last>();

  diff(
    families: readonly FamilySnapshot[],
    timeMs: number,
  ): { families: FamilySnapshot[]; startMs: (f: FamilySnapshot, s: SeriesSnapshot) => number; commit(): void } {
    const next = new Map<string, Last>();
    const starts = new Map<SeriesSnapshot, number>();
    const out: FamilySnapshot[] = families.map((f) => ({
      ...f,
      series: f.series.map((s) => {
        const key = keyOf(f.name, s);
        const prev = this.last.get(key);
        const current: Last = {
          value: s.value ?? 0,
          count: s.count ?? 0,
          sum: s.sum ?? 0,
          buckets: s.bucketCounts ?? [],
          native: s.native,
          timeMs,
        };
        next.set(key, current);
        const reset = prev !== undefined && (current.value < prev.value || current.count < prev.count);
        const base = prev === undefined || reset ? undefined : prev;
        const delta: SeriesSnapshot =
          f.type === 'gauge'
            ? s
            : {
                ...s,
                value: s.value === undefined ? undefined : current.value - (base?.value ?? 0),
                count: s.count === undefined ? undefined : current.count - (base?.count ?? 0),
                sum: s.sum === undefined ? undefined : current.sum - (base?.sum ?? 0),
                bucketCounts: s.bucketCounts?.map((c, i) => c - (base?.buckets[i] ?? 0)),
                ...(s.native ? { native: nativeDelta(s.native, base?.native) } : {}),
              };
        starts.set(delta, base?.timeMs ?? s.createdMs ?? timeMs);
        return delta;
      }),
    }));
    return {
      families: out,
      startMs: (_f, s) => starts.get(s) ?? timeMs,
      commit: () => {
        for (const [k, v] of next) this.last.set(k, v);
      },
    };
  }
}
