/**
 * Exemplars: the trace and span a counter increment or a histogram
 * observation happened in, kept per series (counters: the latest; histograms:
 * the latest per bucket) and exposed as OpenMetrics exemplars and in OTLP.
 *
 * Off the hot path: series with exemplars are subclasses created only when
 * exemplars are enabled, so the plain series stay as they were. Their
 * recording methods repeat the plain ones' few lines instead of calling
 * `super`: through `super` the plain method also ran for the subclass's
 * objects, its property accesses saw two object shapes and went polymorphic,
 * and plain and exemplar series in one process both paid for it
 * (docs/benchmarks.md, "Exemplars"). Asking for
 * the active span costs far more than an observation (~20-60 ns through the
 * OpenTelemetry context API), so each series asks at most once per tick of
 * the coarse clock (250 ms): an observation with no active span costs one
 * field read and a comparison more.
 */
import type { CounterCell, HistogramCell } from '../api/backend.js';
import type { SpanContextSource } from '../api/metrics.js';
import type { Exemplar } from '../api/snapshot.js';
import type { CoarseClock } from './clock.js';
import { CounterSeries, HistogramSeries, type Sampler, type SeriesHome, TOUCHED } from './series.js';

/** What exemplar series need from the engine. */
export interface ExemplarContext {
  readonly spanContext: SpanContextSource;
  readonly clock: CoarseClock;
}

/** The latest exemplar per slot (one for a counter, one per bucket for a histogram), allocated on first use. */
export class ExemplarSlots {
  private readonly slots: (Exemplar | undefined)[];
  constructor(size: number) {
    this.slots = new Array(size).fill(undefined);
  }
  set(index: number, exemplar: Exemplar): void {
    this.slots[index] = exemplar;
  }
  read(): readonly (Exemplar | undefined)[] {
    return [...this.slots];
  }
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** One check per series and clock tick: returns the exemplar to keep, or undefined. */
function sample(ctx: ExemplarContext, owner: { checkedTick: number }, value: number): Exemplar | undefined {
  const tick = ctx.clock.tick;
  if (tick === owner.checkedTick) return undefined;
  owner.checkedTick = tick;
  const span = ctx.spanContext();
  if (span === undefined || !TRACE_ID.test(span.traceId) || !SPAN_ID.test(span.spanId)) return undefined;
  return { value, timeMs: Date.now(), traceId: span.traceId, spanId: span.spanId };
}

export class ExemplarCounterSeries extends CounterSeries {
  checkedTick = -1;
  exemplars: ExemplarSlots | undefined;
  private readonly clock: CoarseClock;
  constructor(
    labelValues: readonly string[],
    createdMs: number,
    activeAtMs: number,
    guard: SeriesHome,
    cell: CounterCell | undefined,
    private readonly ctx: ExemplarContext,
  ) {
    super(labelValues, createdMs, activeAtMs, guard, cell);
    this.clock = ctx.clock;
  }
  override inc(value = 1): void {
    // CounterSeries.inc's lines (not `super.inc`: see the top of this file).
    if (!(typeof value === 'number' && value >= 0 && value < Infinity)) return super.inc(value); // refused there
    this.cell.add(value);
    this.activeAtMs = TOUCHED;
    if (this.clock.tick !== this.checkedTick) {
      const exemplar = sample(this.ctx, this, value);
      if (exemplar) (this.exemplars ??= new ExemplarSlots(1)).set(0, exemplar);
    }
  }
}

export class ExemplarHistogramSeries extends HistogramSeries {
  checkedTick = -1;
  exemplars: ExemplarSlots | undefined;
  constructor(
    labelValues: readonly string[],
    createdMs: number,
    activeAtMs: number,
    guard: SeriesHome,
    cell: HistogramCell,
    sampler: Sampler | undefined,
    private readonly bounds: readonly number[],
    private readonly ctx: ExemplarContext,
  ) {
    super(labelValues, createdMs, activeAtMs, guard, cell, sampler);
    this.clock = ctx.clock;
  }
  private readonly clock: CoarseClock;
  override observe(value: number): void {
    // HistogramSeries.observe's lines (not `super.observe`: see the top of this file).
    if (!Number.isFinite(value)) return super.observe(value); // refused there
    const sampler = this.sampler;
    if (sampler === undefined) this.cell.observe(value, 1);
    else if (sampler.take()) this.cell.observe(value, sampler.every);
    this.activeAtMs = TOUCHED;
    if (this.clock.tick !== this.checkedTick) {
      const exemplar = sample(this.ctx, this, value);
      if (exemplar) {
        let bucket = 0;
        while (bucket < this.bounds.length && value > this.bounds[bucket]!) bucket++;
        (this.exemplars ??= new ExemplarSlots(this.bounds.length + 1)).set(bucket, exemplar);
      }
    }
  }
}
