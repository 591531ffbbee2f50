/**
 * The OpenTelemetry metrics API on omnimeter: `createMeterProvider(metrics)`
 * returns an `@opentelemetry/api` MeterProvider whose instruments record into
 * omnimeter's registry, so third-party code instrumented with OpenTelemetry
 * leaves through omnimeter's exporters.
 *
 * - Instruments become families registered with OPEN_LABELS: OpenTelemetry
 *   attribute sets are not declared up front.
 * - The instrumentation scope becomes `otel_scope_name`/`otel_scope_version`
 *   labels, as the specification's Prometheus rules require; OTLP turns them
 *   back into the scope (exposition/otlp.ts).
 * - Recording never throws into instrumented code: invalid values and
 *   attributes are dropped with a diag warning, as the OpenTelemetry SDK does.
 * - Hot path: each instrument remembers the attribute key sets it has seen
 *   and their compiled lookups (SeriesCache), so `add(1, attrs)` costs a
 *   key-order check and one Map lookup per attribute, for fresh and reused
 *   attribute objects alike.
 */
import type {
  Attributes,
  BatchObservableCallback,
  BatchObservableResult,
  Counter,
  Gauge,
  Histogram,
  Meter,
  MeterOptions,
  MeterProvider,
  MetricOptions,
  Observable,
  ObservableCallback,
  ObservableResult,
  UpDownCounter,
} from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import type { Metrics } from '../api/metrics.js';
import { type FixedLabels, Family, OPEN_LABELS } from '../core/families.js';
import { openLookup, openSeries } from '../core/open-families.js';
import type { CounterSeries, GaugeSeries, HistogramSeries } from '../core/series.js';
import { isUnitWord, ucumUnit } from '../exposition/prometheus-names.js';

/** The OpenTelemetry SDK's default explicit bucket boundaries, used when an instrument gives no advice. */
export const OTEL_DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
]);

export interface MeterProviderOptions {
  /**
   * Add `otel_scope_name`, `otel_scope_version` (and `otel_scope_schema_url`)
   * labels to every series, as the specification's Prometheus exporter rules
   * require by default ("scope_info_enabled"). Default true. Without them,
   * two meters' instruments of the same name share series.
   */
  scopeLabels?: boolean;
}

export interface BridgeMeterProvider extends MeterProvider {
  /** Stops running observable callbacks. The instruments stay registered in omnimeter. */
  shutdown(): void;
}

type Kind = 'counter' | 'updowncounter' | 'histogram' | 'gauge';
type AnySeries = CounterSeries | GaugeSeries | HistogramSeries;
type AnyFamily = Family<AnySeries>;
type Labels = Readonly<Record<string, string | number | boolean>>;

/** A key set this instrument has seen, in the order an attribute object lists them, and its lookup. */
interface Shape<S> {
  readonly keys: readonly string[];
  readonly lookup: (labels: Labels) => S;
}

/** The object's own enumerable keys are exactly `keys`, in that order (what for-in lists for a given object shape). */
function hasKeys(attributes: Attributes, keys: readonly string[]): boolean {
  let i = 0;
  for (const key in attributes) if (key !== keys[i++]) return false;
  return i === keys.length;
}

/** Attribute values as label values; arrays as JSON (the specification's non-OTLP representation); null/undefined dropped. */
function labelsOf(attributes: Attributes): Labels {
  let clean: Record<string, string | number | boolean> | undefined;
  for (const key in attributes) {
    const value = attributes[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') continue;
    clean ??= {};
  }
  if (!clean) return attributes as Labels;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    clean[key] = typeof value === 'object' ? JSON.stringify(value) : (value as string | number | boolean);
  }
  return clean;
}

/** Warns once per instrument and reason, through OpenTelemetry's diag logger. */
function warner(name: string): (reason: string) => void {
  const seen = new Set<string>();
  return (reason) => {
    if (seen.has(reason)) return;
    seen.add(reason);
    diag.warn(`omnimeter/otel: ${name}: ${reason}; dropped`);
  };
}

/** Longest list of key sets an instrument remembers (most recent first). */
const MAX_SHAPES = 8;

