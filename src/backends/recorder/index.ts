/**
 * The backend for code running *inside* a component: cells aggregate locally
 * and `flush()` sends the changes to the host through the
 * `omnimeter:metrics/recorder` imports in one `apply-batch`, the same
 * numeric protocol the AssemblyScript SDK speaks. Platform-neutral: a
 * TypeScript component built with componentize-js uses the whole core API on it.
 */
import type {
  CellReading,
  CounterCell,
  FamilyDescriptor,
  GaugeCell,
  HistogramCell,
  MetricsBackend,
  SummaryCell,
} from '../../api/backend.js';
import { type Clock, type CoarseClock, coarseClockFor, performanceClock } from '../../core/clock.js';
import type { GuestUpdate, Recorder } from '../../api/recorder.js';
import { bucketIndex } from '../../core/sketch.js';
import { wireDescriptor } from '../../exposition/recorder.js';
import { SlidingWindow } from '../../core/window.js';

export type { Recorder } from '../../api/recorder.js';
type Update = GuestUpdate;

abstract class RecorderCell {
  dirty = false;
  /** Set when the host forgot an expired series whose handle came back: the next flush sends totals, not deltas. */
  replay = false;
  private seriesId: number | undefined;
  constructor(
    protected readonly backend: RecorderBackendImpl,
    readonly family: FamilyDescriptor,
    readonly labelValues: readonly string[],
  ) {}
  protected touch(): void {
    if (!this.dirty) {
      this.dirty = true;
      this.backend.dirty.push(this);
    }
  }
  /**
   * The host's id for this series, registered on first flush; 0 if refused.
   * An overflow series goes to the host's overflow of the same metric (an
   * empty label list); lenient mode's discard series (no label values for a
   * labelled family) is never sent.
   */
  protected id(): number {
    if (this.seriesId === undefined) {
      const main = this.family.overflowOf;
      const discard = !main && this.labelValues.length !== this.family.labelNames.length;
      const metric = discard ? 0 : this.backend.metricId(main ?? this.family);
      this.seriesId = metric === 0 ? 0 : this.backend.recorder.registerSeries(metric, main ? [] : [...this.labelValues]);
    }
    return this.seriesId;
  }

  /** Tells the host the series is gone (removed or expired), once it knew it. */
  forget(): void {
    if (this.seriesId !== undefined && this.seriesId !== 0)
      this.backend.forgotten.push({ series: this.seriesId, op: 'forget', index: 0, value: 0 });
    this.seriesId = undefined;
  }
  abstract updates(out: Update[]): void;
}

class Counter extends RecorderCell implements CounterCell {
  total = 0;
  pending = 0;
  add(value: number): void {
    this.total += value;
    this.pending += value;
    this.touch();
  }
  read(): CellReading {
    return { value: this.total };
  }
  updates(out: Update[]): void {
    const series = this.id();
    const value = this.replay ? this.total : this.pending;
    if (series !== 0 && value !== 0) out.push({ series, op: 'add', index: 0, value });
    this.pending = 0;
    this.replay = false;
  }
}

class Gauge extends RecorderCell implements GaugeCell {
  value = 0;
  set(value: number): void {
    this.value = value;
    this.touch();
  }
  add(value: number): void {
    this.value += value;
    this.touch();
  }
  read(): CellReading {
    return { value: this.value };
  }
  updates(out: Update[]): void {
    const series = this.id();
    if (series !== 0) out.push({ series, op: 'set', index: 0, value: this.value });
  }
}

class Histogram extends RecorderCell implements HistogramCell {
  private readonly bounds = this.family.buckets ?? [];
  private readonly counts = new Float64Array(this.bounds.length + 1);
  private readonly pending = new Float64Array(this.bounds.length + 1);
  private sum = 0;
  private pendingSum = 0;
  private count = 0;
  observe(value: number, weight: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.addBucket(i, weight);
    this.addSum(value * weight);
  }
  addBucket(index: number, count: number): void {
    const i = Math.min(index, this.counts.length - 1);
    this.counts[i]! += count;
    this.pending[i]! += count;
    this.count += count;
    this.touch();
  }
  addSum(value: number): void {
    this.sum += value;
    this.pendingSum += value;
    this.touch();
  }
  read(): CellReading {
    return { count: this.count, sum: this.sum, bucketCounts: Array.from(this.counts) };
  }
  updates(out: Update[]): void {
    const series = this.id();
    const counts = this.replay ? this.counts : this.pending;
    for (let i = 0; i < counts.length; i++) {
      if (series !== 0 && counts[i] !== 0) out.push({ series, op: 'bucket', index: i, value: counts[i]! });
    }
    if (series !== 0) out.push({ series, op: 'sum', index: 0, value: this.replay ? this.sum : this.pendingSum });
    this.pending.fill(0);
    this.pendingSum = 0;
    this.replay = false;
  }
}

