/**
 * Conditions compiled once per rule. Each kind is written in one place as
 * both the in-process evaluation (over a SeriesHistory, with the PromQL
 * functions of promql.ts) and the equivalent PromQL expression, so what runs
 * here and what `omnimeter alerts export` hands to Prometheus cannot drift.
 * A condition's result is the vector of elements that are active now, each
 * with its labels and value, as an alerting rule's expression in Prometheus.
 */
import type { ConditionConfig } from '../config/alerting-schema.js';
import { durationMs } from '../config/alerting-schema.js';
import { type Selector, formatSelector, parseSelector, pinnedLabels } from '../config/selector.js';
import { AnomalyDetector } from './anomaly.js';
import { canonicalFloat } from '../exposition/text.js';
import type { Sample, SeriesHistory } from './history.js';
import {
  type CompareOp,
  aggregate,
  compare,
  compareVectors,
  divide,
  histogramQuantile,
  promDuration,
  rate,
  withoutName,
} from './promql.js';

export interface CompiledCondition {
  /** Sample names the history must keep for this condition. */
  readonly names: readonly string[];
  /** How far back it reads (window plus offset). */
  readonly lookbackMs: number;
  /** The elements active at `t`. */
  evaluate(history: SeriesHistory, t: number): Sample[];
  /** The equivalent PromQL expression, or why there is none. */
  readonly promql: { expr: string } | { unsupported: string };
}

/** One way of turning series into a value per group, over [t - offset - window, t - offset]. */
interface Measure {
  readonly names: readonly string[];
  evaluate(history: SeriesHistory, t: number, windowMs: number, offsetMs: number): Sample[];
  promql(windowMs: number, offsetMs: number): string;
}

const offsetText = (ms: number) => (ms > 0 ? ` offset ${promDuration(ms)}` : '');
const byText = (by: readonly string[]) => (by.length ? ` by (${by.join(', ')})` : '');
const withMetric = (s: Selector, metric: string): Selector => ({ ...s, metric });

function rateOf(history: SeriesHistory, s: Selector, t: number, windowMs: number, offsetMs: number): Sample[] {
  const end = t - offsetMs;
  return rate(history.range(s, t, windowMs, offsetMs), end - windowMs, end);
}

function rateMeasure(s: Selector, by: readonly string[] | undefined): Measure {
  return {
    names: [s.metric],
    evaluate: (h, t, w, o) => aggregate(rateOf(h, s, t, w, o), 'sum', by),
    promql: (w, o) => {
      const inner = `rate(${formatSelector(s)}[${promDuration(w)}]${offsetText(o)})`;
      return by === undefined ? inner : `sum${byText(by)} (${inner})`;
    },
  };
}

function quantileMeasure(s: Selector, q: number, source: 'histogram' | 'summary', by: readonly string[] = []): Measure {
  if (source === 'summary') {
    const quantile = { name: 'quantile', op: '=' as const, value: canonicalFloat(q) };
    const pick = (samples: Sample[]) =>
      samples.filter((x) => Number(x.labels.quantile) === q).map((x) => ({ labels: stripQuantile(x.labels), value: x.value }));
    return {
      names: [s.metric],
      // A summary's quantile is already windowed by the summary itself; groups take the max (quantiles do not add).
      evaluate: (h, t, _w, o) => aggregate(pick(h.instant(s, t - o)), 'max', by.length ? by : undefined),
      promql: (_w, o) => {
        const inner = `${formatSelector(s, [quantile])}${offsetText(o)}`;
        return by.length ? `max${byText(by)} (${inner})` : inner;
      },
    };
  }
  const buckets = withMetric(s, `${s.metric}_bucket`);
  return {
    names: [buckets.metric],
    evaluate: (h, t, w, o) => histogramQuantile(q, aggregate(rateOf(h, buckets, t, w, o), 'sum', ['le', ...by])),
    promql: (w, o) =>
      `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${formatSelector(buckets)}[${promDuration(w)}]${offsetText(o)})))`,
  };
}

function stripQuantile(labels: Sample['labels']): Sample['labels'] {
  const { quantile: _, ...rest } = withoutName(labels);
  return rest;
}

function ratioMeasure(num: Selector, den: Selector, by: readonly string[] = []): Measure {
  const a = rateMeasure(num, by);
  const b = rateMeasure(den, by);
  return {
    names: [num.metric, den.metric],
    evaluate: (h, t, w, o) => divide(a.evaluate(h, t, w, o), b.evaluate(h, t, w, o)),
    promql: (w, o) => `${a.promql(w, o)} / ${b.promql(w, o)}`,
  };
}

