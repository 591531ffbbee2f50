/**
 * Histograms merge bucket-wise: `value` more observations in bucket `index`
 * (the last one +Inf; an index past it is refused, never folded into +Inf),
 * plus the sum. Raw observations go through the series (and its sampler).
 */
import type { CumulativeReading } from '../../api/merge.js';
import type { HistogramSeries } from '../series.js';
import { type KindMerge, isCount } from './kind.js';

/** True when any count went down since `previous`: the source restarted. */
function isReset(previous: CumulativeReading, current: CumulativeReading): boolean {
  if ((current.count ?? 0) < (previous.count ?? 0)) return true;
  const before = previous.bucketCounts ?? [];
  const now = current.bucketCounts ?? [];
  for (let i = 0; i < before.length; i++) if ((now[i] ?? 0) < before[i]!) return true;
  return false;
}

export const histogramMerge: KindMerge = {
  apply(target, op, index, value) {
    const series = target.series as HistogramSeries;
    switch (op) {
      case 'bucket':
        if (!(index >= 0 && index <= target.bounds && Number.isInteger(index)) || !isCount(value)) return 'invalid_update';
        series.cell.addBucket(index, value);
        break;
      case 'sum':
        if (!Number.isFinite(value)) return 'invalid_update';
        series.cell.addSum(value);
        break;
      case 'observe':
        if (!Number.isFinite(value)) return 'invalid_update';
        series.observe(value);
        break;
      default:
        return 'invalid_update';
    }
    series.touched = true;
    return undefined;
  },
  diff(previous, current, apply) {
    const counts = current.bucketCounts;
    if (!counts) return 'invalid_update';
    const base = previous && !isReset(previous, current) ? previous : undefined;
    for (let i = 0; i < counts.length; i++) {
      const delta = counts[i]! - (base?.bucketCounts?.[i] ?? 0);
      if (delta !== 0) {
        const refused = apply('bucket', i, delta);
        if (refused !== undefined) return refused;
      }
    }
    const sum = (current.sum ?? 0) - (base?.sum ?? 0);
    return sum !== 0 ? apply('sum', 0, sum) : undefined;
  },
  keep: (reading) => ({ count: reading.count, sum: reading.sum, bucketCounts: Array.from(reading.bucketCounts ?? []) }),
};
