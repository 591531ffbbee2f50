import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SeriesBase, SeriesTable } from '../../src/core/series-table.js';

interface TestSeries extends SeriesBase {
  id: number;
}

function table(labelNames: string[], maxSeries = 1000) {
  let next = 0;
  let overflows = 0;
  const t = new SeriesTable<TestSeries>({
    metric: 'm',
    labelNames,
    maxSeries,
    create: (labelValues) => ({ id: next++, labelValues, touched: false, bound: false, activeAtMs: 0 }),
    createOverflow: () => ({ id: -1, labelValues: [], touched: false, bound: false, activeAtMs: 0 }),
    onOverflow: () => overflows++,
    destroy: () => {},
  });
  return { t, overflows: () => overflows };
}

const outcome = (fn: () => TestSeries) => {
  try {
    return { series: fn() };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

describe('SeriesTable lookups', () => {
  it('the compiled fast path and the generic path (used under CSP) agree on every input', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.integer({ min: -3, max: 3 }),
      fc.boolean(),
      fc.constant(undefined),
      fc.constant(null),
    );
    const labels = fc.record({ a: value, b: value, c: value }, { requiredKeys: [] });
    const extra = fc.option(fc.constantFrom('d', 'zz'), { nil: undefined });
    fc.assert(
      fc.property(fc.array(fc.tuple(labels, extra), { maxLength: 40 }), (calls) => {
        const fast = table(['a', 'b']);
        const slow = table(['a', 'b']);
        expect(fast.t.get).not.toBe(slow.t.lookup); // really compiled
        for (const [l, x] of calls) {
          const input = x ? { ...l, [x]: 'v' } : l;
          const f = outcome(() => fast.t.get(input as never));
          const s = outcome(() => slow.t.lookup(input as never));
          expect(f.error).toBe(s.error);
          expect(f.series?.id).toBe(s.series?.id);
          expect(f.series?.labelValues).toEqual(s.series?.labelValues);
        }
        expect(fast.t.size).toBe(slow.t.size);
      }),
      { numRuns: 300 },
    );
  });

  it('prunes emptied maps on removal and counts overflow recordings', () => {
    const { t, overflows } = table(['a', 'b'], 2);
    t.get({ a: 'x', b: '1' });
    t.get({ a: 'x', b: '2' });
    expect(t.get({ a: 'y', b: '1' }).id).toBe(-1);
    expect(overflows()).toBe(1);
    t.remove({ a: 'x', b: '1' });
    t.remove({ a: 'x', b: '2' });
    expect(t.rootMap.size).toBe(0);
    expect(t.get({ a: 'y', b: '1' }).id).toBe(2);
  });
});