/** Mean of a histogram over the window: rate(sum) / rate(count). */
function meanMeasure(s: Selector, by: readonly string[] = []): Measure {
  return ratioMeasure(withMetric(s, `${s.metric}_sum`), withMetric(s, `${s.metric}_count`), by);
}

function valueMeasure(s: Selector, agg?: { op: 'sum' | 'avg' | 'min' | 'max' | 'count'; by: readonly string[] }): Measure {
  return {
    names: [s.metric],
    evaluate: (h, t, _w, o) => aggregate(h.instant(s, t - o), agg?.op ?? 'sum', agg?.by),
    promql: (_w, o) => {
      const inner = `${formatSelector(s)}${offsetText(o)}`;
      return agg ? `${agg.op}${byText(agg.by)} (${inner})` : inner;
    },
  };
}

function measureOf(kind: 'value' | 'rate' | 'quantile' | 'mean', s: Selector, q: number, by: readonly string[] | undefined): Measure {
  switch (kind) {
    case 'value':
      return valueMeasure(s, by ? { op: 'sum', by } : undefined);
    case 'rate':
      return rateMeasure(s, by);
    case 'quantile':
      return quantileMeasure(s, q, 'histogram', by);
    case 'mean':
      return meanMeasure(s, by);
  }
}

function thresholded(m: Measure, windowMs: number, op: CompareOp, threshold: number): CompiledCondition {
  return {
    names: m.names,
    lookbackMs: windowMs,
    evaluate: (h, t) => m.evaluate(h, t, windowMs, 0).filter((s) => compare(s.value, op, threshold)),
    promql: { expr: `${m.promql(windowMs, 0)} ${op} ${threshold}` },
  };
}

export function compileCondition(c: ConditionConfig): CompiledCondition {
  const s = parseSelector(c.selector);
  switch (c.kind) {
    case 'threshold':
      return thresholded(valueMeasure(s, c.aggregate), 0, c.op, c.threshold);
    case 'rate':
      return thresholded(rateMeasure(s, c.by), durationMs(c.window), c.op, c.threshold);
    case 'quantile':
      return thresholded(quantileMeasure(s, c.quantile, c.source, c.by), durationMs(c.window), c.op, c.threshold);
    case 'ratio':
      return thresholded(ratioMeasure(s, parseSelector(c.denominator), c.by), durationMs(c.window), c.op, c.threshold);
    case 'absent':
      return {
        names: [s.metric],
        lookbackMs: 0,
        evaluate: (h, t) => (h.instant(s, t).length ? [] : [{ labels: pinnedLabels(s), value: 1 }]),
        promql: { expr: `absent(${formatSelector(s)})` },
      };
    case 'regression':
      return regression(c, s);
    case 'anomaly':
      return anomaly(c, s);
  }
}

/**
 * current > (1 + tolerance) × baseline (up), or current < (1 - tolerance) ×
 * baseline (down), where the baseline is the same measure over the
 * `baseline` window ending where the current window starts.
 */
function regression(c: Extract<ConditionConfig, { kind: 'regression' }>, s: Selector): CompiledCondition {
  const m = measureOf(c.measure, s, c.quantile, c.by);
  const windowMs = durationMs(c.window);
  const baselineMs = durationMs(c.baseline);
  const op: CompareOp = c.direction === 'up' ? '>' : '<';
  const scale = c.direction === 'up' ? 1 + c.tolerance : 1 - c.tolerance;
  return {
    names: m.names,
    lookbackMs: windowMs + baselineMs,
    evaluate: (h, t) => compareVectors(m.evaluate(h, t, windowMs, 0), op, m.evaluate(h, t, baselineMs, windowMs), scale),
    promql: { expr: `${m.promql(windowMs, 0)} ${op} ${scale} * (${m.promql(baselineMs, windowMs)})` },
  };
}

/** An EWMA z-score band over the measure, one detector per group; not expressible in PromQL. */
function anomaly(c: Extract<ConditionConfig, { kind: 'anomaly' }>, s: Selector): CompiledCondition {
  const m = measureOf(c.measure, s, c.quantile, c.by);
  const windowMs = durationMs(c.window);
  const detector = new AnomalyDetector({ alpha: c.alpha, z: c.z, warmup: c.warmup, minStddev: c.minStddev, direction: c.direction });
  return {
    names: m.names,
    lookbackMs: windowMs,
    evaluate: (h, t) => detector.observe(m.evaluate(h, t, windowMs, 0)),
    promql: {
      unsupported:
        'anomaly rules keep an exponentially weighted mean and variance across evaluations; PromQL has no equivalent (a *_over_time z-score uses a flat window and behaves differently)',
    },
  };
}
