/**
 * Decides which parts of a validated snapshot one source may merge: names
 * and labels within the documented limits, values a merge can use, shapes
 * that do not change, and the source's and the collector's budgets of
 * metrics, series and exposition bytes. What is refused is only counted,
 * never stored, so memory stays bounded whatever a source sends.
 */
import { LIMITS } from '../core/limits.js';
import { LABEL_NAME } from '../core/names.js';
import type { JsonFamily, JsonSeries, JsonSnapshot } from '../exposition/json.js';
import { familyCost, seriesCost } from './exposition-cost.js';
import type { IngestLimits } from './limits.js';

export type RefusalReason =
  | 'reserved_name'
  | 'invalid_metric'
  | 'invalid_series'
  | 'invalid_value'
  | 'too_many_buckets'
  | 'conflict'
  | 'metric_limit'
  | 'series_limit'
  | 'exposition_limit'
  | 'summary_not_mergeable';

/** What one source has been granted so far. */
export class SourceBudget {
  /** Shape (type, buckets, label names) of each family this source pushed. */
  readonly families = new Map<string, string>();
  /** Series admitted, by key. */
  readonly series = new Set<string>();
  /** Exposition bytes charged (an upper bound). */
  bytes = 0;
}

/** The collector-wide budget every source draws from. */
export interface SharedBudget {
  bytes: number;
}

export interface AdmissionContext {
  readonly limits: IngestLimits;
  /** Label names the collector adds itself (`source`, default labels): a push may not set them. */
  readonly reservedLabels: ReadonlySet<string>;
  /** Bytes the collector's own labels add to each sample line. */
  readonly hostLabelBytes: number;
}

export interface Admission {
  /** The families and series that may be merged. */
  readonly snapshot: JsonSnapshot;
  readonly accepted: number;
  readonly refused: ReadonlyMap<RefusalReason, number>;
  /** The first few refusals, explained (bounded in number and length). */
  readonly examples: readonly string[];
}

const MAX_EXAMPLES = 5;
const MAX_UNIT_LENGTH = 64;
/** The collector's own telemetry: a push may not write into it. */
const RESERVED_PREFIX = 'omnimeter_';

const clip = (text: string, n = 80) => (text.length > n ? `${text.slice(0, n)}…` : text);
const finite = (v: number | undefined) => v === undefined || Number.isFinite(v);

/** Why a family cannot be merged at all, if so. */
function familyProblem(f: JsonFamily, limits: IngestLimits): [RefusalReason, string] | undefined {
  if (f.name.startsWith(RESERVED_PREFIX)) return ['reserved_name', `the ${RESERVED_PREFIX} namespace is the collector's own`];
  if (f.name.length > LIMITS.nameLength) return ['invalid_metric', `name longer than ${LIMITS.nameLength} characters`];
  if (f.help.length > LIMITS.helpLength) return ['invalid_metric', `help longer than ${LIMITS.helpLength} characters`];
  if (f.unit.length > MAX_UNIT_LENGTH) return ['invalid_metric', `unit longer than ${MAX_UNIT_LENGTH} characters`];
  if (f.type === 'summary') return ['summary_not_mergeable', 'summaries carry quantiles, which cannot be merged; push a histogram'];
  if (f.type !== 'histogram') return undefined;
  const buckets = f.buckets ?? [];
  if (buckets.length > limits.maxBucketsPerHistogram)
    return ['too_many_buckets', `${buckets.length} buckets, limit ${limits.maxBucketsPerHistogram}`];
  if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && !(b > buckets[i - 1]!))))
    return ['invalid_metric', 'histogram buckets must be finite, ascending and at least one'];
  return undefined;
}

