/**
 * A set's table entries turned into the facade's instruments: the one way
 * every helper and wrapper records, so names, units, help and buckets come
 * from spec.ts alone. Registering twice returns the same family (the
 * registry's rule), so any number of caches or servers share one set.
 */
import type { Counter, Gauge, Histogram, Labels } from '../api/instruments.js';
import type { Metrics } from '../api/metrics.js';
import type { SetMetric } from './spec.js';

export type Outcome = 'success' | 'error';
/** Seconds on a monotonic clock; injectable so tests can script time. */
export type Clock = () => number;

export const monotonicSeconds: Clock = () => performance.now() / 1000;

export interface SetOptions {
  readonly metrics: Metrics;
  /** Default: `performance.now()` in seconds. */
  readonly clock?: Clock;
}

function options(spec: SetMetric, kind: SetMetric['kind']) {
  if (spec.kind !== kind) throw new TypeError(`${spec.name} is a ${spec.kind}, not a ${kind}`);
  return { help: spec.help, unit: spec.unit, labelNames: spec.attributes as readonly string[] };
}

export const counterOf = (metrics: Metrics, spec: SetMetric): Counter<string> => metrics.counter(spec.name, options(spec, 'counter'));
export const gaugeOf = (metrics: Metrics, spec: SetMetric): Gauge<string> => metrics.gauge(spec.name, options(spec, 'gauge'));
export const histogramOf = (metrics: Metrics, spec: SetMetric): Histogram<string> =>
  metrics.histogram(spec.name, { ...options(spec, 'histogram'), buckets: [...(spec.buckets ?? [])] });

export type AttributeValues = Labels<string>;

/**
 * A handle bound on first use: binding creates the series, and a series a
 * cache or store never reports (memory it does not measure, a capacity it
 * does not know) must not be exposed as a misleading 0.
 */
export function lazy<H>(bind: () => H): () => H {
  let handle: H | undefined;
  return () => (handle ??= bind());
}

/** Times `fn` (sync or async) and reports its duration and outcome; rethrows what it throws. */
export function timed<T>(clock: Clock, fn: () => T, done: (seconds: number, outcome: Outcome) => void): T {
  const start = clock();
  let result: T;
  try {
    result = fn();
  } catch (error) {
    done(clock() - start, 'error');
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        done(clock() - start, 'success');
        return value;
      },
      (error: unknown) => {
        done(clock() - start, 'error');
        throw error;
      },
    ) as T;
  }
  done(clock() - start, 'success');
  return result;
}
