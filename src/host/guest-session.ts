/**
 * The host side of `omnimeter:metrics/recorder` for one component instance.
 * Every guest metric becomes a family in the host's Metrics, its series
 * carrying `component` and `instance` labels on top of the guest's own, so
 * instances merge the way the core merges anything: counters add, histograms
 * add bucket-wise, summaries merge sketch buckets.
 *
 * Nothing a guest sends may throw into it or corrupt another guest's series:
 * every call is validated, limited and, when refused, counted by reason.
 */
import type { Counter, Labels } from '../api/instruments.js';
import type { Metrics } from '../api/metrics.js';
import type { GuestDescriptor, GuestUpdate, Op } from '../api/recorder.js';
import type { MetricType } from '../api/snapshot.js';
import type { CounterSeries, GaugeSeries, HistogramSeries, SummarySeries } from '../core/series.js';

export type { GuestDescriptor, GuestUpdate, Op } from '../api/recorder.js';
type MetricKind = MetricType;

export interface GuestLimits {
  /** Metrics one instance may register. */
  maxMetrics: number;
  /** Series one instance may register. */
  maxSeries: number;
  /** Updates in one apply-batch call; the rest are dropped and counted. */
  maxBatch: number;
  /** Length of any name or label value. */
  maxStringLength: number;
  /** Updates per second one instance may apply (a one-second burst); the rest are dropped and counted. */
  maxUpdatesPerSecond: number;
}

export const DEFAULT_LIMITS: GuestLimits = {
  maxMetrics: 256,
  maxSeries: 10_000,
  maxBatch: 65_536,
  maxStringLength: 1024,
  maxUpdatesPerSecond: 1_000_000,
};

export type RejectReason =
  | 'disabled'
  | 'excluded'
  | 'invalid_metric'
  | 'metric_limit'
  | 'invalid_series'
  | 'series_limit'
  | 'unknown_series'
  | 'invalid_update'
  | 'batch_limit'
  | 'rate_limit'
  | 'unhealthy';

/** What a session needs from its host. */
export interface SessionContext {
  readonly metrics: Metrics;
  readonly component: string;
  readonly instance: string;
  /** Host label names for component and instance; undefined to leave a label out. */
  readonly componentLabel: string | undefined;
  readonly instanceLabel: string | undefined;
  readonly limits: GuestLimits;
  /** Counts refusals; the ingest endpoint maps `component` to its own `source` label. */
  readonly rejected: Pick<Counter<'component' | 'reason'>, 'inc'>;
  /**
   * How a gauge shared by several instances (instance label off) combines:
   * given this session's new value, returns the value to set. Absent: last write wins.
   */
  mergeGauge?(series: object, session: GuestSession, value: number): number;
  /** Milliseconds for the rate limit. Default performance.now (absent inside a component without clocks). */
  now?(): number;
  /** Per-component settings (the `components` section of the configuration). */
  settings?: ComponentSettings;
}

/** What the configuration says about one component. */
export interface ComponentSettings {
  /** false: every registration is refused (counted as "disabled"). */
  enabled?: boolean;
  /** Extra constant labels on the component's series. */
  labels?: Readonly<Record<string, string>>;
  /** Only metric names matching one of these (`*` wildcards); empty: all. */
  include?: readonly string[];
  /** Never these metric names. */
  exclude?: readonly string[];
  /** Sampling rate of the component's histograms and summaries. */
  samplingRate?: number;
}

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

interface RegisteredMetric {
  kind: MetricKind;
  labelNames: readonly string[];
  family: { labels(labels: Labels<string>): unknown };
}

type AnySeries = CounterSeries | GaugeSeries | HistogramSeries | SummarySeries;

interface RegisteredSeries {
  kind: MetricKind;
  handle: AnySeries;
  family: RegisteredMetric['family'] & { remove(labels: Labels<string>): void };
  labels: Record<string, string>;
}

const KINDS: readonly MetricKind[] = ['counter', 'gauge', 'histogram', 'summary'];

export class GuestSession {
  private readonly metricsById: RegisteredMetric[] = [];
  private readonly seriesById: (RegisteredSeries | undefined)[] = [];
  /** apply-named's registrations, so repeated calls reuse them. */
  private readonly named = new Map<string, number>();
  /** Recorder operations applied since the last `takeOps()` (per invocation). */
  private ops = 0;
  /** Token bucket for maxUpdatesPerSecond. */
  private tokens: number;
  private refilledAt: number | undefined;
  /** This session's own value of each gauge, for merge policies. */
  private readonly gaugeValues = new Map<object, number>();
  healthy = true;

