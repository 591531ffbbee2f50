/**
 * Reading a registry back through the strict OpenMetrics parser (Python's
 * prometheus_client), so the numbers the wrapper tests assert are the ones a
 * scraper reads, under the translated Prometheus names.
 */
import type { Metrics } from '../../src/api/metrics.js';
import { createMetrics } from '../../src/index.js';
import { type ParsedFamily, parseStrict } from '../support/validators.js';

export interface Readings {
  readonly families: ParsedFamily[];
  /** The sample `name` whose labels include `labels`; 0 when absent (a series never touched). */
  value(name: string, labels?: Record<string, string>): number;
}

export async function read(metrics: Metrics): Promise<Readings> {
  const families = parseStrict(await metrics.registry.expose('openmetrics'));
  return {
    families,
    value(name, labels = {}) {
      const matches = families.flatMap((f) =>
        f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)),
      );
      if (matches.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${matches.length} samples`);
      return matches[0]?.value ?? 0;
    },
  };
}

/** A clock the test moves by hand, in seconds. */
export function scriptedClock() {
  let now = 1000;
  return { clock: () => now, advance: (seconds: number) => void (now += seconds) };
}

export const fresh = () => createMetrics();
