import type { Cell, FamilyDescriptor, MetricsBackend } from '../../api/backend.js';
import { type Clock, coarseClockFor, performanceClock } from '../../core/clock.js';
import { NativeGauge, NativeHistogram, NativeSummary, histogramStorage } from './cells.js';

/** The in-process backend: plain JS objects and typed arrays. */
export function nativeBackend(options: { clock?: Clock } = {}): MetricsBackend {
  const clock = coarseClockFor(options.clock ?? performanceClock);
  const bounds = new WeakMap<readonly number[], Float64Array>();
  const columns = histogramStorage.columns?.();
  return {
    id: 'native',
    counterCell: () => new NativeGauge(),
    gaugeCell: () => new NativeGauge(),
    histogramCell(family: FamilyDescriptor) {
      const buckets = family.buckets ?? [];
      let b = bounds.get(buckets);
      if (!b) bounds.set(buckets, (b = Float64Array.from(buckets)));
      return columns ? columns.cell(b) : new NativeHistogram(b, new Float64Array(b.length + 3), 0);
    },
    summaryCell(family: FamilyDescriptor) {
      clock.retain();
      return new NativeSummary(family.quantiles ?? [], family.maxAgeSeconds ?? 600, family.ageBuckets ?? 5, clock);
    },
    release(cell: Cell, reason) {
      if (cell instanceof NativeSummary) clock.release();
      else if (cell instanceof NativeHistogram) columns?.release(cell, reason);
    },
  };
}
