/** Counters merge by adding deltas; a cumulative total that went down is a restart. */
import type { CounterSeries } from '../series.js';
import { type KindMerge, isCount } from './kind.js';

export const counterMerge: KindMerge = {
  apply(target, op, _index, value) {
    if (op !== 'add' || !isCount(value)) return 'invalid_update';
    const series = target.series as CounterSeries;
    series.cell.add(value);
    series.touched = true;
    return undefined;
  },
  diff(previous, current, apply) {
    const total = current.value;
    if (total === undefined || !isCount(total)) return 'invalid_update';
    const base = previous?.value ?? 0;
    const delta = total < base ? total : total - base; // went down: the source restarted
    return delta > 0 ? apply('add', 0, delta) : undefined;
  },
  keep: (reading) => ({ value: reading.value }),
};
