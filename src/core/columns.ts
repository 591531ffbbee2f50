/**
 * Counter, gauge and histogram series without an object per series: a
 * labelled family on the native backend keeps each series' numbers (a value;
 * bucket counts and sum), last activity and creation time in typed-array
 * columns, one row per slot of its series table. An object per series costs 24 B of header plus 8 B a field in
 * Node (no pointer compression): more than the whole row here. Objects
 * exist only where something holds a series:
 * - one view per table, repositioned at each lookup and at each step of an
 *   iteration (`inc(labels)`, exposition, the sweep): callers use it before
 *   the next lookup and never keep it;
 * - the series object (core/series.ts) of a series that `labels()` handed
 *   out (users, the merge port, timers keep those). Its numbers move into it
 *   and its row's last number holds NaN, which no validated recording can
 *   produce: the view passes recordings on to it and reads it. A kept handle so records
 *   at the speed of an unlabelled series (an integer field add, where a
 *   column's is a floating-point add through memory), and it leaves its
 *   table (removed, expired) with its value as any series object does.
 * Installed by the `omnimeter` entry (core/features.ts); page bundles keep
 * the object per series.
 */
import type { CellReading, FamilyDescriptor } from '../api/backend.js';
import type { CounterHandle, GaugeHandle, HistogramHandle } from '../api/instruments.js';
import type { Clock } from './clock.js';
import { bucketIndex } from './buckets.js';
import {
  type AnySeries,
  COUNTER_RULE,
  type CounterSeries,
  GAUGE_INC_RULE,
  GAUGE_SET_RULE,
  type GaugeSeries,
  type HistogramSeries,
  OBSERVE_RULE,
  type SeriesHome,
  TOUCHED,
} from './series.js';
import { grow, roomFor } from './room.js';
import { KEY_SEPARATOR, type SeriesBase, SeriesTable, type SeriesTableOptions } from './series-table.js';

/** `active` of a row recorded into since the last sweep. */
const TOUCHED_AT = -(2 ** 31);
/** Activity offsets stay within this of `base`; the sweep rebases them past it. */
const SPAN = 2 ** 30;

/** `created` of a row created too far from `createdBase` for 31 bits of milliseconds (~25 days): kept in `far`. */
const FAR = -(2 ** 31);

/** The rows of one table. */
export class ValueColumns {
  /** `stride` numbers per row: a counter's or gauge's value; a histogram's bucket counts, sum and count. */
  values: Float64Array;
  /** Last activity: whole milliseconds after `base` on the family's clock, or TOUCHED_AT. */
  active: Int32Array;
  /** Creation, milliseconds after `createdBase` (or FAR): counters only (gauges expose none). */
  created: Int32Array | undefined;
  /** Clock reading that activity offsets count from; moved by rebase(). */
  base = 0;
  /** Epoch milliseconds that creation offsets count from. */
  private readonly createdBase = Date.now();
  /** Creation times of rows created more than ~25 days after `createdBase`, by row. */
  private far: Map<number, number> | undefined;
  /** Rows ever written: the extent rebase() walks. */
  private rows = 0;

  constructor(
    capacity: number,
    withCreated: boolean,
    readonly stride = 1,
  ) {
    this.values = new Float64Array(capacity * stride);
    this.active = new Int32Array(capacity);
    this.created = withCreated ? new Int32Array(capacity) : undefined;
  }

  /** Room for `row` (see roomFor). */
  private fit(row: number): void {
    if (row >= this.rows) this.rows = row + 1;
    if (row < this.active.length) return;
    const size = roomFor(row);
    this.values = grow(this.values, size * this.stride);
    this.active = grow(this.active, size);
    if (this.created) this.created = grow(this.created, size);
  }

  /** A new series in `row`: zero, created at `createdMs`, active at `nowMs`. */
  open(row: number, createdMs: number, nowMs: number): void {
    this.fit(row);
    this.values.fill(0, row * this.stride, (row + 1) * this.stride);
    this.setCreated(row, createdMs);
    this.setActive(row, nowMs);
  }

  /** Copies row `from` into `row` (compaction). */
  move(from: number, row: number): void {
    const n = this.stride;
    this.values.copyWithin(row * n, from * n, (from + 1) * n);
    this.active[row] = this.active[from]!;
    if (this.created) this.created[row] = this.created[from]!;
    if (this.far?.has(from)) this.far.set(row, this.far.get(from)!);
  }

  createdMs(row: number): number {
    const created = this.created;
    if (!created) return Number.NaN;
    const offset = created[row]!;
    return offset === FAR ? this.far!.get(row)! : this.createdBase + offset;
  }

