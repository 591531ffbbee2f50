import type { CellReading, CounterCell, GaugeCell, HistogramCell, SummaryCell } from '../../api/backend.js';
import type { CoarseClock } from '../../core/clock.js';
import { SlidingWindow } from '../../core/window.js';
import { bucketIndex } from '../../core/buckets.js';

/** A counter's or a gauge's value (counters only add). Counter series hold their value themselves; this serves a counter only when core asks for a standalone cell. */
export class NativeGauge implements GaugeCell, CounterCell {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
  add(value: number): void {
    this.value += value;
  }
  read(): CellReading {
    return { value: this.value };
  }
}

/** Shared histogram storage, when an entry installed it (columns.ts); page bundles give each cell an array of its own. */
export const histogramStorage: { columns?: () => HistogramColumns } = {};

/** Histogram cells of one backend instance, with counts in shared columns (columns.ts). */
export interface HistogramColumns {
  /** A new series' cell for `bounds` (one array per bucket layout: the backend caches it). */
  cell(bounds: Float64Array): NativeHistogram;
  /**
   * Takes `cell` out of its column: its counts move to an array of its own
   * (kept when it `expired`, since the core may reinstate it; zero when
   * `removed`), so a handle the user kept never writes into a range that a
   * new series reuses, and nothing is left behind in the column.
   */
  release(cell: NativeHistogram, reason: 'removed' | 'expired'): void;
}

/**
 * Non-cumulative bucket counts, sum and count at `o` in `c` (its column's
 * chunk, or an array of its own once released); exposition makes them
 * cumulative. The bounds are the cell's own field (not read through the
 * column): one load less on every observation.
 */
export class NativeHistogram implements HistogramCell {
  constructor(
    readonly bounds: Float64Array,
    /** @internal */
    public c: Float64Array,
    /** @internal */
    public o: number,
  ) {}

  observe(value: number, weight: number): void {
    const n = this.bounds.length;
    const i = bucketIndex(this.bounds, value);
    const c = this.c;
    const o = this.o;
    c[o + i]! += weight;
    c[o + n + 1]! += value * weight;
    c[o + n + 2]! += weight;
  }

  addBucket(index: number, count: number): void {
    const n = this.bounds.length;
    this.c[this.o + Math.min(index, n)]! += count;
    this.c[this.o + n + 2]! += count;
  }

  addSum(value: number): void {
    this.c[this.o + this.bounds.length + 1]! += value;
  }

  read(): CellReading {
    const { c, o } = this;
    const n = this.bounds.length + 1;
    const copy: number[] = new Array(n);
    for (let i = 0; i < n; i++) copy[i] = c[o + i]!; // several times faster than Array.from
    return { count: c[o + n + 1]!, sum: c[o + n]!, bucketCounts: copy };
  }
}

export class NativeSummary implements SummaryCell {
  private readonly window: SlidingWindow;
  private sum = 0;
  private count = 0;

  constructor(
    private readonly quantiles: readonly number[],
    maxAgeSeconds: number,
    ageBuckets: number,
    clock: CoarseClock,
  ) {
    this.window = new SlidingWindow(maxAgeSeconds, ageBuckets, clock);
  }

  observe(value: number, weight: number): void {
    this.window.observe(value, weight);
    this.sum += value * weight;
    this.count += weight;
  }

  addSketchBucket(index: number, count: number): void {
    this.window.observeBucket(index, count);
    this.count += count;
  }

  addSum(value: number): void {
    this.sum += value;
  }

  read(): CellReading {
    const sketch = this.window.current();
    return { count: this.count, sum: this.sum, quantileValues: this.quantiles.map((q) => sketch.quantile(q)) };
  }
}
