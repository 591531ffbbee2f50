import type { CellReading, CounterCell, GaugeCell, HistogramCell, SummaryCell } from '../../api/backend.js';
import type { CoarseClock } from '../../core/clock.js';
import { SlidingWindow } from '../../core/window.js';

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

/** Non-cumulative bucket counts; exposition makes them cumulative. */
export class NativeHistogram implements HistogramCell {
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: Float64Array) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number, weight: number): void {
    const bounds = this.bounds;
    let i = 0;
    if (bounds.length <= 16) {
      while (i < bounds.length && value > bounds[i]!) i++;
    } else {
      let hi = bounds.length;
      while (i < hi) {
        const mid = (i + hi) >>> 1;
        if (value > bounds[mid]!) i = mid + 1;
        else hi = mid;
      }
    }
    this.counts[i]! += weight;
    this.sum += value * weight;
    this.count += weight;
  }

  addBucket(index: number, count: number): void {
    this.counts[Math.min(index, this.counts.length - 1)]! += count;
    this.count += count;
  }

  addSum(value: number): void {
    this.sum += value;
  }

  read(): CellReading {
    const counts = this.counts;
    const copy: number[] = new Array(counts.length);
    for (let i = 0; i < counts.length; i++) copy[i] = counts[i]!; // several times faster than Array.from
    return { count: this.count, sum: this.sum, bucketCounts: copy };
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