  private setCreated(row: number, ms: number): void {
    if (!this.created) return;
    const offset = ms - this.createdBase;
    const fits = offset > FAR && offset < 2 ** 31 && Number.isInteger(offset);
    this.created[row] = fits ? offset : FAR;
    if (fits) this.far?.delete(row);
    else (this.far ??= new Map()).set(row, ms);
  }

  touched(row: number): boolean {
    return this.active[row] === TOUCHED_AT;
  }

  /** Whether `row` was handed to a series object: its last number is NaN, which no validated recording makes. */
  handed(row: number): boolean {
    const x = this.values[row * this.stride + this.stride - 1]!;
    return Number.isNaN(x);
  }

  hand(row: number): void {
    this.values[row * this.stride + this.stride - 1] = Number.NaN;
  }

  /** Last activity on the clock (TOUCHED_AT reads as TOUCHED_AT: the sweep tests touched() first). */
  activeMs(row: number): number {
    const a = this.active[row]!;
    return a === TOUCHED_AT ? a : a + this.base;
  }

  setActive(row: number, ms: number): void {
    this.active[row] = this.offset(ms);
  }

  /** `ms` as an offset from `base`, rebasing first when it is too far (a clock running for weeks, a test's clock). */
  private offset(ms: number): number {
    let off = Math.ceil(ms) - this.base;
    if (!(off > -SPAN && off < SPAN)) {
      this.rebase(Math.ceil(ms));
      off = Math.ceil(ms) - this.base;
    }
    return off;
  }

  /** Counts offsets from `base` instead; an activity older than the span reads as the span's start (expiring later, never earlier). */
  private rebase(base: number): void {
    const shift = this.base - base;
    const active = this.active;
    for (let r = 0; r < this.rows; r++) {
      const a = active[r]!;
      if (a !== TOUCHED_AT) active[r] = Math.max(-SPAN + 1, Math.min(SPAN - 1, a + shift));
    }
    this.base = Number.isFinite(base) ? base : 0;
  }
}

/** The series objects of the rows `labels()` handed out (their row's last number holds NaN), by slot. */
type Handles = Map<number, AnySeries>;

/**
 * A table's view of its rows: repositioned by every lookup and iteration
 * step, used at once, never kept. It is its own cell (exposition reads it).
 */
abstract class RowView implements SeriesBase {
  readonly bound = false;
  constructor(
    /** @internal */
    public c: ValueColumns,
    /** @internal */
    public slot: number,
    /** @internal the table (its guard and label values). */
    public home: SeriesHome,
    /** @internal the table's handles. */
    public handles: Handles,
  ) {}

  get cell(): this {
    return this;
  }
  get key(): number {
    return this.slot;
  }
  get labelValues(): readonly string[] {
    return this.home.valuesAt(this.slot);
  }
  get touched(): boolean {
    return this.c.touched(this.slot);
  }
  get activeAtMs(): number {
    return this.c.activeMs(this.slot);
  }
  /** The series object a handed-out row's numbers live in. */
  protected handle<T extends AnySeries>(): T {
    return this.handles.get(this.slot) as T;
  }
  get createdMs(): number {
    return this.c.handed(this.slot) ? this.handle().createdMs : this.c.createdMs(this.slot);
  }
  abstract read(): CellReading;
  /** Adds the row's numbers to `series` (a new series object taking the row over). */
  abstract moveInto(series: AnySeries): void;
}

/** Counters and gauges: one number per row. */
abstract class RowValue extends RowView {
  /**
   * The reading read() returns, rewritten by the next read of any row of the table (the view is the table's one):
   * readers copy the number at once. A new object per read was a sixth of a 100k-series scrape's garbage. Made a
   * double from the start, so stores update it in place.
   */
  private readonly reading = { value: 0.5 };
  read(): CellReading {
    const x = this.c.values[this.slot]!;
    if (Number.isNaN(x)) return this.handle().cell.read();
    this.reading.value = x;
    return this.reading;
  }
  moveInto(series: AnySeries): void {
    // A number read from a Float64Array is a heap number even when integral: stored as is, it would turn the
    // value field of every series object of the class into a boxed double (unlabelled counters 1.3 -> 3.9 ns an inc).
    const x = this.c.values[this.slot]!;
    (series as CounterSeries | GaugeSeries).value = x === (x | 0) ? x | 0 : x;
  }
}

