/**
 * Counter and gauge series without an object per series: a labelled family
 * on the native backend keeps each series' value, last activity and
 * creation time in typed-array columns, one row per slot of its series
 * table. An object per series costs 24 B of header plus 8 B a field in
 * Node (no pointer compression): more than the whole row here. Objects
 * exist only where something holds a series:
 * - one view per table, repositioned at each lookup and at each step of an
 *   iteration (`inc(labels)`, exposition, the sweep): callers use it before
 *   the next lookup and never keep it;
 * - a handle of its own per series that `labels()` handed out (users, the
 *   merge port, timers keep those). When its series leaves the table the
 *   handle takes its row along (a one-row copy), so it never writes into a
 *   row a new series reuses; reinstated, the row moves back.
 * Installed by the `omnimeter` entry (core/features.ts); page bundles keep
 * the object per series (core/series.ts).
 */
import type { CellReading, CounterCell, FamilyDescriptor, GaugeCell } from '../api/backend.js';
import type { CounterHandle, GaugeHandle } from '../api/instruments.js';
import type { Clock } from './clock.js';
import { COUNTER_RULE, GAUGE_INC_RULE, GAUGE_SET_RULE, type SeriesHome } from './series.js';
import { roomFor } from './room.js';
import { SeriesTable, type SeriesBase, type SeriesTableOptions } from './series-table.js';

/** `active` of a row recorded into since the last sweep. */
const TOUCHED_AT = -(2 ** 31);
/** `active` of a row that expires at the next sweep unless recorded into (a reinstated handle). */
const NEVER = TOUCHED_AT + 1;
/** Activity offsets stay within this of `base`; the sweep rebases them past it. */
const SPAN = 2 ** 30;

/** `created` of a row created too far from `createdBase` for 31 bits of milliseconds (~25 days): kept in `far`. */
const FAR = -(2 ** 31);

/** The rows of one table. */
export class ValueColumns {
  values: Float64Array;
  /** Last activity: whole milliseconds after `base` on the family's clock, or TOUCHED_AT / NEVER. */
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

  constructor(capacity: number, withCreated: boolean) {
    this.values = new Float64Array(capacity);
    this.active = new Int32Array(capacity);
    this.created = withCreated ? new Int32Array(capacity) : undefined;
  }

  /** Room for `row` (see roomFor). */
  private fit(row: number): void {
    if (row >= this.rows) this.rows = row + 1;
    if (row < this.values.length) return;
    const size = roomFor(row);
    this.values = widen(this.values, size);
    this.active = widen(this.active, size);
    if (this.created) this.created = widen(this.created, size);
  }

  /** A new series in `row`: zero, created at `createdMs`, active at `nowMs`. */
  open(row: number, createdMs: number, nowMs: number): void {
    this.fit(row);
    this.values[row] = 0;
    this.setCreated(row, createdMs);
    this.setActive(row, nowMs);
  }

  /** Copies row `from` of `source` into `row`. */
  copy(source: ValueColumns, from: number, row: number): void {
    this.fit(row);
    this.values[row] = source.values[from]!;
    const a = source.active[from]!;
    this.active[row] = a === TOUCHED_AT || a === NEVER ? a : this.offset(a + source.base);
    this.setCreated(row, source.createdMs(from));
  }

  /** Row `row` alone in new columns (a handle whose series left its table). */
  detach(row: number): ValueColumns {
    const own = new ValueColumns(1, this.created !== undefined);
    own.base = this.base;
    own.copy(this, row, 0);
    return own;
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

  /** Last activity on the clock, -Infinity for NEVER (TOUCHED_AT reads as TOUCHED_AT: the sweep tests touched() first). */
  activeMs(row: number): number {
    const a = this.active[row]!;
    return a === NEVER ? Number.NEGATIVE_INFINITY : a === TOUCHED_AT ? a : a + this.base;
  }

  setActive(row: number, ms: number): void {
    this.active[row] = ms === Number.NEGATIVE_INFINITY ? NEVER : this.offset(ms);
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
      if (a !== TOUCHED_AT && a !== NEVER) active[r] = Math.max(-SPAN + 1, Math.min(SPAN - 1, a + shift));
    }
    this.base = Number.isFinite(base) ? base : 0;
  }
}

