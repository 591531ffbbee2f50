import type { Tracer, TracerProvider } from '@opentelemetry/api';
import type { FamilyDescriptor, MetricsBackend } from '../api/backend.js';
import type { MergePort } from '../api/merge.js';
import type { Counter, Gauge, Histogram, Summary, Timer } from '../api/instruments.js';
import type {
  CounterOptions,
  GaugeOptions,
  HistogramOptions,
  Metrics,
  MetricsOptions,
  MetricOptions,
  SpanContextSource,
  SummaryOptions,
  TimerOptions,
} from '../api/metrics.js';
import type { FamilySnapshot, MetricType } from '../api/snapshot.js';
import { type Clock, coarseClockFor, performanceClock } from './clock.js';
import { MetricsError, describeValue } from './errors.js';
import { type AnyFamily, type EngineContext, CounterFamily, GaugeFamily, HistogramFamily, OPEN_LABELS, SummaryFamily } from './families.js';
import { features, notInBundle } from './features.js';
import { type FamilySource, MergeStore } from './merge/store.js';
import { assertLabelNames, assertMetricName, assertUnit, counterFamilyName } from './names.js';
import { prometheusNaming } from '../exposition/prometheus-names.js';
import { noopCounter, noopGauge, noopHistogram, noopSummary, noopTimer } from './noop.js';
import { LIMITS } from './limits.js';
import { positiveInteger, positiveNumber, resolveOptions, tooMany, validateBuckets, validateQuantiles } from './options.js';
import { Registry } from './registry.js';
import { TimerImpl, timedDecorator } from './timer.js';

/** Self-metrics: how omnimeter itself is doing, exposed next to the user's metrics. */
const SELF = {
  overflow: 'omnimeter_cardinality_overflow',
  dropped: 'omnimeter_dropped_recordings',
  collectErrors: 'omnimeter_collect_errors',
  backendRejected: 'omnimeter_backend_rejected',
} as const;

interface Common {
  name: string;
  help: string;
  labelNames: readonly string[];
  unit: string;
  /** The Prometheus family name, whose samples the registry checks for collisions. */
  exposed: string;
  /** OPEN_LABELS registrations (the OpenTelemetry bridge): attribute sets not declared up front. */
  open: boolean;
  additive: boolean;
}

/**
 * The engine behind `createMetrics`: validates registrations, builds
 * families over the chosen backend and owns the registry. Entry points
 * (`omnimeter`, `omnimeter/node`, ...) choose the default backend.
 */
class Engine implements Metrics, FamilySource {
  readonly enabled = true;
  readonly registry: Registry;
  /** Built on first use by the installed merge store (core/features.ts): hosts only, so pages do not carry it. */
  get merge(): MergePort {
    return (this.mergePort ??= features.mergePort?.(this)) ?? unavailablePort;
  }
  private mergePort: MergePort | undefined;
  private readonly ctx: EngineContext;
  private readonly prefix: string;
  private readonly tracerProvider: TracerProvider | undefined;
  private readonly filter: MetricsOptions['filter'];
  private readonly samplingRate: number;
  private readonly defaultLabelNames: readonly string[];
  private closed = false;
  private readonly overflowCounter: Counter<'metric'> = noopCounter;
  private readonly droppedCounter: Counter<'metric' | 'reason'> = noopCounter;
  private readonly collectErrors: Counter<'metric'> = noopCounter;

  constructor(
    options: ReturnType<typeof resolveOptions>,
    private readonly backend: MetricsBackend,
    private readonly clock: Clock,
    /** Storage only (the engine component): no self-metrics of its own. */
    bare = false,
  ) {
    this.prefix = options.prefix;
    this.tracerProvider = options.tracerProvider;
    this.filter = options.filter;
    this.samplingRate = options.samplingRate;
    this.defaultLabelNames = options.defaultLabels.map(([n]) => n);
    this.ctx = {
      backend,
      clock,
      defaultLabels: options.defaultLabels,
      maxSeries: options.maxSeries,
      lenient: options.lenient,
      onOverflow: (metric) => this.overflowCounter.inc({ metric }),
      onDrop: (metric, reason) => this.droppedCounter.inc({ metric, reason }),
      // Read when a histogram asks: an entry imported after createMetrics (omnimeter/browser/exporters) still counts.
      get native() {
        return features.nativeHistograms;
      },
      ...(options.spanContext ? { exemplars: this.exemplars(options.spanContext, clock) } : {}),
    };
    this.registry = new Registry({
      clock,
      ttlMs: options.ttlMs,
      beforeCollect: () => backend.beforeCollect?.(),
      onCollectError: (metric) => this.collectErrors.inc({ metric }),
    });
    if (bare) return;
    const self = false; // not prefixed
    // Self-metrics bypass the filter: they are never denied or renamed.
    this.overflowCounter = this.counterFamily(
      SELF.overflow,
      {
        help: 'Recordings sent to the overflow series because the metric reached its series limit.',
        labelNames: ['metric'],
      },
      self,
    );
    this.droppedCounter = this.counterFamily(
      SELF.dropped,
      {
        help: 'Recordings dropped in lenient mode because of an invalid value or label set.',
        labelNames: ['metric', 'reason'],
      },
      self,
    );
    this.collectErrors = this.counterFamily(
      SELF.collectErrors,
      {
        help: 'Collect callbacks that threw; the metric kept its previous values.',
        labelNames: ['metric'],
      },
      self,
    );
    if (backend.attach) {
      const refused = this.counterFamily(
        SELF.backendRejected,
        { help: "Recordings and registrations the backend's storage refused, by reason.", labelNames: ['backend', 'reason'] },
        self,
      );
      backend.attach({ rejected: (reason, n) => refused.inc({ backend: backend.id, reason }, n) });
    }
  }

