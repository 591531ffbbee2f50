import { MetricsError, describeValue } from './errors.js';
import type { MetricType } from '../api/snapshot.js';
import { escapeMetricName, isUnitWord, prometheusLabelName } from '../exposition/prometheus-names.js';
import { LIMITS } from './limits.js';

/**
 * Prometheus names and OpenTelemetry instrument names alike
 * (`http_requests_total`, `mcp.server.operation.duration`); exposition
 * translates the OpenTelemetry ones (exposition/prometheus-names.ts).
 */
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:./-]*$/;
/** Prometheus label names and OpenTelemetry attribute keys (`gen_ai.tool.name`). */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_./-]*$/;
/** Prometheus unit words and UCUM units (`s`, `By`, `1`, `{request}`, `By/s`, `%`). */
const UNIT = /^[\x21-\x7e]+$/;

export function assertMetricName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw new MetricsError('INVALID_NAME', `metric name ${describeValue(name)} is invalid: expected [a-zA-Z_:][a-zA-Z0-9_:./-]*`);
  }
  if (name.startsWith('__')) {
    throw new MetricsError('INVALID_NAME', `metric name ${describeValue(name)} is invalid: names starting with "__" are reserved`);
  }
  if (name.length > LIMITS.nameLength)
    throw new MetricsError('INVALID_NAME', `metric name ${describeValue(name)} is invalid: longer than ${LIMITS.nameLength} characters`);
}

/**
 * `le` and `quantile` belong to histogram and summary samples; on any other
 * type too they would read as bucket or quantile labels (promtool lints them).
 */
function reservedLabel(label: string): boolean {
  return label === 'le' || label === 'quantile';
}

export function assertLabelName(label: unknown, metric: string, _type: MetricType): asserts label is string {
  if (typeof label !== 'string' || !LABEL_NAME.test(label)) {
    throw new MetricsError(
      'INVALID_LABEL_NAME',
      `${metric}: label name ${describeValue(label)} is invalid: expected [a-zA-Z_][a-zA-Z0-9_./-]*`,
    );
  }
  const exposed = prometheusLabelName(label);
  if (label.startsWith('__') || exposed.startsWith('__')) {
    throw new MetricsError('INVALID_LABEL_NAME', `${metric}: label name "${label}" is invalid: names starting with "__" are reserved`);
  }
  if (reservedLabel(exposed)) {
    throw new MetricsError(
      'INVALID_LABEL_NAME',
      `${metric}: label name "${label}" is reserved for ${exposed === 'quantile' ? 'summaries' : 'histograms'}`,
    );
  }
  if (label.length > LIMITS.labelNameLength)
    throw new MetricsError(
      'INVALID_LABEL_NAME',
      `${metric}: label name ${describeValue(label)} is longer than ${LIMITS.labelNameLength} characters`,
    );
}

export function assertLabelNames(labels: unknown, metric: string, type: MetricType): readonly string[] {
  if (labels === undefined) return [];
  if (!Array.isArray(labels)) {
    throw new MetricsError('INVALID_LABEL_NAME', `${metric}: labelNames must be an array of strings, got ${describeValue(labels)}`);
  }
  if (labels.length > LIMITS.labelNames)
    throw new MetricsError(
      'INVALID_LABEL_NAME',
      `${metric}: labelNames: expected at most ${LIMITS.labelNames} label names, got ${labels.length}`,
    );
  const seen = new Set<string>();
  for (const label of labels) {
    assertLabelName(label, metric, type);
    if (seen.has(label)) throw new MetricsError('INVALID_LABEL_NAME', `${metric}: label name "${label}" is declared twice`);
    seen.add(label);
  }
  return Object.freeze([...labels] as string[]);
}

/**
 * Splits a counter name into its family name: OpenMetrics names the family
 * without `_total` and the sample with it, so `x` and `x_total` are one counter.
 */
export function counterFamilyName(name: string): string {
  return name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
}

/**
 * A unit is either a Prometheus unit word of today's API (`seconds`, `bytes`,
 * `ratio`, ...), which must already be the suffix of the name, or a UCUM unit
 * (`s`, `By`, `1`, `{request}`, `By/s`) as OpenTelemetry writes them, whose
 * Prometheus word exposition appends (exposition/prometheus-names.ts).
 */
export function assertUnit(unit: unknown, family: string): string {
  if (unit === undefined || unit === '') return '';
  if (typeof unit !== 'string' || !UNIT.test(unit) || unit.includes('"') || unit.includes('\\')) {
    throw new MetricsError(
      'INVALID_OPTIONS',
      `${family}: unit ${describeValue(unit)} is invalid: expected a Prometheus unit word or a UCUM unit such as "s", "By", "1"`,
    );
  }
  // OpenMetrics requires the unit to be a suffix of the family name.
  const exposed = escapeMetricName(family);
  if (isUnitWord(unit) && exposed !== unit && !exposed.endsWith(`_${unit}`)) {
    throw new MetricsError(
      'INVALID_OPTIONS',
      `${family}: unit "${unit}" must be the suffix of the metric name (e.g. "${family}_${unit}"), or give the UCUM unit to have it appended`,
    );
  }
  return unit;
}

/** Sample names a family writes, used to refuse families that would collide. */
export function sampleNames(family: string, type: MetricType): string[] {
  switch (type) {
    case 'counter':
      return [`${family}_total`, `${family}_created`, family];
    case 'gauge':
      return [family];
    case 'histogram':
      return [family, `${family}_bucket`, `${family}_count`, `${family}_sum`, `${family}_created`];
    case 'summary':
      return [family, `${family}_count`, `${family}_sum`, `${family}_created`];
  }
}
