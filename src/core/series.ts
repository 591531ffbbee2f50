import type { CellReading, CounterCell, GaugeCell, HistogramCell, SummaryCell } from '../api/backend.js';
import type { CounterHandle, GaugeHandle, HistogramHandle, SummaryHandle } from '../api/instruments.js';
import type { SeriesBase } from './series-table.js';

/** Receives values the instruments refuse: throws (strict) or counts a drop (lenient). */
export interface ValueGuard {
  /** `labelValues` name the series in the error (the value's metric is the guard's). */
  rejectValue(value: unknown, rule: string, labelValues: readonly string[]): void;
}

/** Where a series lives: its guard, and the label values of the slots of its series table. */
export interface SeriesHome extends ValueGuard {
  valuesAt(slot: number): readonly string[];
}

/** What each instrument refuses, as error messages say it (core/columns.ts checks the same). */
export const COUNTER_RULE = 'counter increments must be finite and >= 0';
export const GAUGE_SET_RULE = 'gauge values must be finite numbers';
export const GAUGE_INC_RULE = 'gauge increments must be finite numbers';
export const OBSERVE_RULE = 'observed values must be finite numbers';

/** `activeAtMs` of a series recorded into since the last sweep: a Smi no clock reading is. */
export const TOUCHED = -(2 ** 30);

/** Creation times are stored relative to this (whole milliseconds, as Date.now()). */
const CREATED_EPOCH_MS = Date.now();

/**
 * A series is the bound handle users hold: validation happens here, storage
 * in the backend's cell, so every backend gets the same checks.
 */
abstract class Series implements SeriesBase {
  bound = false;
  /** Milliseconds after CREATED_EPOCH_MS: a small integer (a Smi) where epoch milliseconds would be a 16-byte heap number per series. */
  // `declare`: assigned in the constructor, so no field definition is emitted (browser bundle bytes).
  declare private createdOffset: number;
  /**
   * Whole milliseconds, for the same reason (see SeriesTable.sweep), or
   * TOUCHED once recorded into since the last sweep: one field for both
   * (8 B per series), and a recording still stores one constant.
   */
  declare activeAtMs: number;
  /**
   * The series' slot in its home table while it is in one (the table keeps
   * the values, interned: no array per series), else its label values.
   */
  declare key: number | readonly string[];
  constructor(
    labelValues: readonly string[],
    createdMs: number,
    activeAtMs: number,
    protected readonly guard: SeriesHome,
  ) {
    this.key = labelValues;
    // Math.ceil returns a Smi where it can: the difference of two Date.now()
    // readings is a heap number (16 B per series) in unoptimized code even
    // when it is a small integer. Both are whole milliseconds: no rounding.
    this.createdOffset = Math.ceil(createdMs - CREATED_EPOCH_MS);
    this.activeAtMs = Math.ceil(activeAtMs);
  }
  /** Recorded into since the last sweep, which reads it, then sets activeAtMs (so setting false does nothing). */
  get touched(): boolean {
    return this.activeAtMs === TOUCHED;
  }
  set touched(value: boolean) {
    if (value) this.activeAtMs = TOUCHED;
  }
  /** User label values in labelNames order: a new array while the series is in its table. */
  get labelValues(): readonly string[] {
    const key = this.key;
    return typeof key === 'number' ? this.guard.valuesAt(key) : key;
  }
  /** Series creation, milliseconds since the epoch (set: a series that existed as a row before, core/columns.ts). */
  get createdMs(): number {
    return CREATED_EPOCH_MS + this.createdOffset;
  }
  set createdMs(ms: number) {
    this.createdOffset = Math.ceil(ms - CREATED_EPOCH_MS);
  }
  abstract cell: CounterCell | GaugeCell | HistogramCell | SummaryCell;
}

export class CounterSeries extends Series implements CounterHandle, CounterCell {
  /** The count when the series is its own cell (no `cell` given: the native backend's counters, one object per series instead of two). */
  value = 0;
  declare cell: CounterCell;
  constructor(labelValues: readonly string[], createdMs: number, activeAtMs: number, guard: SeriesHome, cell: CounterCell | undefined) {
    super(labelValues, createdMs, activeAtMs, guard);
    this.cell = cell ?? this;
  }