  counter<N extends string = never>(name: string, options: CounterOptions<N>): Counter<N> {
    return this.counterFamily(name, options, true);
  }

  gauge<N extends string = never>(name: string, options: GaugeOptions<N>): Gauge<N> {
    return this.gaugeFamily(name, options, true);
  }

  histogram<N extends string = never>(name: string, options: HistogramOptions<N>): Histogram<N> {
    return this.histogramFamily(name, options, true);
  }

  summary<N extends string = never>(name: string, options: SummaryOptions<N>): Summary<N> {
    return this.summaryFamily(name, options, true);
  }

  /**
   * The merge port's way in (merge/store.ts builds the options from a
   * source's descriptor): a family of `kind` through the facade's validation,
   * prefix and filter. Undefined when the filter denies it.
   */
  familyOf(kind: MetricType, name: string, options: MetricOptions<string>, prefixed: boolean): AnyFamily | undefined {
    const register = this[`${kind}Family`] as (name: string, options: MetricOptions<string>, prefixed: boolean) => unknown;
    const family = register.call(this, name, options, prefixed);
    return family === noopCounter ? undefined : (family as AnyFamily); // the no-ops are one object
  }

  private gaugeFamily<N extends string>(name: string, options: GaugeOptions<N>, prefixed: boolean): Gauge<N> {
    const c = this.common(name, 'gauge', options, prefixed);
    if (!c) return noopGauge;
    if (options.collect !== undefined && typeof options.collect !== 'function') {
      this.fail(c.name, 'collect', 'a function', options.collect);
    }
    const d = this.descriptor(c, 'gauge');
    const shape = this.shape(c);
    return this.registry.register(c.name, c.exposed, 'gauge', shape, () => {
      const family = new GaugeFamily<N>(this.ctx, d, c.labelNames, shape, 1, c.open);
      const collect = options.collect;
      if (collect) this.registry.addCollectHook(c.name, () => collect.call(family, family));
      return family;
    }) as unknown as Gauge<N>;
  }

  private histogramFamily<N extends string>(name: string, options: HistogramOptions<N>, prefixed: boolean): Histogram<N> {
    const c = this.common(name, 'histogram', options, prefixed);
    if (!c) return noopHistogram;
    const every = this.sampleEvery(c.name, options.sampleRate);
    const buckets = validateBuckets(`histogram "${c.name}": buckets`, options.buckets);
    const where = `histogram "${c.name}": native`;
    const native =
      options.native === undefined || options.native === false
        ? undefined
        : (this.ctx.native ?? notInBundle(where, 'omnimeter/browser/exporters')).validate(
            where,
            options.native,
            options.buckets !== undefined,
          );
    const d = this.descriptor(c, 'histogram', native ? { buckets, native } : { buckets });
    const shape = this.shape(c, native ? { buckets, native } : { buckets });
    return this.registry.register(
      c.name,
      c.exposed,
      'histogram',
      shape,
      () => new HistogramFamily<N>(this.ctx, d, c.labelNames, shape, every, c.open),
    ) as unknown as Histogram<N>;
  }

  private summaryFamily<N extends string>(name: string, options: SummaryOptions<N>, prefixed: boolean): Summary<N> {
    const c = this.common(name, 'summary', options, prefixed);
    if (!c) return noopSummary;
    const every = this.sampleEvery(c.name, options.sampleRate);
    const where = `summary "${c.name}"`;
    const window = {
      quantiles: validateQuantiles(`${where}: quantiles`, options.quantiles),
      maxAgeSeconds: positiveNumber(`${where}: maxAgeSeconds`, options.maxAgeSeconds, 600),
      ageBuckets: positiveInteger(`${where}: ageBuckets`, options.ageBuckets, 5, LIMITS.ageBuckets),
    };
    const d = this.descriptor(c, 'summary', window);
    const shape = this.shape(c, window);
    return this.registry.register(
      c.name,
      c.exposed,
      'summary',
      shape,
      () => new SummaryFamily<N>(this.ctx, d, c.labelNames, shape, every),
    ) as unknown as Summary<N>;
  }

