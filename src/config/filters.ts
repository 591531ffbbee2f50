import type { MetricType } from '../api/snapshot.js';
import { metricNameMatcher } from '../exposition/name-patterns.js';
import type { FilterConfig } from './schema.js';

export interface CompiledFilters {
  /** The registration-time hook for createMetrics, or undefined when no name filter is configured. */
  filter: ((name: string, type: MetricType, unit?: string) => string | null) | undefined;
  /** Every commonLabels filter merged, later ones winning. */
  commonLabels: Record<string, string>;
}

/**
 * Compiles config filters into one function, applied in order as
 * Micrometer applies MeterFilters: the first accept or deny that matches
 * decides; renames rewrite the name for the filters after them. Accept and
 * deny match the name as written or as Prometheus names it; renames rewrite
 * the name as written.
 */
export function compileFilters(filters: readonly FilterConfig[]): CompiledFilters {
  const commonLabels: Record<string, string> = {};
  type Step = (name: string, type: MetricType, unit: string | undefined) => { name: string; verdict?: 'accept' | 'deny' };
  const steps: Step[] = [];
  for (const f of filters) {
    if ('commonLabels' in f) Object.assign(commonLabels, f.commonLabels);
    else if ('accept' in f) {
      const matches = metricNameMatcher(f.accept);
      steps.push((name, type, unit) => (matches(name, type, unit) ? { name, verdict: 'accept' } : { name }));
    } else if ('deny' in f) {
      const matches = metricNameMatcher(f.deny);
      steps.push((name, type, unit) => (matches(name, type, unit) ? { name, verdict: 'deny' } : { name }));
    } else {
      const re = new RegExp(`^(?:${f.rename.pattern})$`);
      const replacement = f.rename.replacement;
      steps.push((name) => ({ name: name.replace(re, replacement) }));
    }
  }
  if (steps.length === 0) return { filter: undefined, commonLabels };
  return {
    commonLabels,
    filter(name, type, unit) {
      let current = name;
      for (const step of steps) {
        const result = step(current, type, unit);
        current = result.name;
        if (result.verdict === 'accept') return current;
        if (result.verdict === 'deny') return null;
      }
      return current;
    },
  };
}