function widen<A extends Float64Array | Int32Array>(array: A, length: number): A {
  const next = new (array.constructor as new (n: number) => A)(length);
  next.set(array);
  return next;
}

/**
 * A series stored in a row: the table's view (repositioned, never kept) or a
 * `labels()` handle. It is its own cell, as native counter series are.
 */
abstract class RowSeries implements SeriesBase {
  /** Handles only: the view is never kept. */
  bound = false;
  /** The label values once the series left its table (undefined while in it: the table has them). */
  private own: readonly string[] | undefined = undefined;
  constructor(
    /** @internal */
    public c: ValueColumns,
    /** @internal */
    public slot: number,
    /** @internal the table (its guard and label values). */
    public home: SeriesHome,
  ) {}

  get cell(): this {
    return this;
  }
  get key(): number | readonly string[] {
    return this.own ?? this.slot;
  }
  set key(key: number | readonly string[]) {
    if (typeof key === 'number') {
      this.slot = key;
      this.own = undefined;
    } else this.own = key;
  }
  get labelValues(): readonly string[] {
    return this.own ?? this.home.valuesAt(this.slot);
  }
  get touched(): boolean {
    return this.c.touched(this.slot);
  }
  set touched(value: boolean) {
    if (value) this.c.active[this.slot] = TOUCHED_AT;
  }
  get activeAtMs(): number {
    return this.c.activeMs(this.slot);
  }
  set activeAtMs(ms: number) {
    this.c.setActive(this.slot, ms);
  }
  get createdMs(): number {
    return this.c.createdMs(this.slot);
  }

  /** Cell side (a value the caller validated). */
  add(value: number): void {
    this.c.values[this.slot]! += value;
  }
  read(): CellReading {
    return { value: this.c.values[this.slot]! };
  }
}

export class RowCounter extends RowSeries implements CounterHandle, CounterCell {
  inc(value = 1): void {
    if (typeof value === 'number' && value >= 0 && value < Infinity) {
      const { c, slot } = this;
      c.values[slot]! += value;
      c.active[slot] = TOUCHED_AT;
    } else this.home.rejectValue(value, COUNTER_RULE, this.labelValues);
  }
}