  timer<N extends string = never>(name: string, options: TimerOptions<N>): Timer<N> {
    assertMetricName(name);
    if (typeof options !== 'object' || options === null) this.fail(name, 'options', 'an options object with help', options);
    const type = options.type ?? 'histogram';
    if (type !== 'histogram' && type !== 'summary') this.fail(name, 'type', '"histogram" or "summary"', type);
    const unit = options.unit ?? (name.endsWith('_seconds') ? 'seconds' : undefined);
    const { type: _type, span, ...rest } = options;
    if (span !== undefined && typeof span !== 'boolean' && typeof span !== 'string')
      this.fail(name, 'span', 'a boolean or a span name', span);
    const target = type === 'histogram' ? this.histogram<N>(name, { ...rest, unit }) : this.summary<N>(name, { ...rest, unit });
    if ((target as unknown) === noopHistogram || (target as unknown) === noopSummary) return noopTimer; // filtered out
    const spanName = span === true ? name : span || undefined;
    const tracer = spanName ? this.tracer() : undefined;
    return new TimerImpl<N>(
      target as unknown as HistogramFamily<N>,
      this.clock,
      tracer && spanName ? { tracer, name: spanName } : undefined,
    );
  }

  timed(name: string, options: Partial<TimerOptions<never>> = {}) {
    return timedDecorator(() => this.timer(name, { help: `Duration of ${name} calls in seconds.`, ...options }));
  }

  /** omnimeter's tracer from the injected provider (timers with `span`), created on first use. */
  private tracer(): Tracer | undefined {
    return (this.tracerCache ??= this.tracerProvider?.getTracer('omnimeter', '0.1.0'));
  }
  private tracerCache: Tracer | undefined;

  /** Exemplar sampling reads the coarse clock: keep it ticking until shutdown. */
  private exemplars(spanContext: SpanContextSource, clock: Clock): NonNullable<EngineContext['exemplars']> {
    const series = features.exemplars ?? notInBundle('createMetrics: exemplars', 'omnimeter/browser/exporters');
    const coarse = coarseClockFor(clock);
    coarse.retain();
    this.releaseClock = () => coarse.release();
    return { spanContext, clock: coarse, series };
  }
  private releaseClock: (() => void) | undefined;

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.releaseClock?.();
    await this.backend.close?.();
  }

  private counterFamily<N extends string>(name: string, options: CounterOptions<N>, prefixed: boolean): Counter<N> {
    const c = this.common(name, 'counter', options, prefixed);
    if (!c) return noopCounter;
    const d = this.descriptor(c, 'counter');
    const shape = this.shape(c);
    return this.registry.register(
      c.name,
      c.exposed,
      'counter',
      shape,
      () => new CounterFamily<N>(this.ctx, d, c.labelNames, shape, 1, c.open),
    ) as unknown as Counter<N>;
  }

  /** 1-in-N sampling from a rate in (0, 1]. */
  private sampleEvery(metric: string, rate: number | undefined): number {
    const r = rate ?? this.samplingRate;
    if (typeof r !== 'number' || !(r > 0 && r <= 1)) this.fail(metric, 'sampleRate', 'a number in (0, 1]', r);
    return Math.max(1, Math.round(1 / r));
  }

  /**
   * Validation every metric type shares; names the metric in every error.
   * Undefined when the filter denies the metric (it becomes a no-op).
   */
  private common(name: string, type: MetricType, options: MetricOptions<string>, prefixed: boolean): Common | undefined {
    if (this.closed) throw new MetricsError('CLOSED', `cannot register "${name}": metrics were shut down`);
    if (typeof name !== 'string') assertMetricName(name); // names the value instead of failing on name.startsWith
    // The omnimeter_ namespace is omnimeter's own telemetry: never prefixed or filtered.
    const own = name.startsWith('omnimeter_');
    let full = prefixed && !own ? this.prefix + name : name;
    assertMetricName(full);
    if (prefixed && !own && this.filter) {
      const unit = typeof options?.unit === 'string' ? options.unit : undefined; // validated below
      const filtered = this.filter(full, type, unit);
      if (filtered === null) return undefined;
      full = filtered;
      assertMetricName(full);
    }
    if (typeof options !== 'object' || options === null) this.fail(full, 'options', 'an options object with help', options);
    if (typeof options.help !== 'string') this.fail(full, 'help', 'a string', options.help);
    if (options.help.length > LIMITS.helpLength) throw tooMany(`${full}: help`, LIMITS.helpLength, 'characters', options.help.length);
    const family = type === 'counter' ? counterFamilyName(full) : full;
    const labelNames = assertLabelNames(options.labelNames, family, type);
    for (const label of labelNames) {
      if (this.defaultLabelNames.includes(label)) {
        throw new MetricsError('INVALID_LABEL_NAME', `${family}: label "${label}" is already a default label`);
      }
    }
    const unit = assertUnit(options.unit, family);
    const open = (options as { [OPEN_LABELS]?: { additive?: boolean } })[OPEN_LABELS];
    const additive = type === 'gauge' && open?.additive === true;
    return {
      name: family,
      help: options.help,
      labelNames,
      unit,
      exposed: prometheusNaming(family, unit, type, additive).name,
      open: open !== undefined,
      additive,
    };
  }

  private descriptor(c: Common, type: MetricType, extra: Partial<FamilyDescriptor> = {}): FamilyDescriptor {
    return Object.freeze({
      name: c.name,
      type,
      help: c.help,
      unit: c.unit,
      labelNames: Object.freeze([...this.defaultLabelNames, ...c.labelNames]),
      ...(c.additive ? { additive: true } : {}),
      ...extra,
    });
  }

  private shape(c: Common, extra: object = {}): string {
    const open = c.open ? { open: true, additive: c.additive } : {};
    return JSON.stringify({ labelNames: c.labelNames, unit: c.unit, ...open, ...extra });
  }

  private fail(metric: string, option: string, expected: string, got: unknown): never {
    throw new MetricsError('INVALID_OPTIONS', `${metric}: ${option}: expected ${expected}, got ${describeValue(got)}`);
  }
}

