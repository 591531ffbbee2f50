import type { MetricsOptions, NativeHistogramOptions, SpanContextSource } from '../api/metrics.js';
import type { NativeHistogramSpec } from '../api/snapshot.js';
import { MetricsError, describeValue } from './errors.js';
import { LIMITS } from './limits.js';
import { assertLabelName, assertMetricName } from './names.js';

/** Prometheus client defaults: 11 buckets from 5 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
export const DEFAULT_QUANTILES: readonly number[] = Object.freeze([0.5, 0.9, 0.95, 0.99]);
export const DEFAULT_MAX_SERIES = 2000;

function fail(where: string, expected: string, got: unknown): never {
  throw new MetricsError('INVALID_OPTIONS', `${where}: expected ${expected}, got ${describeValue(got)}`);
}

/** A list longer than its limit: the length is reported, not the (large) list. */
export function tooMany(where: string, limit: number, what: string, length: number): MetricsError {
  return new MetricsError('INVALID_OPTIONS', `${where}: expected at most ${limit} ${what}, got ${length}`);
}

export function positiveNumber(where: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) fail(where, 'a finite number > 0', value);
  return value;
}

export function positiveInteger(where: string, value: unknown, fallback: number, max = Infinity): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    fail(where, max === Infinity ? 'an integer >= 1' : `an integer 1-${max}`, value);
  return value;
}

export function validateBuckets(where: string, value: unknown): readonly number[] {
  if (value === undefined) return DEFAULT_BUCKETS;
  if (!Array.isArray(value)) fail(where, 'an array of ascending finite numbers', value);
  // Checked before copying: a sparse array of length 1e9 must not be materialised.
  if (value.length > LIMITS.buckets + 1) throw tooMany(where, LIMITS.buckets, 'bucket bounds', value.length);
  const buckets = value[value.length - 1] === Infinity ? value.slice(0, -1) : [...value];
  if (buckets.length === 0) fail(where, 'at least one finite bucket bound', value);
  if (buckets.length > LIMITS.buckets) throw tooMany(where, LIMITS.buckets, 'bucket bounds', buckets.length);
  for (let i = 0; i < buckets.length; i++) {
    const b: unknown = buckets[i];
    if (typeof b !== 'number' || !Number.isFinite(b)) fail(`${where}[${i}]`, 'a finite number', b);
    if (i > 0 && !(b > buckets[i - 1])) fail(where, 'strictly ascending bucket bounds', value);
  }
  return Object.freeze(buckets as number[]);
}

/** The native option of a histogram; `classic` when the user gave buckets of their own. */
export function validateNative(where: string, value: unknown, classic: boolean): NativeHistogramSpec | undefined {
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof value !== 'object' || value === null || Array.isArray(value)))
    fail(where, 'true or { schema, maxBuckets, zeroThreshold }', value);
  const o: NativeHistogramOptions = value === true ? {} : (value as NativeHistogramOptions);
  const schema = o.schema ?? 3;
  if (!Number.isInteger(schema) || schema < -4 || schema > 8) fail(`${where}.schema`, 'an integer from -4 to 8', o.schema);
  const maxBuckets = positiveInteger(`${where}.maxBuckets`, o.maxBuckets, 160, 10_000);
  const zeroThreshold = o.zeroThreshold ?? 2 ** -128;
  if (typeof zeroThreshold !== 'number' || !(zeroThreshold >= 0) || !Number.isFinite(zeroThreshold))
    fail(`${where}.zeroThreshold`, 'a finite number >= 0', o.zeroThreshold);
  return Object.freeze({ schema, maxBuckets, zeroThreshold, classic });
}

export function validateQuantiles(where: string, value: unknown): readonly number[] {
  if (value === undefined) return DEFAULT_QUANTILES;
  if (!Array.isArray(value) || value.length === 0) fail(where, 'a non-empty array of numbers in [0, 1]', value);
  if (value.length > LIMITS.quantiles) throw tooMany(where, LIMITS.quantiles, 'quantiles', value.length);
  value.forEach((q: unknown, i) => {
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) fail(`${where}[${i}]`, 'a number in [0, 1]', q);
  });
  const sorted = [...new Set(value as number[])].sort((a, b) => a - b);
  return Object.freeze(sorted);
}

