/**
 * Overflow series for merge sources. Apart from families.ts so that bundles
 * without the merge port (omnimeter/browser) leave it out; the family keeps
 * the series (`sourceOverflows`), which collection and rendering read.
 */
import { type Family, OVERFLOW_LABEL } from '../families.js';
import { LabelLayout } from '../label-layout.js';
import type { AnySeries } from '../series.js';

/**
 * The overflow series, for sources that merge their own overflow into it.
 * A source with identity labels (`component`, …) gets an overflow series of
 * its own that carries them, so what overflowed stays attributed.
 */
export function overflowing<S extends AnySeries>(family: Family<S>, sourceLabels: readonly (readonly [string, string])[] = []): S {
  if (sourceLabels.length === 0) {
    const shared = family.table.sharedOverflow();
    shared.bound = true;
    return shared;
  }
  const key = sourceLabels.map(([n, v]) => `${n}\u0000${v}`).join('\u0001');
  let entry = family.sourceOverflows.get(key);
  if (entry === undefined) {
    const pairs = [...family.ctx.defaultLabels, ...sourceLabels, [OVERFLOW_LABEL, 'true'] as const].map((p) => [p[0], p[1]] as const);
    const labelNames = pairs.map(([n]) => n);
    const descriptor = { ...family.descriptor, labelNames, overflowOf: family.descriptor };
    entry = {
      series: family.seriesFor(
        descriptor,
        pairs.map(([, v]) => v),
        [],
      ),
      layout: new LabelLayout(pairs, []),
    };
    family.sourceOverflows.set(key, entry);
  }
  entry.series.bound = true;
  return entry.series;
}