/** Metrics that record nothing: what `enabled: false` returns. */
class DisabledMetrics implements Metrics {
  readonly enabled = false;
  readonly registry = {
    collect: async () => [],
    expose: async (format: 'prometheus' | 'openmetrics' = 'prometheus') => (format === 'openmetrics' ? '# EOF\n' : ''),
    async *exposeChunks(format: 'prometheus' | 'openmetrics' = 'prometheus') {
      if (format === 'openmetrics') yield '# EOF\n';
    },
    addCollectHook: () => () => {},
    addResponseHeaders: () => () => {},
    responseHeaders: () => ({}),
    contentType: (format: 'prometheus' | 'openmetrics' = 'prometheus') =>
      format === 'openmetrics' ? 'application/openmetrics-text; version=1.0.0; charset=utf-8' : 'text/plain; version=0.0.4; charset=utf-8',
  };
  counter = () => noopCounter;
  gauge = () => noopGauge;
  histogram = () => noopHistogram;
  summary = () => noopSummary;
  timer = () => noopTimer;
  readonly merge: MergePort = { open: () => closedSession };
  timed() {
    return timedDecorator(() => noopTimer as Timer<never>);
  }
  async shutdown() {}
}

/** The merge port of a bundle without the merge store (omnimeter/browser): opening a source says where it is. */
const unavailablePort: MergePort = { open: () => notInBundle('metrics.merge', 'omnimeter/host') };

/** What a disabled Metrics' merge port hands out: every call refused as closed. */
const closedSession = {
  register: () => 'closed' as const,
  series: () => 'closed' as const,
  overflow: () => 'closed' as const,
  apply: () => 'closed' as const,
  applyCumulative: () => 'closed' as const,
  forget: () => 'closed' as const,
  descriptor: () => undefined,
  metrics: () => [],
  close() {},
};

/**
 * A core that only stores what arrives through its merge port: no facade
 * use, no self-metrics, no prefix or filter. What the engine component runs.
 */
export function createMergeCore(options: { clock: Clock; backend: MetricsBackend }): { merge: MergePort; collect(): FamilySnapshot[] } {
  const engine = new Engine(resolveOptions({ maxSeriesPerMetric: 2 ** 31 }), options.backend, options.clock, true);
  return { merge: new MergeStore(engine), collect: () => engine.registry.collectNow() };
}

/** Builds a Metrics over `options.backend` or, if absent, `defaultBackend()`. */
export function createMetricsWith(options: MetricsOptions, defaultBackend: (clock: Clock) => MetricsBackend): Metrics {
  const resolved = resolveOptions(options);
  if (!resolved.enabled) return new DisabledMetrics();
  const clock = options.clock ?? performanceClock;
  return new Engine(resolved, options.backend ?? defaultBackend(clock), clock);
}
