/**
 * Summaries merge their log-linear sketches exactly, by adding bucket counts
 * (guest and host compute the same bucket of a value), never by averaging
 * quantiles; so a cumulative reading without its sketch cannot merge.
 */
import type { CumulativeReading } from '../../api/merge.js';
import type { SummarySeries } from '../series.js';
import { type KindMerge, isCount } from './kind.js';

/** Sketch indexes of non-negative finite values are below the exponent of Infinity. */
const MAX_SKETCH_INDEX = 0x7ff << 7;

function isReset(previous: CumulativeReading, current: CumulativeReading): boolean {
  if ((current.count ?? 0) < (previous.count ?? 0)) return true;
  for (const [index, count] of previous.sketch ?? []) if ((current.sketch?.get(index) ?? 0) < count) return true;
  return false;
}

export const summaryMerge: KindMerge = {
  apply(target, op, index, value) {
    const series = target.series as SummarySeries;
    switch (op) {
      case 'sketch':
        if (!(index >= 0 && index < MAX_SKETCH_INDEX && Number.isInteger(index)) || !isCount(value)) return 'invalid_update';
        series.cell.addSketchBucket(index, value);
        break;
      case 'sum':
        // OpenMetrics forbids negative summary sums: summaries track magnitudes.
        if (!isCount(value)) return 'invalid_update';
        series.cell.addSum(value);
        break;
      case 'observe':
        if (!isCount(value)) return 'invalid_update';
        series.observe(value);
        break;
      default:
        return 'invalid_update';
    }
    series.touched = true;
    return undefined;
  },
  diff(previous, current, apply) {
    const sketch = current.sketch;
    if (!sketch) return 'not_mergeable';
    const base = previous && !isReset(previous, current) ? previous : undefined;
    for (const [index, count] of sketch) {
      const delta = count - (base?.sketch?.get(index) ?? 0);
      if (delta !== 0) {
        const refused = apply('sketch', index, delta);
        if (refused !== undefined) return refused;
      }
    }
    const sum = (current.sum ?? 0) - (base?.sum ?? 0);
    return sum !== 0 ? apply('sum', 0, sum) : undefined;
  },
  keep: (reading) => ({ count: reading.count, sum: reading.sum, sketch: new Map(reading.sketch ?? []) }),
};