export class RowCounter extends RowValue implements CounterHandle {
  inc(value = 1): void {
    if (typeof value === 'number' && value >= 0 && value < Infinity) {
      const { c, slot } = this;
      const x = c.values[slot]!;
      if (Number.isNaN(x)) return this.handle<CounterSeries>().inc(value);
      c.values[slot] = x + value;
      c.active[slot] = TOUCHED_AT;
    } else this.home.rejectValue(value, COUNTER_RULE, this.labelValues);
  }
}

export class RowGauge extends RowValue implements GaugeHandle {
  set(value: number): void {
    if (Number.isFinite(value)) {
      const { c, slot } = this;
      if (Number.isNaN(c.values[slot])) return this.handle<GaugeSeries>().set(value);
      c.values[slot] = value;
      c.active[slot] = TOUCHED_AT;
    } else this.home.rejectValue(value, GAUGE_SET_RULE, this.labelValues);
  }
  inc(value = 1): void {
    if (Number.isFinite(value)) {
      const { c, slot } = this;
      const x = c.values[slot]!;
      if (Number.isNaN(x)) return this.handle<GaugeSeries>().inc(value);
      c.values[slot] = x + value;
      c.active[slot] = TOUCHED_AT;
    } else this.home.rejectValue(value, GAUGE_INC_RULE, this.labelValues);
  }
  dec(value = 1): void {
    this.inc(typeof value === 'number' ? -value : value);
  }
  setToCurrentTime(): void {
    this.set(Date.now() / 1000);
  }
}

/**
 * Histograms: the bucket counts (not cumulative) and the sum per row. The
 * count is their total, added up when read: one number (8 B) less per row.
 * The sum is the row's last number, NaN once handed out: a sum of finite
 * observations can reach an infinity but never NaN.
 */
export class RowHistogram extends RowView implements HistogramHandle {
  /** @internal the family's bucket bounds. */
  bounds: Float64Array = new Float64Array(0);

  observe(value: number): void {
    if (Number.isFinite(value)) {
      const { c, slot, bounds } = this;
      const n = bounds.length;
      const values = c.values;
      const o = slot * (n + 2);
      const sum = values[o + n + 1]!;
      if (Number.isNaN(sum)) return this.handle<HistogramSeries>().observe(value);
      values[o + bucketIndex(bounds, value)]! += 1;
      values[o + n + 1] = sum + value;
      c.active[slot] = TOUCHED_AT;
    } else this.home.rejectValue(value, OBSERVE_RULE, this.labelValues);
  }

  read(): CellReading {
    const { c, slot } = this;
    if (c.handed(slot)) return this.handle().cell.read();
    const n = this.bounds.length + 1;
    const o = slot * (n + 1);
    const counts: number[] = new Array(n);
    let count = 0;
    for (let i = 0; i < n; i++) count += counts[i] = c.values[o + i]!; // a loop: several times faster than Array.from
    return { count, sum: c.values[o + n]!, bucketCounts: counts };
  }

  moveInto(series: AnySeries): void {
    const cell = (series as HistogramSeries).cell;
    const r = this.read();
    r.bucketCounts!.forEach((count, i) => count && cell.addBucket(i, count));
    cell.addSum(r.sum!);
  }
}

type ViewClass = typeof RowCounter | typeof RowGauge | typeof RowHistogram;

/**
 * A series table whose series are rows of value columns, and series objects
 * only for the rows `labels()` handed out (see the top of this file).
 */
export class ColumnSeriesTable<S extends SeriesBase> extends SeriesTable<S> {
  private readonly c: ValueColumns;
  private readonly view: RowView;
  private readonly handles: Handles;

  constructor(
    options: SeriesTableOptions<S>,
    view: ViewClass,
    private readonly clock: Clock,
    bounds?: Float64Array,
  ) {
    const c = new ValueColumns(0, view !== RowGauge, bounds ? bounds.length + 2 : 1);
    const handles: Handles = new Map();
    const v = new view(c, 0, undefined as unknown as SeriesHome, handles);
    if (bounds && v instanceof RowHistogram) v.bounds = bounds;
    super(options, v as unknown as S & { slot: number });
    v.home = this; // the table did not exist before super()
    this.c = c;
    this.view = v;
    this.handles = handles;
  }

  protected override at(slot: number): S {
    this.view.slot = slot;
    return this.view as unknown as S;
  }

  protected override move(from: number, to: number): void {
    this.c.move(from, to);
    const handle = this.handles.get(from);
    if (handle) {
      this.handles.delete(from);
      this.handles.set(to, handle);
      handle.key = to;
    }
  }