export class RowGauge extends RowSeries implements GaugeHandle, GaugeCell {
  /** Writes a value the caller validated (the merge port too). */
  assign(value: number): void {
    this.c.values[this.slot] = value;
  }
  set(value: number): void {
    if (Number.isFinite(value)) {
      const { c, slot } = this;
      c.values[slot] = value;
      c.active[slot] = TOUCHED_AT;
    } else this.home.rejectValue(value, GAUGE_SET_RULE, this.labelValues);
  }
  inc(value = 1): void {
    if (Number.isFinite(value)) {
      const { c, slot } = this;
      c.values[slot]! += value;
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

type RowClass = typeof RowCounter | typeof RowGauge;

/**
 * A series table whose series are rows of value columns: no object per
 * series (see the top of this file). Lookups return the table's view.
 */
export class ColumnSeriesTable<S extends SeriesBase> extends SeriesTable<S> {
  private readonly c: ValueColumns;
  private readonly view: RowSeries;
  /** The handles `labels()` gave out, by slot. */
  private readonly handles = new Map<number, RowSeries>();

  constructor(
    options: SeriesTableOptions<S>,
    private readonly row: RowClass,
    private readonly clock: Clock,
  ) {
    const c = new ValueColumns(0, row === RowCounter);
    const view = new row(c, 0, undefined as unknown as SeriesHome);
    super(options, view as unknown as S & { slot: number });
    view.home = this; // the table did not exist before super()
    this.c = c;
    this.view = view;
  }

  protected override at(slot: number): S {
    this.view.slot = slot;
    return this.view as unknown as S;
  }

  protected override move(from: number, to: number): void {
    this.c.copy(this.c, from, to);
    const handle = this.handles.get(from);
    if (handle) {
      this.handles.delete(from);
      this.handles.set(to, handle);
      handle.slot = to;
    }
  }

  /** Slots are renumbered only by compaction: a slot and the compaction count name one series. */
  override keyOf(series: S): unknown {
    return series === (this.view as unknown) ? this.view.slot + this.ix.compactions * 2 ** 32 : series;
  }

  /** The view becomes the series' own handle (one per series, for as long as it stays in the table). */
  override keep(series: S): S {
    if (series !== (this.view as unknown)) return super.keep(series);
    const slot = this.view.slot;
    let handle = this.handles.get(slot);
    if (!handle) {
      handle = new this.row(this.c, slot, this);
      handle.bound = true;
      this.handles.set(slot, handle);
    }
    return handle as unknown as S;
  }

  protected override insert(values: readonly string[]): S {
    if (values.length === 0) return super.insert(values);
    const slot = this.ix.add(this.acquire(values));
    this.c.open(slot, Date.now(), this.clock.now());
    return this.at(slot);
  }

  protected override reinstate(series: S): S {
    const handle = series as unknown as RowSeries;
    const slot = this.ix.add(this.acquire(handle.labelValues));
    this.c.copy(handle.c, handle.slot, slot);
    // Untouched (a labels() call): expires at the next sweep unless used. Touched: that sweep dates it.
    if (!handle.touched) this.c.setActive(slot, Number.NEGATIVE_INFINITY);
    handle.c = this.c;
    handle.key = slot;
    this.handles.set(slot, handle);
    return series;
  }

  protected override delete(series: S, reason: 'removed' | 'expired'): void {
    if (series === (this.view as unknown)) this.drop(this.view.slot);
    else super.delete(series, reason);
  }

  protected override expire(now: number, ttlMs: number): void {
    const { ix, c } = this;
    for (let s = 0; s < ix.end; s++) {
      if (!ix.has(s)) continue;
      if (c.touched(s)) c.setActive(s, now);
      else if (now - c.activeMs(s) >= ttlMs) {
        const handle = this.drop(s);
        if (handle) this.park(handle as unknown as S);
      }
    }
  }

  /** Takes `slot` out of the table; its handle, if any, leaves with a copy of the row and its label values. */
  private drop(slot: number): RowSeries | undefined {
    const handle = this.handles.get(slot);
    const values = this.free(slot);
    if (!handle) return undefined;
    this.handles.delete(slot);
    handle.c = this.c.detach(slot);
    handle.slot = 0;
    handle.key = values;
    return handle;
  }
}

/** What decides whether a family's series can be rows: its type, labels and engine. */
export interface ColumnCandidate {
  readonly descriptor: FamilyDescriptor;
  readonly ctx: { readonly backend: { readonly id: string }; readonly clock: Clock; readonly exemplars?: object };
}

/**
 * The column table of a counter or gauge family whose series would be their
 * own cell anyway (native backend) and carry nothing per series besides
 * (declared labels, no exemplars); undefined for every other family.
 */
export function columnTable<S extends SeriesBase>(family: ColumnCandidate, options: SeriesTableOptions<S>): SeriesTable<S> | undefined {
  const { descriptor: d, ctx } = family;
  if (ctx.backend.id !== 'native' || options.labelNames.length === 0) return undefined;
  if (d.type === 'gauge') return new ColumnSeriesTable(options, RowGauge, ctx.clock);
  if (d.type === 'counter' && !ctx.exemplars) return new ColumnSeriesTable(options, RowCounter, ctx.clock);
  return undefined;
}