export interface ResolvedOptions {
  enabled: boolean;
  prefix: string;
  defaultLabels: readonly (readonly [string, string])[];
  maxSeries: number;
  ttlMs: number | undefined;
  lenient: boolean;
  filter: MetricsOptions['filter'];
  samplingRate: number;
  /** Where exemplars come from; undefined when exemplars are off. */
  spanContext: SpanContextSource | undefined;
  tracerProvider: MetricsOptions['tracerProvider'];
}

const KNOWN = new Set([
  'enabled',
  'prefix',
  'defaultLabels',
  'maxSeriesPerMetric',
  'seriesTtlSeconds',
  'mode',
  'backend',
  'clock',
  'filter',
  'samplingRate',
  'exemplars',
  'tracerProvider',
]);

/** Checks createMetrics options; every error names the option and the value. */
export function resolveOptions(options: MetricsOptions): ResolvedOptions {
  const where = (key: string) => `createMetrics: ${key}`;
  if (typeof options !== 'object' || options === null) fail('createMetrics', 'an options object', options);
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) fail(where(key), `one of ${[...KNOWN].join(', ')}`, key);
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') fail(where('enabled'), 'a boolean', options.enabled);
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string') fail(where('prefix'), 'a string', prefix);
  if (prefix) assertMetricName(prefix);
  const defaults = options.defaultLabels ?? {};
  if (typeof defaults !== 'object' || defaults === null) fail(where('defaultLabels'), 'an object of label name to string', defaults);
  const defaultLabels = Object.entries(defaults).map(([name, value]) => {
    assertLabelName(name, 'createMetrics: defaultLabels', 'gauge');
    if (typeof value !== 'string') fail(where(`defaultLabels.${name}`), 'a string', value);
    return Object.freeze([name, value.toWellFormed()] as const);
  });
  if (options.mode !== undefined && options.mode !== 'strict' && options.mode !== 'lenient') {
    fail(where('mode'), '"strict" or "lenient"', options.mode);
  }
  if (options.backend !== undefined && typeof options.backend?.counterCell !== 'function') {
    fail(where('backend'), 'a MetricsBackend', options.backend);
  }
  if (options.clock !== undefined && typeof options.clock?.now !== 'function') fail(where('clock'), 'an object with now()', options.clock);
  if (options.filter !== undefined && typeof options.filter !== 'function') fail(where('filter'), 'a function', options.filter);
  const rate = options.samplingRate ?? 1;
  if (typeof rate !== 'number' || !(rate > 0 && rate <= 1)) fail(where('samplingRate'), 'a number in (0, 1]', rate);
  const ttl = options.seriesTtlSeconds;
  const exemplars = options.exemplars;
  if (exemplars === true) {
    fail(
      where('exemplars'),
      '{ spanContext } here (omnimeter/otel exports activeSpanContext; omnimeter/node reads the OpenTelemetry span itself)',
      exemplars,
    );
  }
  if (exemplars !== undefined && exemplars !== false && typeof exemplars?.spanContext !== 'function') {
    fail(where('exemplars'), 'false or { spanContext: () => { traceId, spanId } | undefined }', exemplars);
  }
  const tracerProvider = options.tracerProvider;
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function') {
    fail(where('tracerProvider'), 'an OpenTelemetry TracerProvider (getTracer)', tracerProvider);
  }
  return {
    enabled: options.enabled ?? true,
    prefix,
    defaultLabels: Object.freeze(defaultLabels),
    maxSeries: positiveInteger(where('maxSeriesPerMetric'), options.maxSeriesPerMetric, DEFAULT_MAX_SERIES),
    ttlMs: ttl === undefined ? undefined : positiveNumber(where('seriesTtlSeconds'), ttl, 0) * 1000,
    lenient: options.mode === 'lenient',
    filter: options.filter,
    samplingRate: rate,
    spanContext: exemplars ? exemplars.spanContext : undefined,
    tracerProvider,
  };
}
