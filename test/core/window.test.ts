import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CoarseClock, coarseClockFor } from '../../src/core/clock.js';
import { LogLinearSketch, bucketIndex } from '../../src/core/sketch.js';
import { RAW_LIMIT, SlidingWindow } from '../../src/core/window.js';

/**
 * The unoptimised window: one sketch per age bucket from the first value, a
 * full ring, rotation by deadline. The window under test must answer exactly
 * like it (it keeps raw values and allocates lazily).
 */
class ReferenceWindow {
  private readonly ring: (LogLinearSketch | undefined)[];
  private readonly periodMs: number;
  private head = 0;
  private rotateAtMs: number;

  constructor(
    maxAgeSeconds: number,
    ageBuckets: number,
    private readonly clock: CoarseClock,
  ) {
    this.ring = new Array<LogLinearSketch | undefined>(ageBuckets).fill(undefined);
    this.periodMs = (maxAgeSeconds * 1000) / ageBuckets;
    // Periods are aligned to multiples of periodMs on the clock, as the window's are.
    this.rotateAtMs = (Math.floor(clock.nowMs / this.periodMs) + 1) * this.periodMs;
  }

  observe(value: number, weight: number): void {
    if (this.clock.nowMs >= this.rotateAtMs) this.rotate();
    (this.ring[this.head] ??= new LogLinearSketch()).add(value, weight);
  }

  observeBucket(index: number, weight: number): void {
    if (this.clock.nowMs >= this.rotateAtMs) this.rotate();
    (this.ring[this.head] ??= new LogLinearSketch()).addBucket(index, weight);
  }

  current(): LogLinearSketch {
    if (this.clock.nowMs >= this.rotateAtMs) this.rotate();
    const merged = new LogLinearSketch();
    for (const sketch of this.ring) if (sketch) merged.merge(sketch);
    return merged;
  }

  private rotate(): void {
    const steps = Math.floor((this.clock.nowMs - this.rotateAtMs) / this.periodMs) + 1;
    for (let i = 0; i < Math.min(steps, this.ring.length); i++) {
      this.head = (this.head + 1) % this.ring.length;
      this.ring[this.head] = undefined;
    }
    this.rotateAtMs += steps * this.periodMs;
  }
}

const QUANTILES = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1];

type Op =
  | { op: 'observe'; value: number; weight: number }
  | { op: 'burst'; value: number; times: number }
  | { op: 'bucket'; value: number; weight: number }
  | { op: 'wait'; ms: number }
  | { op: 'read' };

const value = fc.oneof(
  fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
  fc.constant(0),
  fc.integer({ min: 0, max: 1000 }),
  fc.double({ min: -1e3, max: -1e-3, noNaN: true }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('observe' as const), value, weight: fc.constantFrom(1, 1, 1, 2, 0.5) }) },
  // Enough values in one period to cross RAW_LIMIT.
  { weight: 2, arbitrary: fc.record({ op: fc.constant('burst' as const), value, times: fc.integer({ min: 1, max: 3 * RAW_LIMIT }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('bucket' as const),
      value: fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
      weight: fc.integer({ min: 1, max: 5 }),
    }),
  },
  // Waits from a fraction of a period to several whole windows.
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('wait' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 40_000 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('read' as const) }) },
);

function expectSame(actual: LogLinearSketch, expected: LogLinearSketch): void {
  for (const q of QUANTILES) expect(Object.is(actual.quantile(q), expected.quantile(q)), `q=${q}`).toBe(true);
  expect(actual.count).toBe(expected.count);
  expect(actual.zeroCount).toBe(expected.zeroCount);
  expect(actual.min).toBe(expected.min);
  expect(actual.max).toBe(expected.max);
  // The same terms, summed in another order.
  expect(Math.abs(actual.sum - expected.sum)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected.sum)));
}

describe('SlidingWindow', () => {
  it('answers exactly like one sketch per age bucket, across the raw-value limit and rotations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(op, { maxLength: 120 }),
        (maxAgeSeconds, ageBuckets, ops) => {
          let ms = 1_000;
          const clock = coarseClockFor({ now: () => ms });
          const window = new SlidingWindow(maxAgeSeconds, ageBuckets, clock);
          const reference = new ReferenceWindow(maxAgeSeconds, ageBuckets, clock);
          for (const o of ops) {
            if (o.op === 'observe') {
              window.observe(o.value, o.weight);
              reference.observe(o.value, o.weight);
            } else if (o.op === 'burst') {
              for (let i = 0; i < o.times; i++) {
                window.observe(o.value + i);
                reference.observe(o.value + i, 1);
              }
            } else if (o.op === 'bucket') {
              window.observeBucket(bucketIndex(o.value), o.weight);
              reference.observeBucket(bucketIndex(o.value), o.weight);
            } else if (o.op === 'wait') ms += o.ms;
            else expectSame(window.current(), reference.current());
          }
          expectSame(window.current(), reference.current());
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('forgets everything after a whole window and keeps periods that have not aged out', () => {
    let ms = 0;
    const clock = coarseClockFor({ now: () => ms });
    const window = new SlidingWindow(10, 5, clock); // 2 s periods
    window.observe(100);
    ms = 4_500; // period 2
    for (let i = 0; i < 3 * RAW_LIMIT; i++) window.observe(1);
    expect(window.current().count).toBe(1 + 3 * RAW_LIMIT);
    ms = 10_000; // period 5: period 0 (the 100) aged out, period 2 stays
    expect(window.current().count).toBe(3 * RAW_LIMIT);
    expect(window.current().max).toBe(1);
    ms = 16_000; // period 8: period 2 aged out too
    expect(window.current().count).toBe(0);
    expect(window.current().quantile(0.5)).toBeNaN();
    window.observe(7);
    expect(window.current().quantile(0.5)).toBe(7);
  });

  it('rotates every window of a clock at the same times, wherever in a period it was created', () => {
    let ms = 0;
    const clock = coarseClockFor({ now: () => ms });
    const early = new SlidingWindow(10, 5, clock);
    ms = 1_900;
    const late = new SlidingWindow(10, 5, clock); // created at the end of period 0
    early.observe(1);
    late.observe(1);
    ms = 10_000; // period 5: both lose period 0 together
    expect(early.current().count).toBe(0);
    expect(late.current().count).toBe(0);
  });
});

describe('a window whose clock jumps far ahead', () => {
  it('rotates in bounded time past 2^53 ms (period numbers no longer step by one there) and keeps counting', () => {
    let ms = 0;
    const clock = coarseClockFor({ now: () => ms });
    const window = new SlidingWindow(600, 5, clock);
    window.observe(1);
    ms = 1_000_000; // a period with data ages: the window now has a ring
    window.observe(2);
    for (const jump of [2 ** 60, 2 ** 60 + 2 ** 9, 2 ** 70, Number.MAX_VALUE]) {
      ms = jump;
      window.observe(3);
      expect(window.current().count).toBeGreaterThanOrEqual(1);
    }
  });
});
