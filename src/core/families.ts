import type { Cell, FamilyDescriptor, MetricsBackend } from '../api/backend.js';
import type { Counter, Gauge, Histogram, LabelValue, Labels, Summary } from '../api/instruments.js';
import type { FamilySnapshot, SeriesSnapshot } from '../api/snapshot.js';
import type { Clock } from './clock.js';
import { MetricsError, describeValue } from './errors.js';
import { type AnySeries, CounterSeries, GaugeSeries, HistogramSeries, Sampler, SummarySeries, type ValueGuard } from './series.js';
import { SeriesTable } from './series-table.js';

/** The label every overflow series carries instead of the metric's own labels. */
export const OVERFLOW_LABEL = 'omnimeter_overflow';

/** What families need from the engine that owns them. */
export interface EngineContext {
  readonly backend: MetricsBackend;
  readonly clock: Clock;
  readonly defaultLabels: readonly (readonly [string, string])[];
  readonly maxSeries: number;
  readonly lenient: boolean;
  /** Counts a recording redirected to `metric`'s overflow series. */
  onOverflow(metric: string): void;
  /** Counts a recording dropped in lenient mode. */
  onDrop(metric: string, reason: 'invalid_value' | 'invalid_labels'): void;
}

type AnyLabels = Readonly<Record<string, LabelValue>>;

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
  private readonly overflowDescriptor: FamilyDescriptor;

  constructor(
    protected readonly ctx: EngineContext,
    readonly descriptor: FamilyDescriptor,
    labelNames: readonly string[],
    /** Identity used to decide whether a re-registration matches. */
    readonly shape: string,
    /** Histograms and summaries: record 1 in `sampleEvery` observations. */
    protected readonly sampleEvery = 1,
  ) {
    this.labelNames = labelNames;
    const defaults = ctx.defaultLabels;
    this.overflowDescriptor = { ...descriptor, labelNames: [...defaults.map(([n]) => n), OVERFLOW_LABEL] };
    const defaultValues = defaults.map(([, v]) => v);
    this.table = new SeriesTable<S>({
      metric: descriptor.name,
      labelNames,
      maxSeries: ctx.maxSeries,
      create: (values) => this.makeSeries(values, this.makeCell(descriptor, [...defaultValues, ...values])),
      createOverflow: () => this.makeSeries([], this.makeCell(this.overflowDescriptor, [...defaultValues, 'true'])),
      onOverflow: () => ctx.onOverflow(descriptor.name),
      destroy: (series, reason) => ctx.backend.release(series.cell, reason),
    });
    this.root = labelNames.length === 0 ? this.table.unlabelled() : undefined;
  }

  get name(): string {
    return this.descriptor.name;
  }

  get help(): string {
    return this.descriptor.help;
  }

  protected abstract makeCell(descriptor: FamilyDescriptor, labelValues: readonly string[]): Cell;
  protected abstract makeSeries(labelValues: readonly string[], cell: Cell): S;

  protected seriesArgs(labelValues: readonly string[]): [readonly string[], number, number, ValueGuard] {
    return [labelValues, Date.now(), this.ctx.clock.now(), this];
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
  private get discard(): S {
    const series = this.makeSeries([], this.makeCell(this.descriptor, []));
    Object.defineProperty(this, 'discard', { value: series });
    return series;
  }

  private badArity(): never {
    throw new MetricsError('INVALID_LABELS', `${this.name}: declares no labels, so pass only the value`);
  }

  labels(labels: Labels<string>): S {
    const series = this.resolve(labels);
    series.bound = true;
    return series;
  }

  remove(labels: Labels<string>): void {
    this.table.remove(labels);
  }

  reset(): void {
    this.table.clear();
    if (this.root) {
      // The unlabelled series stays the same object: handles to it keep working.
      this.root.cell = this.makeCell(
        this.descriptor,
        this.ctx.defaultLabels.map(([, v]) => v),
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
    if (ttlMs !== undefined) this.table.sweep(nowMs, ttlMs);
    const withCreated = this.descriptor.type !== 'gauge';
    const series: SeriesSnapshot[] = [];
    const read = (s: S) => {
      const r = s.cell.read();
      series.push({
        labels: this.labelPairs(s),
        value: r.value,
        count: r.count,
        sum: r.sum,
        bucketCounts: r.bucketCounts,
        quantileValues: r.quantileValues,
        createdMs: withCreated ? s.createdMs : undefined,
      });
    };
    for (const s of this.table.all) read(s);
    const overflow = this.table.overflowSeries;
    if (overflow) read(overflow); // reported last
    const d = this.descriptor;
    return {
      name: d.name,
      type: d.type,
      help: d.help,
      unit: d.unit,
      series,
      ...(d.buckets ? { buckets: d.buckets } : {}),
      ...(d.quantiles ? { quantiles: d.quantiles } : {}),
    };
  }

  /**
   * A series' label pairs, built once: the same frozen array every
   * collection, which lets exposition cache the rendered text by identity.
   */
  private labelPairs(s: S): SeriesSnapshot['labels'] {
    if (s.labelPairs) return s.labelPairs;
    const defaults = this.ctx.defaultLabels;
    const isOverflow = s.labelValues.length !== this.labelNames.length;
    const pairs = isOverflow
      ? [...defaults, [OVERFLOW_LABEL, 'true'] as const]
      : [...defaults, ...this.labelNames.map((n, i) => Object.freeze([n, s.labelValues[i]!] as const))];
    return (s.labelPairs = Object.freeze(pairs));
  }
}

export class CounterFamily<N extends string> extends Family<CounterSeries> implements Counter<N> {
  protected makeCell(d: FamilyDescriptor, values: readonly string[]) {
    return this.ctx.backend.counterCell(d, values);
  }
  protected makeSeries(values: readonly string[], cell: Cell) {
    return new CounterSeries(...this.seriesArgs(values), cell as CounterSeries['cell']);
  }
  inc(a?: unknown, b?: number): void {
    if (this.root === undefined || (typeof a === 'object' && isLabelsArgument(a))) this.resolve(a as AnyLabels).inc(b);
    else this.root.inc(a as number | undefined);
  }
  override labels(labels: Labels<N>): CounterSeries {
    return super.labels(labels);
  }
}

export class GaugeFamily<N extends string> extends Family<GaugeSeries> implements Gauge<N> {
  protected makeCell(d: FamilyDescriptor, values: readonly string[]) {
    return this.ctx.backend.gaugeCell(d, values);
  }
  protected makeSeries(values: readonly string[], cell: Cell) {
    return new GaugeSeries(...this.seriesArgs(values), cell as GaugeSeries['cell']);
  }
  set(a: unknown, b?: number): void {
    if (this.root === undefined || (typeof a === 'object' && isLabelsArgument(a))) this.resolve(a as AnyLabels).set(b as number);
    else this.root.set(a as number);
  }
  inc(a?: unknown, b?: number): void {
    if (this.root === undefined || (typeof a === 'object' && isLabelsArgument(a))) this.resolve(a as AnyLabels).inc(b);
    else this.root.inc(a as number | undefined);
  }
  dec(a?: unknown, b?: number): void {
    if (this.root === undefined || (typeof a === 'object' && isLabelsArgument(a))) this.resolve(a as AnyLabels).dec(b);
    else this.root.dec(a as number | undefined);
  }
  setToCurrentTime(labels?: unknown): void {
    this.resolve(labels as AnyLabels | undefined).setToCurrentTime();
  }
  override labels(labels: Labels<N>): GaugeSeries {
    return super.labels(labels);
  }
}

export class HistogramFamily<N extends string> extends Family<HistogramSeries> implements Histogram<N> {
  protected makeCell(d: FamilyDescriptor, values: readonly string[]) {
    return this.ctx.backend.histogramCell(d, values);
  }
  protected makeSeries(values: readonly string[], cell: Cell) {
    return new HistogramSeries(
      ...this.seriesArgs(values),
      cell as HistogramSeries['cell'],
      this.sampleEvery > 1 ? new Sampler(this.sampleEvery) : undefined,
    );
  }
  observe(a: unknown, b?: number): void {
    if (this.root === undefined || (typeof a === 'object' && isLabelsArgument(a))) this.resolve(a as AnyLabels).observe(b as number);
    else this.root.observe(a as number);
  }
  override labels(labels: Labels<N>): HistogramSeries {
    return super.labels(labels);
  }
}

export class SummaryFamily<N extends string> extends Family<SummarySeries> implements Summary<N> {
  protected makeCell(d: FamilyDescriptor, values: readonly string[]) {
    return this.ctx.backend.summaryCell(d, values);
  }
  protected makeSeries(values: readonly string[], cell: Cell) {
    return new SummarySeries(
      ...this.seriesArgs(values),
      cell as SummarySeries['cell'],
      this.sampleEvery > 1 ? new Sampler(this.sampleEvery) : undefined,
    );
  }
  observe(a: unknown, b?: number): void {
    if (this.root === undefined || (typeof a === 'object' && isLabelsArgument(a))) this.resolve(a as AnyLabels).observe(b as number);
    else this.root.observe(a as number);
  }
  override labels(labels: Labels<N>): SummarySeries {
    return super.labels(labels);
  }
}

export type AnyFamily = CounterFamily<string> | GaugeFamily<string> | HistogramFamily<string> | SummaryFamily<string>;