  constructor(private readonly ctx: SessionContext) {
    this.tokens = ctx.limits.maxUpdatesPerSecond;
  }

  /** Takes up to `n` tokens; returns how many updates may go through. */
  private allow(n: number): number {
    const rate = this.ctx.limits.maxUpdatesPerSecond;
    if (rate === Infinity) return n;
    const now = this.ctx.now ? this.ctx.now() : performance.now();
    this.tokens = Math.min(rate, this.tokens + ((now - (this.refilledAt ?? now)) / 1000) * rate);
    this.refilledAt = now;
    const allowed = Math.min(n, Math.floor(this.tokens));
    this.tokens -= allowed;
    if (allowed < n) this.reject('rate_limit', n - allowed);
    return allowed;
  }

  private setGauge(h: GaugeSeries, value: number): void {
    const merge = this.ctx.mergeGauge;
    if (!merge) return h.set(value);
    this.gaugeValues.set(h, value);
    h.set(merge(h, this, value));
  }

  private reject(reason: RejectReason, n = 1): 0 {
    this.ctx.rejected.inc({ component: this.ctx.component, reason }, n);
    return 0;
  }

  /** Operations recorded since the previous call. */
  takeOps(): number {
    const n = this.ops;
    this.ops = 0;
    return n;
  }

  private hostLabels(): Record<string, string> {
    const labels: Record<string, string> = { ...this.ctx.settings?.labels };
    if (this.ctx.componentLabel) labels[this.ctx.componentLabel] = this.ctx.component;
    if (this.ctx.instanceLabel) labels[this.ctx.instanceLabel] = this.ctx.instance;
    return labels;
  }

  registerMetric(desc: GuestDescriptor): number {
    if (!this.healthy) return this.reject('unhealthy');
    if (this.metricsById.length >= this.ctx.limits.maxMetrics) return this.reject('metric_limit');
    const settings = this.ctx.settings;
    if (settings?.enabled === false) return this.reject('disabled');
    if (typeof desc?.name === 'string' && settings && !this.selected(desc.name, settings)) return this.reject('excluded');
    try {
      const max = this.ctx.limits.maxStringLength;
      if (typeof desc?.name !== 'string' || desc.name.length > max || desc.help.length > max || !KINDS.includes(desc.kind))
        return this.reject('invalid_metric');
      const own = Object.keys(this.hostLabels());
      if (desc.labelNames.some((l) => own.includes(l) || l.length > max)) return this.reject('invalid_metric');
      const plain = { help: desc.help, unit: desc.unit || undefined, labelNames: [...own, ...desc.labelNames] };
      const options = { ...plain, sampleRate: settings?.samplingRate }; // sampling: histograms and summaries only
      const m = this.ctx.metrics;
      let family: RegisteredMetric['family'];
      switch (desc.kind) {
        case 'counter':
          family = m.counter(desc.name, plain) as never;
          break;
        case 'gauge':
          family = m.gauge(desc.name, plain) as never;
          break;
        case 'histogram':
          family = m.histogram(desc.name, { ...options, buckets: desc.buckets.length ? Array.from(desc.buckets) : undefined }) as never;
          break;
        case 'summary':
          family = m.summary(desc.name, {
            ...options,
            quantiles: desc.quantiles.length ? Array.from(desc.quantiles) : undefined,
            maxAgeSeconds: desc.maxAgeSeconds || undefined,
            ageBuckets: desc.ageBuckets || undefined,
          }) as never;
          break;
      }
      this.metricsById.push({ kind: desc.kind, labelNames: desc.labelNames, family });
      return this.metricsById.length;
    } catch {
      // Invalid names or labels, or a shape that conflicts with one already registered.
      return this.reject('invalid_metric');
    }
  }

  private patterns: { include: RegExp[]; exclude: RegExp[] } | undefined;

  /** Include/exclude patterns of the component's settings, compiled once. */
  private selected(name: string, settings: ComponentSettings): boolean {
    this.patterns ??= { include: (settings.include ?? []).map(glob), exclude: (settings.exclude ?? []).map(glob) };
    const { include, exclude } = this.patterns;
    return (include.length === 0 || include.some((r) => r.test(name))) && !exclude.some((r) => r.test(name));
  }

