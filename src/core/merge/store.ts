/**
 * The merge port's implementation over the core's families: a session per
 * source maps the source's numbers (metric and series ids) to families and
 * series, and each update goes to the merge module of its kind. Only this
 * file knows how series are stored; callers see ids.
 */
import type {
  CumulativeReading,
  GaugePolicy,
  MergeDescriptor,
  MergeOp,
  MergePort,
  MergeRefusal,
  MergeResult,
  MergeSession,
  MergeSourceOptions,
} from '../../api/merge.js';
import type { MetricOptions } from '../../api/metrics.js';
import type { MetricType } from '../../api/snapshot.js';
import { escapeMetricName, prometheusLabelName } from '../../exposition/prometheus-names.js';
import { MetricsError } from '../errors.js';
import type { AnyFamily } from '../families.js';
import type { AnySeries } from '../series.js';
import { counterMerge } from './counter.js';
import { dropGaugeShare, gaugeMerge } from './gauge.js';
import { histogramMerge } from './histogram.js';
import { overflowing } from './overflow.js';
import type { KindMerge, MergeSource, MergeTarget, SharedSeries } from './kind.js';
import { summaryMerge } from './summary.js';

const MERGE: Record<MetricType, KindMerge> = {
  counter: counterMerge,
  gauge: gaugeMerge,
  histogram: histogramMerge,
  summary: summaryMerge,
};

/** How the store gets families: the core's registration path, prefix, filter and validation included. */
export interface FamilySource {
  /** The family `kind` `name` with the facade's `options`; undefined when the filter denies it. Throws MetricsError. */
  familyOf(kind: MetricType, name: string, options: MetricOptions<string>, prefixed: boolean): AnyFamily | undefined;
}

/** The facade's options for a source's descriptor, with `labelNames` (the source's first). */
function optionsOf(d: MergeDescriptor, labelNames: readonly string[], sampleRate: number | undefined): MetricOptions<string> {
  const list = (values: ArrayLike<number> | undefined) => (values && values.length > 0 ? Array.from(values) : undefined);
  const common = { help: d.help, unit: d.unit || undefined, labelNames };
  if (d.kind === 'histogram') return { ...common, sampleRate, buckets: list(d.buckets) } as MetricOptions<string>;
  if (d.kind !== 'summary') return common;
  const window = { quantiles: list(d.quantiles), maxAgeSeconds: d.maxAgeSeconds || undefined, ageBuckets: d.ageBuckets || undefined };
  return { ...common, sampleRate, ...window } as MetricOptions<string>;
}

/** The core's namespace: only the core's own storage may write there. */
const RESERVED_PREFIX = 'omnimeter_';

interface Registered {
  readonly family: AnyFamily;
  readonly descriptor: MergeDescriptor;
  readonly merge: KindMerge;
}

interface Target extends MergeTarget {
  readonly metric: Registered;
  /** Label object the family resolved, to forget the series by. */
  readonly labels: Record<string, string> | undefined;
  readonly key: string;
}

function isDescriptor(d: MergeDescriptor): boolean {
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.name === 'string' &&
    typeof d.help === 'string' &&
    typeof d.unit === 'string' &&
    Object.hasOwn(MERGE, d.kind) &&
    Array.isArray(d.labelNames) &&
    d.labelNames.every((l) => typeof l === 'string')
  );
}

class Session implements MergeSession, MergeSource {
  readonly policy: GaugePolicy;
  private readonly trusted: boolean;
  private readonly sourceLabels: readonly (readonly [string, string])[];
  private readonly registered: Registered[] = [];
  private readonly idByFamily = new Map<AnyFamily, number>();
  private readonly targets: (Target | undefined)[] = [];
  private readonly idByKey = new Map<string, number>();
  private readonly baselines = new Map<number, CumulativeReading>();
  private closed = false;

  constructor(
    private readonly store: MergeStore,
    private readonly options: MergeSourceOptions,
  ) {
    this.policy = options.gaugePolicy ?? 'last';
    this.trusted = options.trusted === true;
    this.sourceLabels = options.labels ?? [];
  }

  register(descriptor: MergeDescriptor): MergeResult {
    if (this.closed) return 'closed';
    if (!isDescriptor(descriptor)) return 'invalid_metric';
    // Judged by the Prometheus name: `omnimeter.secret` is exposed as `omnimeter_secret`.
    if (!this.trusted && escapeMetricName(descriptor.name).startsWith(RESERVED_PREFIX)) return 'reserved_name';
    const own = descriptor.labelNames;
    // Likewise a source's `component.instance` would be exposed as the host's `component_instance`.
    const exposed = new Set(own.map(prometheusLabelName));
    if (this.sourceLabels.some(([name]) => exposed.has(prometheusLabelName(name)))) return 'invalid_metric';
    let family: AnyFamily | undefined;
    try {
      const labelNames = [...this.sourceLabels.map(([n]) => n), ...own];
      const options = optionsOf(descriptor, labelNames, this.options.sampleRate);
      family = this.store.families.familyOf(descriptor.kind, descriptor.name, options, !this.trusted);
    } catch (error) {
      if (!(error instanceof MetricsError)) throw error;
      return error.code === 'CONFLICT' ? 'conflict' : 'invalid_metric';
    }
    if (!family) return 'filtered';
    let id = this.idByFamily.get(family);
    if (id === undefined) {
      this.registered.push({ family, descriptor: { ...descriptor, labelNames: [...own] }, merge: MERGE[descriptor.kind] });
      this.idByFamily.set(family, (id = this.registered.length));
    }
    return id;
  }

