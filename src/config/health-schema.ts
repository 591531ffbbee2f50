/** The `health` section: liveness and readiness endpoints, automatic checks, SLO checks, recovery. */
import * as z from 'zod';
import { ConditionSchema, durationMs } from './alerting-schema.js';

const duration = (description: string) => {
  const error = 'expected a positive duration: seconds as a number, or "500ms", "30s", "5m"';
  return z
    .union([z.number(), z.string()], { error })
    .refine((v) => durationMs(v) > 0, { error })
    .meta({ description });
};
const flag = (description: string, value: boolean) => z.boolean({ error: 'expected true or false' }).default(value).meta({ description });
const path = (value: string, description: string) =>
  z.string().startsWith('/', { error: 'expected a path starting with "/"' }).default(value).meta({ description });
const ratio = (description: string) =>
  z
    .number({ error: 'expected a number in (0, 1]' })
    .gt(0, { error: 'expected a number in (0, 1]' })
    .max(1, { error: 'expected a number in (0, 1]' })
    .meta({ description });
const count = (description: string) =>
  z.int({ error: 'expected an integer >= 1' }).min(1, { error: 'expected an integer >= 1' }).meta({ description });

export const SloCheckSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[\w.:/-]{1,128}$/, { error: 'expected a check name of 1-128 [A-Za-z0-9_.:/-]' })
      .meta({ description: 'Check name (the `check` label of omnimeter_health_status).' }),
    condition: ConditionSchema,
    for: duration('The condition must hold this long before the check degrades.').default('1m'),
    status: z
      .enum(['degraded', 'unhealthy'], { error: 'expected "degraded" or "unhealthy"' })
      .default('degraded')
      .meta({ description: 'What a breached SLO makes the check.' }),
    critical: flag('An unhealthy critical check makes readiness fail (503).', false),
  })
  .meta({
    title: 'SLO check',
    description: 'Degradation detected from metrics: an error ratio or latency quantile over an SLO for a window.',
  });

export const HealthSchema = z
  .strictObject({
    enabled: flag('Serve /healthz and /readyz and run checks. Off by default.', false),
    livenessPath: path('/healthz', 'Liveness endpoint: fails only when a restart would help.'),
    readinessPath: path('/readyz', 'Readiness endpoint: 503 when a critical check is unhealthy; 200 with reasons when degraded.'),
    interval: duration('How often checks run in the background (health metrics, recovery).').default('10s'),
    timeout: duration('Default time limit of one check.').default('2s'),
    cache: duration('A report is reused this long (a flood of probes runs the checks once).').default('1s'),
    requireChecks: flag('With no enabled checks, report not ready instead of ready-with-a-note.', false),
    exporters: z
      .strictObject({
        enabled: flag("A check per push exporter: its last success and error streak (from omnimeter's own counters).", true),
        critical: flag('A failing exporter makes the application not ready.', false),
        unhealthyAfter: count('Consecutive failed attempts that make it unhealthy (fewer: degraded).').default(3),
      })
      .default({ enabled: true, critical: false, unhealthyAfter: 3 })
      .meta({ description: 'Automatic exporter checks (`exporter:<name>`).' }),
    components: z
      .strictObject({
        enabled: flag('A check per WebAssembly component: trapped instances and error rate.', true),
        critical: flag('A trapped instance makes the application not ready.', true),
        errorRatio: ratio('Share of failed invocations over the window that degrades the component.').default(0.5),
        window: duration('Window of the error ratio.').default('1m'),
      })
      .default({ enabled: true, critical: true, errorRatio: 0.5, window: '1m' })
      .meta({ description: 'Automatic component checks (`component:<name>`).' }),
    series: z
      .strictObject({
        enabled: flag('A check of series-limit pressure: metrics near or over retention.maxSeries.', true),
        pressure: ratio('Fraction of the series limit at which a metric degrades the check.').default(0.8),
      })
      .default({ enabled: true, pressure: 0.8 })
      .meta({ description: 'Automatic series-limit check (`series`); never critical.' }),
    slo: z
      .array(SloCheckSchema, { error: 'expected a list of SLO checks' })
      .default([])
      .meta({ description: 'Checks derived from metrics.' }),
    recovery: z
      .strictObject({
        enabled: flag('Run recovery actions (re-instantiate a trapped component, reconnect an exporter) for unhealthy checks.', true),
        maxAttempts: count('Attempts per failure streak.').default(3),
        backoff: duration('Wait between attempts.').default('30s'),
      })
      .default({ enabled: true, maxAttempts: 3, backoff: '30s' })
      .meta({ description: 'Automated recovery; attempts and successes are counted.' }),
  })
  .meta({ description: 'Health checks, liveness and readiness (docs/health-and-alerting.md).' });

export type HealthConfig = z.output<typeof HealthSchema>;
export type SloCheckConfig = z.output<typeof SloCheckSchema>;
