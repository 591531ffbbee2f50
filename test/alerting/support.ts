/** A metrics instance, a manual clock, a sampler and alerting built from a config section. */
import { Alerting } from '../../src/alerting/index.js';
import type { Channel } from '../../src/alerting/notification.js';
import { Sampler } from '../../src/alerting/sampler.js';
import { AlertingSchema } from '../../src/config/alerting-schema.js';
import { ManualScheduler } from '../../src/core/scheduler.js';
import { createMetrics } from '../../src/index.js';

export const INTERVAL = 10_000;

export function alertingFixture(section: Record<string, unknown>, channels?: Record<string, Channel>, startMs?: number) {
  const scheduler = new ManualScheduler(startMs);
  const start = scheduler.now();
  const metrics = createMetrics();
  const sampler = new Sampler({ collect: () => metrics.registry.collect(), intervalMs: INTERVAL, scheduler });
  const config = AlertingSchema.parse({ enabled: true, evaluationInterval: INTERVAL / 1000, ...section });
  const warnings: string[] = [];
  const alerting = new Alerting({ config, metrics, sampler, channels, warn: (m) => warnings.push(m) });
  sampler.start();
  const stateOf = (rule: string) =>
    alerting
      .alerts()
      .filter((a) => a.rule === rule)
      .map((a) => a.state);
  /** Advances the clock by whole evaluation intervals. */
  const evaluations = async (n: number) => {
    for (let i = 0; i < n; i++) await scheduler.advance(INTERVAL);
  };
  /** Moves the clock `stepMs` at a time, letting real I/O proceed in between, until `done()` (or 10 s of real time). */
  const advanceUntil = async (done: () => boolean, stepMs = 1000) => {
    for (const deadline = Date.now() + 10_000; !done(); ) {
      if (Date.now() > deadline) throw new Error('condition not reached within 10 s');
      await scheduler.advance(stepMs);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { advanceUntil, start, scheduler, metrics, sampler, alerting, stateOf, evaluations, warnings, alerts: () => alerting.alerts() };
}

/** The value of one self-metric series, read back through the exposition. */
export async function selfMetric(
  metrics: ReturnType<typeof createMetrics>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const families = await metrics.registry.collect();
  const family = families.find((f) => f.name === name);
  const series = family?.series.find((s) => Object.entries(labels).every(([k, v]) => s.labels.some(([n, x]) => n === k && x === v)));
  return series?.value ?? 0;
}