/** The host keeps the authoritative window; the guest keeps one too, for its own reads. */
class Summary extends RecorderCell implements SummaryCell {
  private readonly window = new SlidingWindow(this.family.maxAgeSeconds ?? 600, this.family.ageBuckets ?? 5, this.backend.retainClock());
  private readonly pending = new Map<number, number>();
  private count = 0;
  private sum = 0;
  private pendingSum = 0;
  observe(value: number, weight: number): void {
    this.window.observe(value, weight);
    this.count += weight;
    const index = value > 0 ? bucketIndex(value) : 0;
    this.pending.set(index, (this.pending.get(index) ?? 0) + weight);
    this.addSum(value * weight);
  }
  addSketchBucket(index: number, count: number): void {
    this.window.observeBucket(index, count);
    this.count += count;
    this.pending.set(index, (this.pending.get(index) ?? 0) + count);
    this.touch();
  }
  addSum(value: number): void {
    this.sum += value;
    this.pendingSum += value;
    this.touch();
  }
  read(): CellReading {
    const sketch = this.window.current();
    return { count: this.count, sum: this.sum, quantileValues: (this.family.quantiles ?? []).map((q) => sketch.quantile(q)) };
  }
  updates(out: Update[]): void {
    const series = this.id();
    if (series !== 0) {
      for (const [index, count] of this.pending) out.push({ series, op: 'sketch', index, value: count });
      out.push({ series, op: 'sum', index: 0, value: this.pendingSum });
    }
    this.pending.clear();
    this.pendingSum = 0;
  }
}

class RecorderBackendImpl implements MetricsBackend {
  readonly id = 'recorder';
  readonly dirty: RecorderCell[] = [];
  private readonly metricIds = new Map<FamilyDescriptor, number>();
  readonly clock: CoarseClock;
  constructor(
    readonly recorder: Recorder,
    clock: Clock,
  ) {
    this.clock = coarseClockFor(clock);
  }

  metricId(family: FamilyDescriptor): number {
    let id = this.metricIds.get(family);
    if (id === undefined) {
      id = this.recorder.registerMetric(wireDescriptor(family));
      this.metricIds.set(family, id);
    }
    return id;
  }

  /** Summaries keep the shared coarse clock ticking while they exist, as the native backend's do. */
  retainClock(): CoarseClock {
    this.clock.retain();
    return this.clock;
  }

  counterCell = (family: FamilyDescriptor, values: readonly string[]) => new Counter(this, family, values);
  gaugeCell = (family: FamilyDescriptor, values: readonly string[]) => new Gauge(this, family, values);
  histogramCell = (family: FamilyDescriptor, values: readonly string[]) => new Histogram(this, family, values);
  summaryCell = (family: FamilyDescriptor, values: readonly string[]) => new Summary(this, family, values);
  /**
   * A removed series (reset() or remove()) is forgotten by the host at the
   * next flush, with what it had not flushed yet. An expired one is
   * forgotten too, as the guest drops it; if the user still holds its handle
   * and records again, the core brings it back and its totals are sent
   * again (a summary resends only what is new: its window cannot be replayed).
   */
  release(cell: unknown, reason: 'removed' | 'expired'): void {
    if (cell instanceof Summary) this.clock.release();
    if (!(cell instanceof RecorderCell)) return;
    cell.forget();
    if (reason === 'expired') cell.replay = true;
    if (cell.dirty) {
      cell.dirty = false;
      this.dirty.splice(this.dirty.indexOf(cell), 1);
    }
  }

  /** Forget updates for the next flush. */
  readonly forgotten: Update[] = [];

  /**
   * Sends every change since the last flush to the host in one batch (after
   * a batch of forgets, if series were removed: the same labels registered
   * again must get a fresh series, not the forgotten one).
   */
  flush(): void {
    if (this.forgotten.length) this.recorder.applyBatch(this.forgotten.splice(0));
    if (this.dirty.length === 0) return;
    const updates: Update[] = [];
    for (const cell of this.dirty) {
      cell.updates(updates);
      cell.dirty = false;
    }
    this.dirty.length = 0;
    if (updates.length) this.recorder.applyBatch(updates);
  }
}

export type RecorderBackend = MetricsBackend & { flush(): void };

/**
 * A backend that records through the host's `omnimeter:metrics/recorder`
 * imports. Pass the same clock as to createMetrics (in a component, one
 * built on the recorder's `now`).
 */
export function recorderBackend(recorder: Recorder, options: { clock?: Clock } = {}): RecorderBackend {
  return new RecorderBackendImpl(recorder, options.clock ?? performanceClock);
}
