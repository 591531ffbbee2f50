/**
 * The host side of `omnimeter:metrics/recorder` for one component instance:
 * the WIT's numbers on one side, a session of the core's merge port on the
 * other. Every guest series carries `component` and `component_instance`
 * labels (configurable) before the guest's own, so instances merge the way
 * the port merges any source: counters add, histograms add bucket-wise,
 * summaries merge sketch buckets, gauges follow the declared policy.
 *
 * Nothing a guest sends may throw into it or corrupt another guest's series:
 * every call is validated and limited here (per-instance limits, settings)
 * and in the port (names, kinds, values), and what is refused is counted by
 * reason.
 */
import type { Counter } from '../api/instruments.js';
import type { CumulativeReading, GaugePolicy, MergeDescriptor, MergePort, MergeRefusal, MergeSession } from '../api/merge.js';
import type { GuestDescriptor, GuestUpdate, Op } from '../api/recorder.js';
import type { MetricType } from '../api/snapshot.js';
import { counterFamilyName } from '../core/names.js';
import { type MetricNameMatcher, metricNameMatcher } from '../exposition/name-patterns.js';

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
  | MergeRefusal
  | 'disabled'
  | 'excluded'
  | 'metric_limit'
  | 'series_limit'
  | 'batch_limit'
  | 'rate_limit'
  | 'unhealthy';

/** What a session needs from its host. */
export interface SessionContext {
  /** The core the guest's metrics merge into: a Metrics, or anything with its merge port. */
  readonly metrics: { readonly merge: MergePort };
  readonly component: string;
  readonly instance: string;
  /** Host label names for component and instance; undefined to leave a label out. */
  readonly componentLabel: string | undefined;
  readonly instanceLabel: string | undefined;
  readonly limits: GuestLimits;
  /** Counts refusals; the ingest endpoint maps `component` to its own `source` label. */
  readonly rejected: Pick<Counter<'component' | 'reason'>, 'inc'>;
  /** How a gauge shared by several instances (instance label off) combines. Default "last". */
  readonly gaugePolicy?: GaugePolicy;
  /** The core's own storage (the engine component): may use the omnimeter_ namespace, no prefix or filter. */
  readonly trusted?: boolean;
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

/** The identity of a descriptor: registering it again gives the same id. */
function descriptorKey(d: GuestDescriptor): string {
  const name = d.kind === 'counter' ? counterFamilyName(d.name) : d.name;
  return [
    d.kind,
    name,
    d.unit,
    d.labelNames.join(','),
    Array.from(d.buckets).join(','),
    Array.from(d.quantiles).join(','),
    d.maxAgeSeconds ?? 0,
    d.ageBuckets ?? 0,
  ].join('\u0000');
}

const KINDS: readonly MetricKind[] = ['counter', 'gauge', 'histogram', 'summary'];

export class GuestSession {
  private readonly port: MergeSession;
  /** Metric ids by descriptor, so re-registration neither burns a slot nor reaches the port. */
  private readonly metricIds = new Map<string, number>();
  /** Series ids by metric and label values, and back: forget frees the key. */
  private readonly seriesIds = new Map<string, number>();
  private readonly seriesKeys = new Map<number, string>();
  /** apply-named's registrations, so repeated calls reuse them. */
  private readonly named = new Map<string, number>();
  /** Recorder operations applied since the last `takeOps()` (per invocation). */
  private ops = 0;
  /** Token bucket for maxUpdatesPerSecond. */
  private tokens: number;
  private refilledAt: number | undefined;
  healthy = true;

  constructor(private readonly ctx: SessionContext) {
    this.tokens = ctx.limits.maxUpdatesPerSecond;
    const labels: [string, string][] = [];
    if (ctx.componentLabel) labels.push([ctx.componentLabel, ctx.component]);
    if (ctx.instanceLabel) labels.push([ctx.instanceLabel, ctx.instance]);
    for (const [name, value] of Object.entries(ctx.settings?.labels ?? {})) labels.push([name, value]);
    this.port = ctx.metrics.merge.open({
      labels,
      gaugePolicy: ctx.gaugePolicy,
      sampleRate: ctx.settings?.samplingRate,
      trusted: ctx.trusted,
    });
  }

  /** Ends the session (the instance is gone): its ids are released, its data stays. */
  close(): void {
    this.healthy = false;
    this.port.close();
  }

