/**
 * The platform-neutral API every entry re-exports (`omnimeter`,
 * `omnimeter/browser`, `omnimeter/node`). It installs no opt-in feature
 * (core/features.ts): `omnimeter` (index.ts) does, `omnimeter/browser` does not.
 */
import type { Metrics, MetricsOptions, TimerOptions } from './api/metrics.js';
import { nativeBackend } from './backends/native/index.js';
import { createMetricsWith } from './core/metrics.js';
import { timedDecorator } from './core/timer.js';

export type * from './api/instruments.js';
export type * from './api/metrics.js';
export type * from './api/snapshot.js';
export type * from './api/backend.js';
export { MetricsError, type MetricsErrorCode } from './core/errors.js';
export { DEFAULT_BUCKETS, DEFAULT_QUANTILES, DEFAULT_MAX_SERIES } from './core/options.js';
export { linearBuckets, exponentialBuckets } from './core/buckets.js';
export { CONTENT_TYPES, render } from './exposition/text.js';
export { bucketQuantile } from './exposition/quantile.js';
export { nativeBackend } from './backends/native/index.js';
export { LogLinearSketch, RELATIVE_ERROR } from './core/sketch.js';

/** Creates a metrics instance; in-process (native) storage unless `options.backend` says otherwise. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  return createMetricsWith(options, (clock) => nativeBackend({ clock }));
}

let defaultMetrics: Metrics | undefined;

/** The process-wide instance used by the standalone `@timed` decorator. */
export function getDefaultMetrics(): Metrics {
  return (defaultMetrics ??= createMetrics());
}

/** Replaces the process-wide instance (for example with one that has a prefix). */
export function setDefaultMetrics(metrics: Metrics): void {
  defaultMetrics = metrics;
}

/**
 * `@timed('name')`: times every call of a method into a timer of the
 * default instance (or `options.metrics`), resolved on first call.
 */
export function timed(name: string, options: Partial<TimerOptions<never>> & { metrics?: Metrics } = {}) {
  const { metrics, ...timerOptions } = options;
  return timedDecorator(() =>
    (metrics ?? getDefaultMetrics()).timer(name, { help: `Duration of ${name} calls in seconds.`, ...timerOptions }),
  );
}