  registerSeries(metricId: number, labelValues: string[]): number {
    if (!this.healthy) return this.reject('unhealthy');
    const metric = this.metricsById[metricId - 1];
    if (!metric || labelValues.length !== metric.labelNames.length) return this.reject('invalid_series');
    if (labelValues.some((v) => v.length > this.ctx.limits.maxStringLength)) return this.reject('invalid_series');
    if (this.seriesById.length >= this.ctx.limits.maxSeries) return this.reject('series_limit');
    try {
      const labels = this.hostLabels();
      metric.labelNames.forEach((name, i) => (labels[name] = labelValues[i]!));
      const handle = metric.family.labels(labels) as AnySeries;
      this.seriesById.push({ kind: metric.kind, handle, family: metric.family as RegisteredSeries['family'], labels });
      return this.seriesById.length;
    } catch {
      return this.reject('invalid_series');
    }
  }

  /** Applies one update; returns false (and counts why) when refused. */
  private applyOne(seriesId: number, op: Op, index: number, value: number): boolean {
    const s = this.seriesById[seriesId - 1];
    if (!s) return (this.reject('unknown_series'), false);
    if (op === 'forget') {
      s.family.remove(s.labels);
      this.seriesById[seriesId - 1] = undefined;
      return true;
    }
    try {
      const h = s.handle;
      switch (`${s.kind}:${op}`) {
        case 'counter:add':
          (h as CounterSeries).inc(value);
          break;
        case 'gauge:add':
          if (!Number.isFinite(value)) throw new RangeError('not finite');
          if (this.ctx.mergeGauge) this.setGauge(h as GaugeSeries, (this.gaugeValues.get(h) ?? 0) + value);
          else (h as GaugeSeries).inc(value);
          break;
        case 'gauge:set':
          this.setGauge(h as GaugeSeries, value);
          break;
        case 'histogram:observe':
        case 'summary:observe':
          (h as HistogramSeries).observe(value);
          break;
        case 'histogram:bucket':
          (h as HistogramSeries).mergeBucket(index, value);
          break;
        case 'summary:sketch':
          (h as SummarySeries).mergeSketchBucket(index, value);
          break;
        case 'histogram:sum':
        case 'summary:sum':
          (h as HistogramSeries).mergeSum(value);
          break;
        default:
          return (this.reject('invalid_update'), false);
      }
      this.ops++;
      return true;
    } catch {
      // The core refused the value (negative counter increment, NaN, ...).
      return (this.reject('invalid_update'), false);
    }
  }

  apply(series: number, op: Op, index: number, value: number): void {
    if (!this.healthy) return void this.reject('unhealthy');
    if (this.allow(1) === 1) this.applyOne(series, op, index, value);
  }

  applyBatch(updates: readonly GuestUpdate[]): void {
    if (!this.healthy) return void this.reject('unhealthy');
    const inBatch = Math.min(updates.length, this.ctx.limits.maxBatch);
    if (updates.length > inBatch) this.reject('batch_limit', updates.length - inBatch);
    const n = this.allow(inBatch);
    for (let i = 0; i < n; i++) {
      const u = updates[i]!;
      this.applyOne(u.series, u.op, u.index, u.value);
    }
  }

  applyNamed(name: string, labels: readonly { name: string; value: string }[], op: Op, value: number): void {
    if (!this.healthy) return void this.reject('unhealthy');
    // The rare-event path: find or register the series by name, then apply.
    const kind: MetricKind = op === 'set' ? 'gauge' : op === 'observe' ? 'histogram' : 'counter';
    const metricKey = `${kind}\u0000${name}\u0000${labels.map((l) => l.name).join('\u0001')}`;
    let metric = this.named.get(metricKey);
    if (metric === undefined) {
      metric = this.registerMetric({ name, help: name, unit: '', kind, labelNames: labels.map((l) => l.name), buckets: [], quantiles: [] });
      this.named.set(metricKey, metric);
    }
    if (metric === 0) return;
    const seriesKey = `${metric}\u0000${labels.map((l) => l.value).join('\u0001')}`;
    let series = this.named.get(seriesKey);
    if (series === undefined) {
      series = this.registerSeries(
        metric,
        labels.map((l) => l.value),
      );
      this.named.set(seriesKey, series);
    }
    if (series !== 0) this.applyOne(series, op, 0, value);
  }

  /** The `omnimeter:metrics/recorder` import object, with jco's camelCase names. */
  imports(): Record<string, (...args: never[]) => unknown> {
    return {
      registerMetric: (desc: GuestDescriptor) => this.registerMetric(desc),
      registerSeries: (metric: number, values: string[]) => this.registerSeries(metric, values),
      apply: (series: number, op: Op, index: number, value: number) => this.apply(series, op, index, value),
      applyBatch: (updates: GuestUpdate[]) => this.applyBatch(updates),
      applyNamed: (name: string, labels: { name: string; value: string }[], op: Op, value: number) =>
        this.applyNamed(name, labels, op, value),
      now: () => performance.now() / 1000,
    };
  }
}
