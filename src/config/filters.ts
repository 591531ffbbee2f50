import type { FilterConfig } from './schema.js';

/** `*` matches any run of characters; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

export interface CompiledFilters {
  /** The registration-time hook for createMetrics, or undefined when no name filter is configured. */
  filter: ((name: string) => string | null) | undefined;
  /** Every commonLabels filter merged, later ones winning. */
  commonLabels: Record<string, string>;
}

/**
 * Compiles config filters into one function, applied in order as
 * Micrometer applies MeterFilters: the first accept or deny that matches
 * decides; renames rewrite the name for the filters after them.
 */
export function compileFilters(filters: readonly FilterConfig[]): CompiledFilters {
  const commonLabels: Record<string, string> = {};
  type Step = (name: string) => { name: string; verdict?: 'accept' | 'deny' };
  const steps: Step[] = [];
  for (const f of filters) {
    if ('commonLabels' in f) Object.assign(commonLabels, f.commonLabels);
    else if ('accept' in f) {
      const re = globToRegExp(f.accept);
      steps.push((name) => (re.test(name) ? { name, verdict: 'accept' } : { name }));
    } else if ('deny' in f) {
      const re = globToRegExp(f.deny);
      steps.push((name) => (re.test(name) ? { name, verdict: 'deny' } : { name }));
    } else {
      const re = new RegExp(`^(?:${f.rename.pattern})$`);
      const replacement = f.rename.replacement;
      steps.push((name) => ({ name: name.replace(re, replacement) }));
    }
  }
  if (steps.length === 0) return { filter: undefined, commonLabels };
  return {
    commonLabels,
    filter(name) {
      let current = name;
      for (const step of steps) {
        const result = step(current);
        current = result.name;
        if (result.verdict === 'accept') return current;
        if (result.verdict === 'deny') return null;
      }
      return current;
    },
  };
}