/**
 * Resolves series of one instrument (one family, one scope). Hot path: the
 * instrument remembers the key sets it has seen, so an attribute object, new
 * or reused, costs a key-order check and the family's compiled lookup (one
 * Map per key, values as keys): no hashing, no key string, nothing cached per
 * object (so a mutated object is never mistaken for what it was).
 */
class SeriesCache<S extends AnySeries> {
  private shapes: Shape<S>[] = [];
  private root: S | undefined;
  constructor(
    private readonly family: AnyFamily,
    private readonly fixed: FixedLabels,
    readonly warn: (reason: string) => void,
  ) {}

  get(attributes: Attributes | undefined): S | undefined {
    if (attributes === undefined) return (this.root ??= this.resolve(undefined));
    const shapes = this.shapes;
    for (let i = 0; i < shapes.length; i++) {
      const shape = shapes[i]!;
      if (hasKeys(attributes, shape.keys)) {
        try {
          return shape.lookup(attributes as Labels);
        } catch {
          return this.resolve(attributes); // values that need cleaning (arrays, null): the careful path
        }
      }
    }
    return this.miss(attributes);
  }

  private miss(attributes: Attributes): S | undefined {
    if (typeof attributes !== 'object' || attributes === null) {
      this.warn('attributes must be an object');
      return undefined;
    }
    const keys = Object.keys(attributes);
    try {
      const shape = { keys, lookup: openLookup(this.family, this.fixed, keys) as Shape<S>['lookup'] };
      this.shapes = [shape, ...this.shapes.slice(0, MAX_SHAPES - 1)];
    } catch (error) {
      this.warn((error as Error).message);
      return undefined;
    }
    return this.get(attributes);
  }

  private resolve(attributes: Attributes | undefined): S | undefined {
    try {
      return openSeries(this.family, this.fixed, attributes && labelsOf(attributes)) as S;
    } catch (error) {
      this.warn((error as Error).message);
      return undefined;
    }
  }
}

/** A bridge instrument's series for one attribute set, as omnimeter's own `labels()` handles are. */
export interface BoundCounter {
  inc(value: number): void;
}
export interface BoundHistogram {
  observe(value: number): void;
}

/** The series for `attributes`, bound: the idle sweep parks it instead of dropping it, as it does for `labels()` handles. */
function bindSeries<S extends AnySeries>(cache: SeriesCache<S>, attributes: Attributes): S | undefined {
  const series = cache.get(attributes);
  if (series !== undefined) series.bound = true;
  return series;
}

/**
 * For instrumentation that records into the same attribute sets over and
 * over (omnimeter/mcp): the series behind a bridge instrument and an
 * attribute set, to record into without resolving the attributes each time.
 * Undefined for instruments of other providers (the OpenTelemetry SDK has no
 * bound instruments) and for attributes the bridge refuses. The handle
 * checks values as omnimeter's series do (strict instances throw on invalid
 * ones): callers pass values they know are valid.
 */
export function bindCounter(instrument: Counter | UpDownCounter, attributes: Attributes): BoundCounter | undefined {
  return instrument instanceof BridgeCounter || instrument instanceof BridgeUpDownCounter ? instrument.bind(attributes) : undefined;
}

export function bindHistogram(instrument: Histogram, attributes: Attributes): BoundHistogram | undefined {
  return instrument instanceof BridgeHistogram ? instrument.bind(attributes) : undefined;
}

class BridgeCounter implements Counter {
  constructor(private readonly cache: SeriesCache<CounterSeries>) {}
  add(value: number, attributes?: Attributes): void {
    if (typeof value !== 'number' || !(value >= 0 && value < Infinity))
      return this.cache.warn(`counter values must be finite and >= 0, got ${value}`);
    this.cache.get(attributes)?.inc(value);
  }
  bind(attributes: Attributes): CounterSeries | undefined {
    return bindSeries(this.cache, attributes);
  }
}

class BridgeUpDownCounter implements UpDownCounter {
  constructor(private readonly cache: SeriesCache<GaugeSeries>) {}
  add(value: number, attributes?: Attributes): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.cache.warn(`values must be finite numbers, got ${value}`);
    this.cache.get(attributes)?.inc(value);
  }
  bind(attributes: Attributes): GaugeSeries | undefined {
    return bindSeries(this.cache, attributes);
  }
}

