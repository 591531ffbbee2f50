/**
 * Health and alerting for createMetrics: one Sampler collecting the registry
 * at the shorter of the two intervals feeds both, so they never collect
 * twice. Nothing is built, and no timer started, unless the configuration
 * enables a section (and metrics are enabled).
 */
import type { Metrics } from '../api/metrics.js';
import { Alerting } from '../alerting/index.js';
import type { Channel } from '../alerting/notification.js';
import { Sampler } from '../alerting/sampler.js';
import { durationMs } from '../config/alerting-schema.js';
import type { MetricsConfig } from '../config/schema.js';
import type { Scheduler } from '../core/scheduler.js';
import { type ExporterRecovery, Health } from '../health/index.js';

export interface WatchOptions {
  /** A manual clock for tests; default real time. */
  scheduler?: Scheduler;
  /** Alert channels by name, replacing or adding to those configured. */
  alertChannels?: Readonly<Record<string, Channel>>;
}

export interface Watch {
  readonly health: Health | undefined;
  readonly alerting: Alerting | undefined;
  readonly sampler: Sampler | undefined;
  start(): void;
  /** Stops sampling, notifies pending alert groups and drains channel queues (bounded by `timeoutMs`). */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** `exporters`: the export pipeline, for the reconnect recovery action. */
export function buildWatch(
  metrics: Metrics,
  config: MetricsConfig,
  maxSeries: number,
  options: WatchOptions = {},
  exporters?: ExporterRecovery,
): Watch {
  const healthConfig = config.enabled && config.health?.enabled ? config.health : undefined;
  const alertingConfig = config.enabled && config.alerting?.enabled ? config.alerting : undefined;
  const intervals = [healthConfig && durationMs(healthConfig.interval), alertingConfig && durationMs(alertingConfig.evaluationInterval)];
  const intervalMs = Math.min(...intervals.filter((i): i is number => i !== undefined));
  const sampler = Number.isFinite(intervalMs)
    ? new Sampler({ collect: () => metrics.registry.collect(), intervalMs, scheduler: options.scheduler })
    : undefined;
  const health = healthConfig && sampler && new Health({ config: healthConfig, metrics, sampler, maxSeries, exporters });
  const alerting = alertingConfig && sampler && new Alerting({ config: alertingConfig, metrics, sampler, channels: options.alertChannels });
  return {
    health,
    alerting,
    sampler,
    start: () => sampler?.start(),
    async shutdown(timeoutMs = 10_000) {
      sampler?.stop();
      await Promise.all([alerting?.shutdown(timeoutMs), health?.monitor.idle()]);
    },
  };
}
