/**
 * Health for an application and for omnimeter itself: the check registry,
 * automatic checks (exporters, components, series limit, SLOs) on the shared
 * sampler, health as metrics, and recovery actions: built in (reconnect an
 * exporter whose error streak made its check unhealthy; re-instantiate a
 * component instance its host will not) and the application's own. Built from
 * the configuration's `health` section; `register()` adds the application's checks.
 */
import type { Metrics } from '../api/metrics.js';
import type { Sampler } from '../alerting/sampler.js';
import { durationMs } from '../config/alerting-schema.js';
import type { HealthConfig } from '../config/health-schema.js';
import { componentChecks, exporterChecks, seriesCheck, sloChecks } from './automatic.js';
import { type ComponentSource, componentRecovery, hostRecoveryNote } from './components.js';
import { HealthMonitor, type RecoveryAction } from './monitor.js';
import { type CheckFunction, type CheckOptions, type HealthReport, HealthRegistry, type Scope } from './registry.js';

export type { CheckFunction, CheckOptions, CheckReport, CheckResult, HealthReport, HealthStatus, Scope } from './registry.js';
export type { RecoveryAction, RecoveryProvider } from './monitor.js';
export type { ComponentSource, WatchedInstance } from './components.js';
export { HealthRegistry, overall } from './registry.js';
export { healthResponse, wantsJson, type HealthResponse } from './http.js';

export interface HealthOptions {
  config: HealthConfig;
  metrics: Metrics;
  sampler: Sampler;
  /** The series limit the `series` check measures against. */
  maxSeries: number;
  /** Push exporters that can reconnect (the export pipeline): their checks get a reconnect action. */
  exporters?: ExporterRecovery;
  log?: (message: string) => void;
}

/** What the reconnect action needs of the export pipeline. */
export interface ExporterRecovery {
  /** Exporters that have a connection to renew. */
  reconnectable(): readonly string[];
  /** Renews `name`'s connection and retries its waiting batch; resolves with whether it was delivered. */
  reconnect(name: string): Promise<boolean>;
}

export class Health {
  readonly registry: HealthRegistry;
  readonly monitor: HealthMonitor;
  private readonly hosts: ComponentSource[] = [];

  constructor(options: HealthOptions) {
    const { config, metrics, sampler } = options;
    const log = options.log ?? ((m: string) => console.warn(m));
    this.registry = new HealthRegistry({
      timeoutMs: durationMs(config.timeout),
      cacheMs: durationMs(config.cache),
      requireChecks: config.requireChecks,
      scheduler: sampler.scheduler,
      onReport: (report, scope) => this.monitor.observe(report, scope),
    });
    this.monitor = new HealthMonitor(
      metrics,
      sampler.scheduler,
      config.recovery.enabled ? { maxAttempts: config.recovery.maxAttempts, backoffMs: durationMs(config.recovery.backoff) } : undefined,
      // After an action, look at the metrics again before judging it.
      async () => {
        await sampler.refresh();
        return this.fresh('readiness');
      },
      log,
    );
    if (config.exporters.enabled) {
      exporterChecks(this.registry, sampler, config.exporters);
      const exporters = options.exporters;
      const reconnectable = new Set(exporters?.reconnectable() ?? []);
      // Unhealthy means unhealthyAfter failed attempts in a row: the threshold past which a fresh connection is tried.
      this.monitor.addProvider((check) => {
        const name = check.startsWith('exporter:') ? check.slice('exporter:'.length) : undefined;
        if (!exporters || name === undefined || !reconnectable.has(name)) return undefined;
        return { description: `reconnect exporter ${name}`, run: async () => void (await exporters.reconnect(name)) };
      });
    }
    if (config.components.enabled) {
      componentChecks(this.registry, sampler, config.components, (c) => hostRecoveryNote(this.hosts, c, Date.now()));
      this.monitor.addProvider((check) =>
        check.startsWith('component:') && this.hosts.length ? componentRecovery(this.hosts, check.slice('component:'.length)) : undefined,
      );
    }
    if (config.series.enabled) seriesCheck(this.registry, sampler, config.series.pressure, options.maxSeries);
    sloChecks(this.registry, sampler, config.slo);
    // Checks run in the background too, so health metrics stay current and recovery happens without probes.
    sampler.onSample(async () => void (await this.fresh('readiness')));
  }

  /** Adds an application check; returns a function that removes it. */
  register(name: string, check: CheckFunction, options?: CheckOptions): () => void {
    return this.registry.register(name, check, options);
  }

  /**
   * Watches a component host (ComponentHost): component checks say what the
   * host does about a stopped instance, and the built-in recovery
   * re-instantiates (through `reinstantiate()`) the instances the host will
   * not retry itself. Returns a function that stops watching.
   */
  watchComponents(host: ComponentSource): () => void {
    this.hosts.push(host);
    return () => {
      const i = this.hosts.indexOf(host);
      if (i >= 0) this.hosts.splice(i, 1);
    };
  }

  /** Runs `action` when check `name` is unhealthy (see HealthMonitor for the policy). */
  addRecovery(name: string, action: RecoveryAction): void {
    this.monitor.addRecovery(name, action);
  }

  readiness(): Promise<HealthReport> {
    return this.registry.run('readiness');
  }

  liveness(): Promise<HealthReport> {
    return this.registry.run('liveness');
  }

  /** A run that ignores the cache. */
  fresh(scope: Scope): Promise<HealthReport> {
    this.registry.invalidate();
    return this.registry.run(scope);
  }
}
