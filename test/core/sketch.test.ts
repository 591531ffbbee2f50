import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogLinearSketch, MAX_BUCKETS, RELATIVE_ERROR, SUB_BITS, bucketIndex, bucketLowerBound } from '../../src/core/sketch.js';

/** The order statistic the sketch estimates for quantile q. */
function exactQuantile(sorted: number[], q: number): number {
  if (q <= 0) return sorted[0]!;
  if (q >= 1) return sorted[sorted.length - 1]!;
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function sketchOf(values: number[]): LogLinearSketch {
  const s = new LogLinearSketch();
  for (const v of values) s.add(v);
  return s;
}

const QUANTILES = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];
// Values within 2^30 of each other, inside what one store holds uncollapsed.
const value = fc.oneof(fc.double({ min: 1e-4, max: 1e5, noNaN: true }), fc.constant(0), fc.double({ min: -1e5, max: -1e-4, noNaN: true }));

describe('LogLinearSketch', () => {
  it('puts every value in a bucket whose bounds contain it', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: 1e300, noNaN: true }), (v) => {
        const i = bucketIndex(v);
        expect(bucketLowerBound(i)).toBeLessThanOrEqual(v);
        expect(bucketLowerBound(i + 1)).toBeGreaterThan(v);
      }),
    );
    expect(RELATIVE_ERROR).toBe(1 / 256);
    expect(SUB_BITS).toBe(7);
  });

  it('estimates every quantile within RELATIVE_ERROR of the exact order statistic', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 400 }), (values) => {
        const sketch = sketchOf(values);
        const sorted = [...values].sort((a, b) => a - b);
        for (const q of QUANTILES) {
          const exact = exactQuantile(sorted, q);
          const estimate = sketch.quantile(q);
          expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(Math.abs(exact) * RELATIVE_ERROR + 1e-300);
        }
        expect(sketch.count).toBe(values.length);
      }),
      { numRuns: 300 },
    );
  });

  it('merges exactly: a merged sketch answers like one fed all the values', () => {
    fc.assert(
      fc.property(fc.array(value), fc.array(value), (a, b) => {
        const merged = sketchOf(a);
        merged.merge(sketchOf(b));
        const whole = sketchOf([...a, ...b]);
        for (const q of QUANTILES) expect(Object.is(merged.quantile(q), whole.quantile(q))).toBe(true);
        expect(merged.count).toBe(whole.count);
      }),
    );
  });

  it('is empty-safe: NaN quantiles without observations', () => {
    expect(new LogLinearSketch().quantile(0.5)).toBeNaN();
  });

  it('keeps memory bounded and upper quantiles accurate on data spanning 2^60', () => {
    const s = new LogLinearSketch();
    const values: number[] = [];
    for (let i = 0; i < 6000; i++) values.push(2 ** ((i % 60) - 30) * (1 + (i % 7) / 10));
    for (const v of values) s.add(v);
    expect(s.positive.counts.length).toBeLessThanOrEqual(MAX_BUCKETS);
    const sorted = values.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(s.quantile(q) - exact) / exact).toBeLessThanOrEqual(RELATIVE_ERROR);
    }
  });

  it('meets 1% relative error on a known distribution (log-normal latencies)', () => {
    // Deterministic LCG so the test is reproducible.
    let seed = 42;
    const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
    const values = Array.from({ length: 100_000 }, () => {
      const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
      return Math.exp(-3 + z); // median ~50 ms
    });
    const s = sketchOf(values);
    const sorted = values.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(s.quantile(q) - exact) / exact).toBeLessThan(0.01);
    }
  });
});