  add(value: number): void {
    this.value += value;
  }

  read(): CellReading {
    return { value: this.value };
  }

  inc(value = 1): void {
    // The typeof check keeps '5' out ('5' >= 0 is true in JavaScript); the
    // comparison pair rejects negatives, NaN (fails >=) and +Infinity.
    if (typeof value === 'number' && value >= 0 && value < Infinity) {
      this.cell.add(value);
      this.activeAtMs = TOUCHED;
    } else this.guard.rejectValue(value, COUNTER_RULE, this.labelValues);
  }
}

export class GaugeSeries extends Series implements GaugeHandle {
  /** The value when the series is its own cell (no `cell` given: the native backend's gauges, as for counters). */
  value = 0;
  declare cell: GaugeCell;
  constructor(labelValues: readonly string[], createdMs: number, activeAtMs: number, guard: SeriesHome, cell: GaugeCell | undefined) {
    super(labelValues, createdMs, activeAtMs, guard);
    this.cell = cell ?? this;
  }

  /** Cell side (a value the caller validated): `set` is the handle's, which validates. */
  add(value: number): void {
    this.value += value;
  }

  read(): CellReading {
    return { value: this.value };
  }

  /** Writes a value the caller validated (the merge port too): into the series itself or its cell. */
  assign(value: number): void {
    const cell = this.cell;
    if (cell === this) this.value = value;
    else cell.set(value);
  }

  set(value: number): void {
    if (Number.isFinite(value)) {
      this.assign(value);
      this.activeAtMs = TOUCHED;
    } else this.guard.rejectValue(value, GAUGE_SET_RULE, this.labelValues);
  }

  inc(value = 1): void {
    if (Number.isFinite(value)) {
      this.cell.add(value);
      this.activeAtMs = TOUCHED;
    } else this.guard.rejectValue(value, GAUGE_INC_RULE, this.labelValues);
  }

  dec(value = 1): void {
    this.inc(typeof value === 'number' ? -value : value);
  }

  setToCurrentTime(): void {
    this.set(Date.now() / 1000);
  }
}

/**
 * Deterministic 1-in-N sampling: the Nth observation is recorded with
 * weight N, so counts and sums stay unbiased and integral.
 */
export class Sampler {
  private countdown: number;
  constructor(readonly every: number) {
    this.countdown = every;
  }
  /** True when this observation is the one recorded. */
  take(): boolean {
    if (--this.countdown > 0) return false;
    this.countdown = this.every;
    return true;
  }
}

export class HistogramSeries extends Series implements HistogramHandle {
  constructor(
    labelValues: readonly string[],
    createdMs: number,
    activeAtMs: number,
    guard: SeriesHome,
    public cell: HistogramCell,
    protected readonly sampler: Sampler | undefined,
  ) {
    super(labelValues, createdMs, activeAtMs, guard);
  }

  observe(value: number): void {
    if (Number.isFinite(value)) {
      if (this.sampler === undefined) this.cell.observe(value, 1);
      else if (this.sampler.take()) this.cell.observe(value, this.sampler.every);
      this.activeAtMs = TOUCHED;
    } else this.guard.rejectValue(value, OBSERVE_RULE, this.labelValues);
  }
}

export class SummarySeries extends Series implements SummaryHandle {
  constructor(
    labelValues: readonly string[],
    createdMs: number,
    activeAtMs: number,
    guard: SeriesHome,
    public cell: SummaryCell,
    private readonly sampler: Sampler | undefined,
  ) {
    super(labelValues, createdMs, activeAtMs, guard);
  }

  observe(value: number): void {
    // OpenMetrics forbids negative quantiles and sums: summaries track magnitudes.
    if (typeof value === 'number' && value >= 0 && value < Infinity) {
      if (this.sampler === undefined) this.cell.observe(value, 1);
      else if (this.sampler.take()) this.cell.observe(value, this.sampler.every);
      this.activeAtMs = TOUCHED;
    } else this.guard.rejectValue(value, 'summary observations must be finite and >= 0', this.labelValues);
  }
}

export type AnySeries = CounterSeries | GaugeSeries | HistogramSeries | SummarySeries;