  series(metric: number, labelValues: readonly string[]): MergeResult {
    if (this.closed) return 'closed';
    const m = this.registered[metric - 1];
    const names = m?.descriptor.labelNames;
    if (!m || !names || !Array.isArray(labelValues) || labelValues.length !== names.length) return 'invalid_series';
    if (!labelValues.every((v) => typeof v === 'string')) return 'invalid_series';
    const key = `${metric}\u0000${labelValues.join('\u0001')}`;
    const known = this.idByKey.get(key);
    if (known !== undefined) return known;
    const labels: Record<string, string> = {};
    for (const [name, value] of this.sourceLabels) labels[name] = value;
    names.forEach((name, i) => (labels[name] = labelValues[i]!));
    let series: AnySeries;
    try {
      series = m.family.labels(labels as never);
    } catch (error) {
      if (!(error instanceof MetricsError)) throw error;
      return 'invalid_series';
    }
    return this.hold(m, series, labels, key);
  }

  overflow(metric: number): MergeResult {
    if (this.closed) return 'closed';
    const m = this.registered[metric - 1];
    if (!m) return 'invalid_series';
    const key = `${metric}\u0000\u0002overflow`;
    return this.idByKey.get(key) ?? this.hold(m, overflowing<AnySeries>(m.family, this.sourceLabels), undefined, key);
  }

  private hold(metric: Registered, series: AnySeries, labels: Record<string, string> | undefined, key: string): number {
    const shared = this.store.shared(series);
    shared.holders++;
    const bounds = metric.family.descriptor.buckets?.length ?? 0;
    this.targets.push({ merge: metric.merge, series, shared, bounds, metric, labels, key });
    const id = this.targets.length;
    this.idByKey.set(key, id);
    return id;
  }

  apply(series: number, op: MergeOp, index: number, value: number): MergeRefusal | undefined {
    const target = this.targets[series - 1];
    if (target === undefined) return this.closed ? 'closed' : 'unknown_series';
    return target.merge.apply(target, op, index, value, this);
  }

  applyCumulative(series: number, reading: CumulativeReading): MergeRefusal | undefined {
    const target = this.targets[series - 1];
    if (target === undefined) return this.closed ? 'closed' : 'unknown_series';
    if (typeof reading !== 'object' || reading === null) return 'invalid_update';
    const refused = target.merge.diff(this.baselines.get(series), reading, (op, index, value) =>
      target.merge.apply(target, op, index, value, this),
    );
    // The baseline moves even when part was refused: what was applied must not be applied again.
    if (refused !== 'not_mergeable') this.baselines.set(series, target.merge.keep(reading));
    return refused;
  }

  forget(series: number): MergeRefusal | undefined {
    const target = this.targets[series - 1];
    if (target === undefined) return this.closed ? 'closed' : 'unknown_series';
    this.release(target);
    this.targets[series - 1] = undefined;
    this.idByKey.delete(target.key);
    this.baselines.delete(series);
    // Alone on it: the series and what it recorded go (reset or remove()). Shared: the others keep it.
    if (target.shared.holders === 0 && target.labels) target.metric.family.remove(target.labels as never);
    return undefined;
  }

  private release(target: Target): void {
    target.shared.holders--;
    dropGaugeShare(target, this);
  }

  descriptor(metric: number): MergeDescriptor | undefined {
    const m = this.registered[metric - 1];
    if (!m) return undefined;
    const d = m.family.descriptor;
    return {
      ...m.descriptor,
      ...(d.buckets ? { buckets: d.buckets } : {}),
      ...(d.quantiles ? { quantiles: d.quantiles, maxAgeSeconds: d.maxAgeSeconds, ageBuckets: d.ageBuckets } : {}),
    };
  }

  metrics(): readonly number[] {
    return this.registered.map((_, i) => i + 1);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const target of this.targets) if (target) this.release(target);
    this.targets.length = 0;
    this.idByKey.clear();
    this.baselines.clear();
  }
}

/** The merge port of one core. */
export class MergeStore implements MergePort {
  private readonly sharedBySeries = new WeakMap<AnySeries, SharedSeries>();

  constructor(readonly families: FamilySource) {}

  open(options: MergeSourceOptions = {}): MergeSession {
    return new Session(this, options);
  }

  /** @internal what sources writing the same series share. */
  shared(series: AnySeries): SharedSeries {
    let shared = this.sharedBySeries.get(series);
    if (!shared) this.sharedBySeries.set(series, (shared = { holders: 0 }));
    return shared;
  }
}