  /** Slots are renumbered only by compaction: a slot and the compaction count name one series. */
  override keyOf(series: S): unknown {
    return series === (this.view as unknown) ? this.view.slot + this.ix.compactions * 2 ** 32 : series;
  }

  /** The row's series object, made on first ask: the row's numbers, creation and activity move into it. */
  override keep(series: S): S {
    if (series !== (this.view as unknown)) return super.keep(series);
    const { c, view } = this;
    const slot = view.slot;
    const kept = this.handles.get(slot);
    if (kept) return kept as unknown as S;
    const handle = this.options.create(this.valuesAt(slot)) as unknown as AnySeries;
    view.moveInto(handle);
    handle.createdMs = c.createdMs(slot);
    handle.activeAtMs = c.touched(slot) ? TOUCHED : Math.ceil(c.activeMs(slot));
    return this.hand(slot, handle) as unknown as S;
  }

  /** Puts `handle` in charge of `slot`. */
  private hand(slot: number, handle: AnySeries): AnySeries {
    handle.bound = true;
    handle.key = slot;
    this.c.hand(slot);
    this.handles.set(slot, handle);
    return handle;
  }

  protected override insert(values: readonly string[]): S {
    if (values.length === 0) return super.insert(values);
    const slot = this.ix.add(this.acquire(values));
    this.c.open(slot, Date.now(), this.clock.now());
    return this.at(slot);
  }

  protected override reinstate(series: S): S {
    const handle = series as unknown as AnySeries;
    // Untouched (a labels() call): expires at the next sweep unless used. Touched: that sweep dates it.
    if (!handle.touched) handle.activeAtMs = Number.NEGATIVE_INFINITY;
    const slot = this.ix.add(this.acquire(handle.labelValues));
    this.c.open(slot, handle.createdMs, this.clock.now());
    return this.hand(slot, handle) as unknown as S;
  }

  protected override delete(series: S, reason: 'removed' | 'expired'): void {
    if (series === (this.view as unknown)) this.drop(this.view.slot, reason);
    else super.delete(series, reason);
  }

  protected override expire(now: number, ttlMs: number): void {
    const { ix, c } = this;
    for (let s = 0; s < ix.end; s++) {
      if (!ix.has(s)) continue;
      const handle = c.handed(s) ? this.handles.get(s)! : undefined;
      if (handle ? handle.touched : c.touched(s)) {
        if (handle) handle.activeAtMs = now;
        else c.setActive(s, now);
      } else if (now - (handle ? handle.activeAtMs : c.activeMs(s)) >= ttlMs) {
        this.drop(s, 'expired');
        if (handle) this.retired.set(handle.labelValues.join(KEY_SEPARATOR), new WeakRef(handle as unknown as S));
      }
    }
  }

  /** Takes `slot` out of the table; its series object, if any, leaves with its numbers and label values. */
  private drop(slot: number, reason: 'removed' | 'expired'): void {
    const handle = this.handles.get(slot);
    const values = this.free(slot);
    if (!handle) return;
    this.handles.delete(slot);
    handle.key = values;
    this.options.destroy(handle as unknown as S, reason); // histograms: the cell leaves the backend's shared columns
  }
}

/** What decides whether a family's series can be rows: its type, labels, sampling and engine. */
export interface ColumnCandidate {
  readonly descriptor: FamilyDescriptor;
  readonly sampleEvery: number;
  readonly ctx: { readonly backend: { readonly id: string }; readonly clock: Clock; readonly exemplars?: object };
}

/**
 * The column table of a counter, gauge or histogram family whose series
 * would keep nothing of their own besides their numbers: native backend,
 * declared labels, no exemplars, every observation recorded, classic
 * buckets only. Undefined for every other family (series objects).
 */
export function columnTable<S extends SeriesBase>(family: ColumnCandidate, options: SeriesTableOptions<S>): SeriesTable<S> | undefined {
  const { descriptor: d, ctx } = family;
  if (ctx.backend.id !== 'native' || options.labelNames.length === 0) return undefined;
  if (d.type === 'gauge') return new ColumnSeriesTable(options, RowGauge, ctx.clock);
  if (ctx.exemplars) return undefined;
  if (d.type === 'counter') return new ColumnSeriesTable(options, RowCounter, ctx.clock);
  if (d.type !== 'histogram' || d.native || family.sampleEvery !== 1) return undefined;
  return new ColumnSeriesTable(options, RowHistogram, ctx.clock, Float64Array.from(d.buckets ?? []));
}