/** Why a series cannot be merged, if so (its family passed). */
function seriesProblem(f: JsonFamily, s: JsonSeries, ctx: AdmissionContext): [RefusalReason, string] | undefined {
  const names = Object.keys(s.labels);
  if (names.length > LIMITS.labelNames) return ['invalid_series', `more than ${LIMITS.labelNames} labels`];
  for (const name of names) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || name.length > LIMITS.labelNameLength || name === 'le' || name === 'quantile')
      return ['invalid_series', `label name ${JSON.stringify(clip(name))} is invalid or reserved`];
    if (ctx.reservedLabels.has(name)) return ['invalid_series', `label "${name}" is set by the collector`];
    if (s.labels[name]!.length > LIMITS.labelValueLength)
      return ['invalid_series', `label "${name}" longer than ${LIMITS.labelValueLength} characters`];
  }
  if (!finite(s.value) || !finite(s.sum) || !finite(s.count)) return ['invalid_value', 'values must be finite'];
  if (f.type === 'counter' && (s.value ?? 0) < 0) return ['invalid_value', `counter value ${s.value} is negative`];
  if (f.type === 'histogram') {
    const counts = s.bucketCounts ?? [];
    if (counts.length !== f.buckets!.length + 1)
      return ['invalid_value', `${counts.length} bucket counts for ${f.buckets!.length + 1} buckets`];
    // Observations are counted in whole numbers: OpenMetrics refuses a bucket of 519.49 (and a negative one would shrink the next delta).
    const whole = (n: number | undefined) => n === undefined || (Number.isSafeInteger(n) && n >= 0);
    if (!counts.every(whole) || !whole(s.count)) return ['invalid_value', 'bucket counts and count must be whole numbers >= 0'];
  }
  return undefined;
}

const shapeOf = (f: JsonFamily, s: JsonSeries) => JSON.stringify([f.type, f.buckets ?? [], Object.keys(s.labels).sort()]);
const keyOf = (f: JsonFamily, s: JsonSeries) => JSON.stringify([f.name, Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1))]);

/** Admits what `budget` (and the shared budget) allow of `snapshot`; charges both for what is new. */
export function admit(snapshot: JsonSnapshot, budget: SourceBudget, shared: SharedBudget, ctx: AdmissionContext): Admission {
  const { limits } = ctx;
  const refused = new Map<RefusalReason, number>();
  const examples: string[] = [];
  let accepted = 0;
  const refuse = (reason: RefusalReason, where: string, why: string, n = 1) => {
    refused.set(reason, (refused.get(reason) ?? 0) + n);
    if (examples.length < MAX_EXAMPLES) examples.push(`${where}: ${why} (${reason})`);
  };
  const charge = (bytes: number) => {
    if (budget.bytes + bytes > limits.maxExpositionBytesPerSource || shared.bytes + bytes > limits.maxExpositionBytes) return false;
    budget.bytes += bytes;
    shared.bytes += bytes;
    return true;
  };
  const families: JsonFamily[] = [];
  snapshot.metrics.forEach((f, i) => {
    const where = `metrics[${i}] ${JSON.stringify(clip(f.name))}`;
    if (f.series.length === 0) return;
    const problem = familyProblem(f, limits);
    if (problem) return refuse(problem[0], where, problem[1], f.series.length);
    const series: JsonSeries[] = [];
    f.series.forEach((s, j) => {
      const at = `${where} series[${j}]`;
      const bad = seriesProblem(f, s, ctx);
      if (bad) return refuse(bad[0], at, bad[1]);
      const shape = shapeOf(f, s);
      const known = budget.families.get(f.name);
      if (known !== undefined && known !== shape) return refuse('conflict', at, 'type, buckets or label names differ from an earlier push');
      const key = keyOf(f, s);
      if (!budget.series.has(key)) {
        if (known === undefined && budget.families.size >= limits.maxMetricsPerSource)
          return refuse('metric_limit', at, `more than ${limits.maxMetricsPerSource} metrics from one source`);
        if (budget.series.size >= limits.maxSeriesPerSource)
          return refuse('series_limit', at, `more than ${limits.maxSeriesPerSource} series from one source`);
        const cost = seriesCost(f, s, ctx.hostLabelBytes) + (known === undefined ? familyCost(f) : 0);
        if (!charge(cost)) return refuse('exposition_limit', at, 'the exposition budget (per source or in total) is spent');
        budget.families.set(f.name, shape);
        budget.series.add(key);
      }
      series.push(s);
      accepted++;
    });
    if (series.length) families.push({ ...f, series });
  });
  return { snapshot: { ...snapshot, metrics: families }, accepted, refused, examples };
}
