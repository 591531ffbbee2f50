/**
 * Name patterns as operators write them in config: `*` matches any run of
 * characters, everything else is literal. A metric pattern matches a metric
 * by the name it was written with (`mcp.server.operation.duration`) and by
 * the names Prometheus shows for it (`mcp_server_operation_duration_seconds`,
 * a counter's `_total` sample), because operators copy names from /metrics.
 */
import type { MetricType } from '../api/snapshot.js';
import { prometheusNaming } from './prometheus-names.js';

/** `*` matches any run of characters; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** True when the pattern matches the metric as written or as Prometheus names it. */
export type MetricNameMatcher = (name: string, type: MetricType, unit?: string) => boolean;

export function metricNameMatcher(glob: string): MetricNameMatcher {
  const re = globToRegExp(glob);
  return (name, type, unit = '') => {
    if (re.test(name)) return true;
    const family = prometheusNaming(name, unit, type).name;
    return re.test(family) || (type === 'counter' && re.test(`${family}_total`));
  };
}
