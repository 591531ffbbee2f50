import type { Cell, FamilyDescriptor, MetricsBackend } from '../api/backend.js';
import type { Counter, Gauge, Histogram, LabelValue, Labels, Summary } from '../api/instruments.js';
import type { FamilySnapshot, SeriesSnapshot } from '../api/snapshot.js';
import type { Clock } from './clock.js';
import { MetricsError, describeValue } from './errors.js';
import {
  type AnySeries,
  CounterSeries,
  GaugeSeries,
  HistogramSeries,
  Sampler,
  type SeriesHome,
  SummarySeries,
  type ValueGuard,
} from './series.js';
import { SeriesTable, type SeriesTableOptions } from './series-table.js';
import { features } from './features.js';
import type { ExemplarContext, ExemplarSlots } from './exemplars.js';
import type { ExemplarFeature, NativeHistogramFeature } from './features.js';
import { LabelLayout } from './label-layout.js';
import type { FamilyRenderer } from '../exposition/text.js';
import type { SeriesTextCache } from '../exposition/text-cache.js';

/** The label every overflow series carries instead of the metric's own labels. */
export const OVERFLOW_LABEL = 'omnimeter_overflow';

/**
 * Registration option for families whose attribute keys are not declared up
 * front: OpenTelemetry instruments take any attribute set per call. Such a
 * family keeps one series table per key set (and per fixed pairs, the
 * instrumentation scope), sharing one series limit and one overflow series.
 * Not part of the public API: omnimeter/otel uses it.
 */
export const OPEN_LABELS: unique symbol = Symbol('omnimeter.openLabels');

/** Label pairs every series of an open lookup carries (the bridge's scope labels), with a key naming them. */
export interface FixedLabels {
  readonly key: string;
  readonly pairs: readonly (readonly [string, string])[];
}

/** What families need from the engine that owns them. */
export interface EngineContext {
  readonly backend: MetricsBackend;
  readonly clock: Clock;
  readonly defaultLabels: readonly (readonly [string, string])[];
  readonly maxSeries: number;
  readonly lenient: boolean;
  /** Counts a recording redirected to `metric`'s overflow series. */
  onOverflow(metric: string): void;
  /** Exemplars, when enabled: counters and histograms then record the active span. */
  readonly exemplars?: ExemplarContext & { readonly series: ExemplarFeature };
  /** Native histograms, when the entry installed them (core/features.ts): absent from page bundles. */
  readonly native?: NativeHistogramFeature;
  /** Counts a recording dropped in lenient mode. */
  onDrop(metric: string, reason: 'invalid_value' | 'invalid_labels'): void;
}

type AnyLabels = Readonly<Record<string, LabelValue>>;

/** The exemplars an exemplar series holds (ExemplarCounterSeries, ExemplarHistogramSeries). */
function exemplarsOf(series: object): ExemplarSlots | undefined {
  return (series as { exemplars?: ExemplarSlots }).exemplars;
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const _ in value) return false;
  return true;
}

/**
 * Whether an unlabelled metric's first argument is the labels form
 * (`inc({}, 2)`): a plain object. Anything else there is the value, so
 * null, arrays and boxed numbers reach the value check instead.
 */