class BridgeHistogram implements Histogram {
  constructor(private readonly cache: SeriesCache<HistogramSeries>) {}
  record(value: number, attributes?: Attributes): void {
    // The OpenTelemetry SDK drops negative histogram values too.
    if (typeof value !== 'number' || !(value >= 0 && value < Infinity))
      return this.cache.warn(`histogram values must be finite and >= 0, got ${value}`);
    this.cache.get(attributes)?.observe(value);
  }
  bind(attributes: Attributes): HistogramSeries | undefined {
    return bindSeries(this.cache, attributes);
  }
}

class BridgeGauge implements Gauge {
  constructor(private readonly cache: SeriesCache<GaugeSeries>) {}
  record(value: number, attributes?: Attributes): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.cache.warn(`gauge values must be finite numbers, got ${value}`);
    this.cache.get(attributes)?.set(value);
  }
}

const noop = {
  add() {},
  record() {},
  addCallback() {},
  removeCallback() {},
};

/** An observable instrument: its callbacks run before every collection. */
class BridgeObservable implements Observable {
  readonly callbacks = new Set<ObservableCallback>();
  /** Observable counters report cumulative totals; the counter adds the difference. */
  private readonly last = new WeakMap<CounterSeries, number>();
  constructor(
    readonly kind: 'counter' | 'updowncounter' | 'gauge',
    private readonly cache: SeriesCache<CounterSeries | GaugeSeries>,
  ) {}
  addCallback(callback: ObservableCallback): void {
    this.callbacks.add(callback);
  }
  removeCallback(callback: ObservableCallback): void {
    this.callbacks.delete(callback);
  }
  observe(value: number, attributes?: Attributes): void {
    if (typeof value !== 'number' || !Number.isFinite(value))
      return this.cache.warn(`observed values must be finite numbers, got ${value}`);
    const series = this.cache.get(attributes);
    if (series === undefined) return;
    if (this.kind !== 'counter') return (series as GaugeSeries).set(value);
    const counter = series as CounterSeries;
    const previous = this.last.get(counter) ?? 0;
    // A total that went down was reset at the source: count from its new value on.
    if (value >= previous) counter.inc(value - previous);
    else this.cache.warn(`observable counter went down (${previous} → ${value}); counting from the new total`);
    this.last.set(counter, value);
  }
  result(): ObservableResult {
    return { observe: (value, attributes) => this.observe(value, attributes) };
  }
}

class BridgeMeter implements Meter {
  private readonly fixed: FixedLabels;
  constructor(
    private readonly metrics: Metrics,
    private readonly provider: Provider,
    scope: { name: string; version: string; schemaUrl?: string },
    scopeLabels: boolean,
  ) {
    const pairs: [string, string][] = [];
    if (scopeLabels) {
      pairs.push(['otel_scope_name', scope.name]);
      if (scope.version) pairs.push(['otel_scope_version', scope.version]);
      if (scope.schemaUrl) pairs.push(['otel_scope_schema_url', scope.schemaUrl]);
    }
    this.fixed = { key: pairs.map(([, v]) => v).join('\u0000'), pairs: pairs.map((p) => Object.freeze(p)) };
  }

  /** Registers (or finds) the family for an instrument; undefined when omnimeter refuses it or filters it out. */
  private family(kind: Kind, name: string, options: MetricOptions = {}): SeriesCache<AnySeries> | undefined {
    const warn = warner(name);
    const unit = options.unit && isUnitWord(options.unit) ? ucumUnit(options.unit) : (options.unit ?? '');
    const common = { help: options.description ?? '', unit, labelNames: [] as string[] };
    try {
      let family: unknown;
      if (kind === 'counter') family = this.metrics.counter(name, { ...common, [OPEN_LABELS]: {} } as never);
      else if (kind === 'histogram') {
        const buckets = options.advice?.explicitBucketBoundaries ?? OTEL_DEFAULT_BUCKETS;
        family = this.metrics.histogram(name, { ...common, buckets, [OPEN_LABELS]: {} } as never);
      } else family = this.metrics.gauge(name, { ...common, [OPEN_LABELS]: { additive: kind === 'updowncounter' } } as never);
      return family instanceof Family ? new SeriesCache(family as AnyFamily, this.fixed, warn) : undefined;
    } catch (error) {
      diag.warn(`omnimeter/otel: cannot register instrument "${name}": ${(error as Error).message}; it records nothing`);
      return undefined;
    }
  }

