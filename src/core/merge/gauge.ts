/**
 * Gauges take the latest value by default. Several sources writing one
 * series (their identity labels off) combine by a declared policy: each
 * source's own value is kept and the series shows their sum, min or max.
 */
import type { GaugePolicy } from '../../api/merge.js';
import type { GaugeSeries } from '../series.js';
import type { KindMerge, MergeSource, MergeTarget } from './kind.js';

function combine(policy: GaugePolicy, values: Iterable<number>): number {
  let out = policy === 'min' ? Infinity : policy === 'max' ? -Infinity : 0;
  for (const v of values) out = policy === 'sum' ? out + v : policy === 'min' ? Math.min(out, v) : Math.max(out, v);
  return out;
}

/** Sets this source's share and the series to the combination of all shares. */
function setShare(target: MergeTarget, source: MergeSource, value: number): void {
  const shares = (target.shared.gauge ??= new Map());
  shares.set(source, value);
  setValue(target.series as GaugeSeries, combine(source.policy, shares.values()));
}

function setValue(series: GaugeSeries, value: number): void {
  series.assign(value); // not set(): a sum of shares may overflow to Infinity, which the handle would refuse
  series.touched = true;
}

/** Drops a source's share (it forgot the series or closed) and recomputes the rest. */
export function dropGaugeShare(target: MergeTarget, source: MergeSource): void {
  const shares = target.shared.gauge;
  if (!shares?.delete(source) || source.policy === 'last') return;
  setValue(target.series as GaugeSeries, shares.size ? combine(source.policy, shares.values()) : 0);
}

export const gaugeMerge: KindMerge = {
  apply(target, op, _index, value, source) {
    if ((op !== 'set' && op !== 'add') || !Number.isFinite(value)) return 'invalid_update';
    if (source.policy === 'last') {
      const series = target.series as GaugeSeries;
      if (op === 'set') series.assign(value);
      else series.cell.add(value);
      series.touched = true;
      return undefined;
    }
    const own = op === 'set' ? value : (target.shared.gauge?.get(source) ?? 0) + value;
    setShare(target, source, own);
    return undefined;
  },
  diff(_previous, current, apply) {
    // A gauge reading is already the value: nothing to subtract.
    return current.value === undefined ? 'invalid_update' : apply('set', 0, current.value);
  },
  keep: () => ({}),
};