export function isLabelsArgument(value: object | null): boolean {
  if (value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * One metric family: its descriptor, its series table and the label
 * plumbing shared by every instrument type.
 */
export abstract class Family<S extends AnySeries> implements ValueGuard {
  readonly table: SeriesTable<S>;
  readonly labelNames: readonly string[];
  /** The series of an unlabelled metric: created eagerly so it is exposed as 0. */
  protected readonly root: S | undefined;
  /**
   * Labelled and strict: inc/set/observe(labels) call the table themselves. resolve() is shared by every
   * family type, so its call of `table.get` is polymorphic; one per method is not (~30% of `inc(labels)`).
   */
  protected readonly direct: boolean;
  private readonly overflowDescriptor: FamilyDescriptor;
  /** Labels of the declared table's series, and of the overflow series. */
  private readonly layout: LabelLayout;
  private readonly overflowLayout: LabelLayout;

  constructor(
    readonly ctx: EngineContext,
    readonly descriptor: FamilyDescriptor,
    labelNames: readonly string[],
    /** Identity used to decide whether a re-registration matches. */
    readonly shape: string,
    /** Histograms and summaries: record 1 in `sampleEvery` observations. */
    readonly sampleEvery = 1,
    /** Attribute sets not declared up front (OPEN_LABELS). */
    readonly open = false,
  ) {
    this.labelNames = labelNames;
    const defaults = ctx.defaultLabels;
    this.overflowDescriptor = { ...descriptor, labelNames: [...defaults.map(([n]) => n), OVERFLOW_LABEL], overflowOf: descriptor };
    const defaultValues = defaults.map(([, v]) => v);
    this.layout = new LabelLayout(defaults, labelNames);
    this.overflowLayout = new LabelLayout([...defaults, [OVERFLOW_LABEL, 'true']], []);
    // Counters, gauges and histograms may keep their series as rows of columns where the entry installed them (core/columns.ts).
    const options: SeriesTableOptions<S> = {
      metric: descriptor.name,
      labelNames,
      maxSeries: ctx.maxSeries,
      create: (values) => this.makeSeries(values, this.makeCell(descriptor, [...defaultValues, ...values]), this.table),
      createOverflow: () => this.makeSeries([], this.makeCell(this.overflowDescriptor, [...defaultValues, 'true'])),
      onOverflow: () => ctx.onOverflow(descriptor.name),
      destroy: (series, reason) => ctx.backend.release(ctx.native ? ctx.native.unwrap(series.cell) : series.cell, reason),
      guard: this,
    };
    this.table = features.columnTable?.(this, options) ?? new SeriesTable<S>(options);
    this.root = labelNames.length === 0 && !open ? this.table.unlabelled() : undefined;
    this.direct = !this.root && !ctx.lenient;
  }

  /** Open families: one table per attribute key set and fixed pairs (filled by core/open-families.ts). */
  readonly openTables = new Map<string, { readonly table: SeriesTable<S>; readonly layout: LabelLayout }>();

  seriesCount(): number {
    let n = this.table.size;
    for (const { table } of this.openTables.values()) n += table.size;
    return n;
  }

  get name(): string {
    return this.descriptor.name;
  }

  get help(): string {
    return this.descriptor.help;
  }

  /** `standalone`: a cell for an existing series (reset), never undefined. Undefined: the series is its own cell. */
  protected abstract makeCell(descriptor: FamilyDescriptor, labelValues: readonly string[], standalone?: boolean): Cell | undefined;
  /**
   * `home`: the table the series goes into, which then keeps its label values.
   * Series outside tables (overflow, discard) are homed at the declared table
   * but keep their values: `valuesAt` is never asked for them.
   */
  protected abstract makeSeries(labelValues: readonly string[], cell: Cell | undefined, home?: SeriesHome): S;

  /**
   * A series over a new cell for `cellValues` (the descriptor's full label
   * values): how open families and merge sources' overflow series are built
   * outside this file, so that bundles without them leave them out.
   */
  seriesFor(descriptor: FamilyDescriptor, cellValues: readonly string[], labelValues: readonly string[], home?: SeriesHome): S {
    return this.makeSeries(labelValues, this.makeCell(descriptor, cellValues), home);
  }

  protected seriesArgs(labelValues: readonly string[], home: SeriesHome = this.table): [readonly string[], number, number, SeriesHome] {
    return [labelValues, Date.now(), this.ctx.clock.now(), home];
  }

  /** The series for `labels`; in lenient mode bad labels yield a discarding series. */
  protected resolve(labels: AnyLabels | undefined): S {
    if (this.root) {
      if (labels === undefined || isEmptyObject(labels)) return this.root;
      if (!this.ctx.lenient) this.badArity();
      this.ctx.onDrop(this.name, 'invalid_labels');
      return this.discard;
    }
    if (!this.ctx.lenient) return this.table.get(labels as AnyLabels);
    try {
      return this.table.get(labels as AnyLabels);
    } catch (error) {
      if (!(error instanceof MetricsError)) throw error;
      this.ctx.onDrop(this.name, 'invalid_labels');
      return this.discard;
    }
  }

  /** A detached series that is never exposed: where lenient mode sends bad recordings. */
  get discard(): S {
    const series = this.makeSeries([], this.makeCell(this.descriptor, []));
    Object.defineProperty(this, 'discard', { value: series });
    return series;
  }

  private badArity(): never {
    throw new MetricsError('INVALID_LABELS', `${this.name}: declares no labels, so pass only the value`);
  }

  labels(labels: Labels<string>): S {
    return this.table.keep(this.resolve(labels));
  }

  /** Overflow series of merge sources with identity labels (a component's), by those labels (filled by merge/overflow.ts). */
  readonly sourceOverflows = new Map<string, { readonly series: S; readonly layout: LabelLayout }>();

  remove(labels: Labels<string>): void {
    this.table.remove(labels);
  }

  reset(): void {
    this.table.clear();
    for (const { table } of this.openTables.values()) table.clear();
    this.openTables.clear();
    for (const { series } of this.sourceOverflows.values()) this.ctx.backend.release(series.cell, 'removed');
    this.sourceOverflows.clear();
    if (this.root) {
      // The unlabelled series stays the same object: handles to it keep working.
      this.root.cell = this.makeCell(
        this.descriptor,
        this.ctx.defaultLabels.map(([, v]) => v),
        true,
      ) as never;
      this.table.adopt(this.root);
    }
  }

  rejectValue(value: unknown, rule: string, labelValues: readonly string[]): void {
    if (this.ctx.lenient) this.ctx.onDrop(this.name, 'invalid_value');
    else throw new MetricsError('INVALID_VALUE', `${this.name}${this.labelText(labelValues)}: ${rule}, got ${describeValue(value)}`);
  }

  /** `{k="v",...}` for an error message; the overflow series has its own label. */
  private labelText(values: readonly string[]): string {
    if (this.labelNames.length === 0) return '';
    if (values.length !== this.labelNames.length) return `{${OVERFLOW_LABEL}="true"}`;
    return `{${this.labelNames.map((n, i) => `${n}=${JSON.stringify(values[i])}`).join(',')}}`;
  }

  /** Reads every series; `nowMs` drives idle expiry when `ttlMs` is set. */
  collect(nowMs: number, ttlMs: number | undefined): FamilySnapshot {
    this.sweep(nowMs, ttlMs);
    const series: SeriesSnapshot[] = [];
    // One chunk of every series, yielded once the walk is over (no read is left open).
    this.chunks(
      Number.POSITIVE_INFINITY,
      (s, layout) => series.push(this.read(s, layout.pairs(s.labelValues))),
      () => series,
    ).next();
    return { ...this.head(), series };
  }

  /** Drops idle series when a TTL is set: the first step of every collection. */
  sweep(nowMs: number, ttlMs: number | undefined): void {
    if (ttlMs === undefined) return;
    this.table.sweep(nowMs, ttlMs);
    for (const { table } of this.openTables.values()) table.sweep(nowMs, ttlMs);
  }

  /** The family's metadata without series: what a renderer needs before the first chunk. */
  head(): FamilySnapshot {
    const d = this.descriptor;
    return {
      name: d.name,
      type: d.type,
      help: d.help,
      unit: d.unit,
      ...(d.additive ? { additive: true } : {}),
      series: [],
      ...(d.buckets ? { buckets: d.buckets } : {}),
      ...(d.native ? { native: d.native } : {}),
      ...(d.quantiles ? { quantiles: d.quantiles } : {}),
    };
  }

  /**
   * The family's samples rendered by `renderer`, `size` series per piece,
   * read when the piece is asked for (a caller that yields to the event loop
   * between pieces never renders a large family in one go). No label pairs
   * nor snapshot objects are built; label text comes from the layout's
   * per-value cache (textAt), and a series whose reading is the one `cache`
   * kept text for is not rendered.
   */
  *renderChunks(renderer: FamilyRenderer, size: number, cache?: SeriesTextCache): Generator<string> {
    let piece = '';
    yield* this.chunks(
      size,
      (series, layout, table) => {
        piece += this.render(renderer, series, layout, table, cache);
      },
      () => {
        const out = piece;
        piece = '';
        return out;
      },
    );
  }

  /**
   * Walks every series in exposition order (each table's, then the overflow
   * series), passing each to `add` with its label layout and table (none for
   * overflow series), and yields `take()` after every `size` series and at
   * the end (the last piece may hold the overflow series beyond `size`).
   * Series and open tables added meanwhile wait for the next walk, removed
   * series are skipped (SeriesTable.all). Tables are walked directly: a
   * generator step per series allocates a result object (~40 B per series
   * and scrape).
   */
  private *chunks<T>(size: number, add: (series: S, layout: LabelLayout, table?: SeriesTable<S>) => void, take: () => T): Generator<T> {
    let n = 0;
    for (const { table, layout } of [{ table: this.table, layout: this.layout }, ...this.openTables.values()]) {
      for (const series of table.all()) {
        add(series, layout, table);
        if (++n >= size) {
          yield take();
          n = 0;
        }
      }
    }
    const overflow = this.table.overflowSeries;
    if (overflow) {
      add(overflow, this.overflowLayout);
      n++;
    }
    for (const { series, layout } of this.sourceOverflows.values()) {
      add(series, layout);
      n++;
    }
    if (n > 0) yield take();
  }

  /** One series' samples: the kept text when `cache` has it for this reading, else rendered. */
  private render(
    renderer: FamilyRenderer,
    series: S,
    layout: LabelLayout,
    table: SeriesTable<S> | undefined,
    cache: SeriesTextCache | undefined,
  ): string {
    const reading = series.cell.read();
    const createdMs = this.descriptor.type !== 'gauge' ? series.createdMs : undefined;
    const exemplars = exemplarsOf(series);
    return (
      cache?.text(renderer, table ? table.keyOf(series) : series, series, reading, createdMs, exemplars, layout, table) ??
      renderer.sample(layout.textOf(series, table), reading, createdMs, exemplars?.read())
    );
  }

  /** A series' reading with `labels` (pairs for collect(), nothing for text exposition). */
  private read<L>(s: S, labels: L): Omit<SeriesSnapshot, 'labels'> & { labels: L } {
    const r = s.cell.read();
    const exemplars = exemplarsOf(s);
    return {
      labels,
      value: r.value,
      count: r.count,
      sum: r.sum,
      bucketCounts: r.bucketCounts,
      quantileValues: r.quantileValues,
      ...(r.native ? { native: r.native } : {}),
      createdMs: this.descriptor.type !== 'gauge' ? s.createdMs : undefined,
      ...(exemplars ? { exemplars: exemplars.read() } : {}),
    };
  }
}

export class CounterFamily<N extends string> extends Family<CounterSeries> implements Counter<N> {
  protected makeCell(d: FamilyDescriptor, values: readonly string[], standalone?: boolean) {
    // A native counter cell is one number: the series holds it itself.
    return standalone || this.ctx.backend.id !== 'native' ? this.ctx.backend.counterCell(d, values) : undefined;
  }
  protected makeSeries(values: readonly string[], cell: Cell | undefined, home?: SeriesHome) {
    const exemplars = this.ctx.exemplars;
    if (exemplars) return new exemplars.series.counter(...this.seriesArgs(values, home), cell as CounterSeries['cell'], exemplars);
    return new CounterSeries(...this.seriesArgs(values, home), cell as CounterSeries['cell']);
  }
  inc(a?: unknown, b?: number): void {
    if (this.root !== undefined && !(typeof a === 'object' && isLabelsArgument(a))) this.root.inc(a as number | undefined);
    else if (this.direct) this.table.get(a as AnyLabels).inc(b);
    else this.resolve(a as AnyLabels).inc(b);
  }
}

export class GaugeFamily<N extends string> extends Family<GaugeSeries> implements Gauge<N> {
  protected makeCell(d: FamilyDescriptor, values: readonly string[], standalone?: boolean) {
    // As for counters: a native gauge cell is one number, which the series holds itself.
    return standalone || this.ctx.backend.id !== 'native' ? this.ctx.backend.gaugeCell(d, values) : undefined;
  }
  protected makeSeries(values: readonly string[], cell: Cell | undefined, home?: SeriesHome) {
    return new GaugeSeries(...this.seriesArgs(values, home), cell as GaugeSeries['cell'] | undefined);
  }
  set(a: unknown, b?: number): void {
    if (this.root !== undefined && !(typeof a === 'object' && isLabelsArgument(a))) this.root.set(a as number);
    else if (this.direct) this.table.get(a as AnyLabels).set(b as number);
    else this.resolve(a as AnyLabels).set(b as number);
  }
  inc(a?: unknown, b?: number): void {
    if (this.root !== undefined && !(typeof a === 'object' && isLabelsArgument(a))) this.root.inc(a as number | undefined);
    else if (this.direct) this.table.get(a as AnyLabels).inc(b);
    else this.resolve(a as AnyLabels).inc(b);
  }
  dec(a?: unknown, b?: number): void {
    if (this.root !== undefined && !(typeof a === 'object' && isLabelsArgument(a))) this.root.dec(a as number | undefined);
    else if (this.direct) this.table.get(a as AnyLabels).dec(b);
    else this.resolve(a as AnyLabels).dec(b);
  }
  setToCurrentTime(labels?: unknown): void {
    this.resolve(labels as AnyLabels | undefined).setToCurrentTime();
  }
}

export class HistogramFamily<N extends string> extends Family<HistogramSeries> implements Histogram<N> {
  protected makeCell(d: FamilyDescriptor, values: readonly string[]) {
    const cell = this.ctx.backend.histogramCell(d, values);
    const native = (d.overflowOf ?? d).native;
    return native ? this.ctx.native!.wrap(cell, native) : cell; // the engine refuses `native` without the feature
  }
  protected makeSeries(values: readonly string[], cell: Cell | undefined, home?: SeriesHome) {
    const sampler = this.sampleEvery > 1 ? new Sampler(this.sampleEvery) : undefined;
    const exemplars = this.ctx.exemplars;
    if (exemplars) {
      const bounds = this.descriptor.buckets ?? [];
      return new exemplars.series.histogram(...this.seriesArgs(values, home), cell as HistogramSeries['cell'], sampler, bounds, exemplars);
    }
    return new HistogramSeries(...this.seriesArgs(values, home), cell as HistogramSeries['cell'], sampler);
  }
  observe(a: unknown, b?: number): void {
    if (this.root !== undefined && !(typeof a === 'object' && isLabelsArgument(a))) this.root.observe(a as number);
    else if (this.direct) this.table.get(a as AnyLabels).observe(b as number);
    else this.resolve(a as AnyLabels).observe(b as number);
  }
}

export class SummaryFamily<N extends string> extends Family<SummarySeries> implements Summary<N> {
  protected makeCell(d: FamilyDescriptor, values: readonly string[]) {
    return this.ctx.backend.summaryCell(d, values);
  }
  protected makeSeries(values: readonly string[], cell: Cell | undefined, home?: SeriesHome) {
    return new SummarySeries(
      ...this.seriesArgs(values, home),
      cell as SummarySeries['cell'],
      this.sampleEvery > 1 ? new Sampler(this.sampleEvery) : undefined,
    );
  }
  observe(a: unknown, b?: number): void {
    if (this.root !== undefined && !(typeof a === 'object' && isLabelsArgument(a))) this.root.observe(a as number);
    else if (this.direct) this.table.get(a as AnyLabels).observe(b as number);
    else this.resolve(a as AnyLabels).observe(b as number);
  }
}

export type AnyFamily = CounterFamily<string> | GaugeFamily<string> | HistogramFamily<string> | SummaryFamily<string>;