  /** The port session, for readers of what this guest registered (the engine's collector). */
  get merge(): MergeSession {
    return this.port;
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

  registerMetric(desc: GuestDescriptor): number {
    if (!this.healthy) return this.reject('unhealthy');
    const settings = this.ctx.settings;
    if (settings?.enabled === false) return this.reject('disabled');
    let key: string;
    try {
      const max = this.ctx.limits.maxStringLength;
      if (desc.name.length > max || desc.help.length > max || !KINDS.includes(desc.kind) || desc.labelNames.some((l) => l.length > max))
        return this.reject('invalid_metric');
      key = descriptorKey(desc);
    } catch {
      return this.reject('invalid_metric'); // not shaped like a descriptor at all
    }
    if (settings && typeof desc.name === 'string' && !this.selected(desc, settings)) return this.reject('excluded');
    const known = this.metricIds.get(key);
    if (known !== undefined) return known;
    if (this.metricIds.size >= this.ctx.limits.maxMetrics) return this.reject('metric_limit');
    const id = this.port.register(desc as MergeDescriptor);
    if (typeof id !== 'number') return this.reject(id);
    this.metricIds.set(key, id);
    return id;
  }

  private patterns: { include: MetricNameMatcher[]; exclude: MetricNameMatcher[] } | undefined;

  /** Include/exclude patterns of the component's settings, compiled once; matched as config filters match. */
  private selected(desc: GuestDescriptor, settings: ComponentSettings): boolean {
    this.patterns ??= {
      include: (settings.include ?? []).map(metricNameMatcher),
      exclude: (settings.exclude ?? []).map(metricNameMatcher),
    };
    const { include, exclude } = this.patterns;
    const unit = typeof desc.unit === 'string' ? desc.unit : '';
    const matches = (m: MetricNameMatcher) => m(desc.name, desc.kind, unit);
    return (include.length === 0 || include.some(matches)) && !exclude.some(matches);
  }

  registerSeries(metricId: number, labelValues: string[]): number {
    if (!this.healthy) return this.reject('unhealthy');
    if (!Array.isArray(labelValues) || labelValues.some((v) => typeof v !== 'string' || v.length > this.ctx.limits.maxStringLength))
      return this.reject('invalid_series');
    const key = `${metricId}\u0000${labelValues.join('\u0001')}`;
    const known = this.seriesIds.get(key);
    if (known !== undefined) return known;
    if (this.seriesIds.size >= this.ctx.limits.maxSeries) return this.reject('series_limit');
    let id = this.port.series(metricId, labelValues);
    // The contract names a labelled metric's overflow series with an empty list.
    if (id === 'invalid_series' && labelValues.length === 0 && this.port.descriptor(metricId)) id = this.port.overflow(metricId);
    if (typeof id !== 'number') return this.reject(id);
    this.seriesIds.set(key, id);
    this.seriesKeys.set(id, key);
    return id;
  }

  /** Applies one update; returns false (and counts why) when refused. */
  private applyOne(seriesId: number, op: Op, index: number, value: number): boolean {
    const refused = op === 'forget' ? this.forget(seriesId) : this.port.apply(seriesId, op, index, value);
    if (refused !== undefined) return (this.reject(refused), false);
    this.ops++;
    return true;
  }

  private forget(seriesId: number): MergeRefusal | undefined {
    const refused = this.port.forget(seriesId);
    const key = this.seriesKeys.get(seriesId);
    if (key !== undefined) {
      this.seriesKeys.delete(seriesId);
      this.seriesIds.delete(key);
    }
    return refused;
  }

  /** Counts a refusal made by a protocol adapter (wasi:otel) under this session's component. */
  refuse(reason: RejectReason, n = 1): 0 {
    return this.reject(reason, n);
  }

  /** One update from a protocol adapter, checked as apply() checks it; false if refused (and counted). */
  update(series: number, op: Op, index: number, value: number): boolean {
    if (!this.healthy) return (this.reject('unhealthy'), false);
    return this.allow(1) === 1 && this.applyOne(series, op, index, value);
  }

  /** A cumulative reading of a series (wasi:otel's cumulative temporality): the port applies its difference from the last one. */
  applyCumulative(series: number, reading: CumulativeReading): boolean {
    if (!this.healthy) return (this.reject('unhealthy'), false);
    if (this.allow(1) !== 1) return false;
    const refused = this.port.applyCumulative(series, reading);
    if (refused !== undefined) return (this.reject(refused), false);
    this.ops++;
    return true;
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