  createCounter(name: string, options?: MetricOptions): Counter {
    const cache = this.family('counter', name, options);
    return cache ? new BridgeCounter(cache as SeriesCache<CounterSeries>) : noop;
  }
  createUpDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    const cache = this.family('updowncounter', name, options);
    return cache ? new BridgeUpDownCounter(cache as SeriesCache<GaugeSeries>) : noop;
  }
  createHistogram(name: string, options?: MetricOptions): Histogram {
    const cache = this.family('histogram', name, options);
    return cache ? new BridgeHistogram(cache as SeriesCache<HistogramSeries>) : noop;
  }
  createGauge(name: string, options?: MetricOptions): Gauge {
    const cache = this.family('gauge', name, options);
    return cache ? new BridgeGauge(cache as SeriesCache<GaugeSeries>) : noop;
  }
  private observable(kind: 'counter' | 'updowncounter' | 'gauge', name: string, options?: MetricOptions): Observable {
    const cache = this.family(kind, name, options);
    if (!cache) return noop;
    const observable = new BridgeObservable(kind, cache as SeriesCache<CounterSeries | GaugeSeries>);
    this.provider.observables.add(observable);
    return observable;
  }
  createObservableCounter(name: string, options?: MetricOptions): Observable {
    return this.observable('counter', name, options);
  }
  createObservableUpDownCounter(name: string, options?: MetricOptions): Observable {
    return this.observable('updowncounter', name, options);
  }
  createObservableGauge(name: string, options?: MetricOptions): Observable {
    return this.observable('gauge', name, options);
  }
  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.provider.batches.set(callback, observables);
  }
  removeBatchObservableCallback(callback: BatchObservableCallback): void {
    this.provider.batches.delete(callback);
  }
}

class Provider implements BridgeMeterProvider {
  readonly observables = new Set<BridgeObservable>();
  readonly batches = new Map<BatchObservableCallback, Observable[]>();
  private readonly meters = new Map<string, BridgeMeter>();
  private readonly removeHook: () => void;

  constructor(
    private readonly metrics: Metrics,
    private readonly options: MeterProviderOptions,
  ) {
    this.removeHook = metrics.registry.addCollectHook('otel_observable_callbacks', () => this.observe());
  }

  getMeter(name: string, version = '', options: MeterOptions = {}): Meter {
    const key = `${name}\u0000${version}\u0000${options.schemaUrl ?? ''}`;
    let meter = this.meters.get(key);
    if (!meter) {
      meter = new BridgeMeter(this.metrics, this, { name, version, schemaUrl: options.schemaUrl }, this.options.scopeLabels ?? true);
      this.meters.set(key, meter);
    }
    return meter;
  }

  /** Runs every observable callback; one that throws or rejects is reported and the others still run. */
  private async observe(): Promise<void> {
    const runs: (void | Promise<void>)[] = [];
    const guard = (run: () => void | Promise<void>) => {
      try {
        runs.push(Promise.resolve(run()).catch((error: unknown) => diag.warn(`omnimeter/otel: observable callback failed: ${error}`)));
      } catch (error) {
        diag.warn(`omnimeter/otel: observable callback failed: ${error}`);
      }
    };
    for (const observable of this.observables) {
      const result = observable.result();
      for (const callback of observable.callbacks) guard(() => callback(result));
    }
    for (const [callback, observables] of this.batches) {
      const batch: BatchObservableResult = {
        observe: (observable, value, attributes) => {
          if (observable instanceof BridgeObservable && observables.includes(observable)) observable.observe(value, attributes);
        },
      };
      guard(() => callback(batch));
    }
    await Promise.all(runs);
  }

  shutdown(): void {
    this.removeHook();
    this.observables.clear();
    this.batches.clear();
  }
}

/**
 * An OpenTelemetry MeterProvider recording into `metrics`. Inject it where
 * instrumented code takes one (`instrumentation.setMeterProvider(provider)`,
 * `createMetrics({ meterProvider })`); omnimeter never sets it globally.
 */
export function createMeterProvider(metrics: Metrics, options: MeterProviderOptions = {}): BridgeMeterProvider {
  return new Provider(metrics, options);
}
