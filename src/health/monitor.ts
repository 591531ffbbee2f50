/**
 * Health as metrics, and automated recovery. After every readiness run:
 *   omnimeter_health_status{check}          1 healthy, 0.5 degraded, 0 unhealthy
 *   omnimeter_health_overall_status{scope}  the same for the whole report
 *   omnimeter_health_check_duration_seconds{check}
 * A recovery action registered for a check runs when the check has been
 * unhealthy for `afterFailures` runs, at most `maxAttempts` times per failure
 * streak and `backoffMs` apart, in the background; an attempt succeeds when
 * the check is no longer unhealthy right after it. Attempts and successes are
 * counted in omnimeter_health_recovery_{attempts,successes}_total{check}.
 * An action that is not `due` (someone else, such as the component host, is
 * already recovering) is neither run nor counted.
 */
import type { Counter, Gauge, Histogram } from '../api/instruments.js';
import type { Metrics } from '../api/metrics.js';
import type { Scheduler } from '../core/scheduler.js';
import type { HealthReport, HealthStatus, Scope } from './registry.js';

export const STATUS_VALUE: Record<HealthStatus, number> = { healthy: 1, degraded: 0.5, unhealthy: 0 };

export interface RecoveryAction {
  /** What it does, for logs ("re-instantiate json-tool/demo"). */
  description: string;
  run(): void | Promise<void>;
  /** Consecutive unhealthy runs before the first attempt. Default 1. */
  afterFailures?: number;
  /** False while there is nothing for the action to do (another mechanism is on it). Default: always due. */
  due?(): boolean;
}

/** Supplies the built-in action of a check that has none registered (checks that appear at runtime). */
export type RecoveryProvider = (check: string) => RecoveryAction | undefined;

export interface RecoveryPolicy {
  maxAttempts: number;
  backoffMs: number;
}

interface Streak {
  failures: number;
  attempts: number;
  lastAttemptAt: number;
  running: boolean;
}

export class HealthMonitor {
  private readonly status: Gauge<'check'>;
  private readonly overallStatus: Gauge<'scope'>;
  private readonly duration: Histogram<'check'>;
  private readonly attempts: Counter<'check'>;
  private readonly successes: Counter<'check'>;
  private readonly actions = new Map<string, RecoveryAction>();
  private readonly providers: RecoveryProvider[] = [];
  private readonly streaks = new Map<string, Streak>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    metrics: Metrics,
    private readonly scheduler: Scheduler,
    private readonly policy: RecoveryPolicy | undefined,
    /** Re-runs the checks without the cache: how an attempt learns whether it worked. */
    private readonly recheck: () => Promise<HealthReport>,
    private readonly log: (message: string) => void,
  ) {
    this.status = metrics.gauge('omnimeter_health_status', {
      help: 'Health of each check: 1 healthy, 0.5 degraded, 0 unhealthy.',
      labelNames: ['check'],
    });
    this.overallStatus = metrics.gauge('omnimeter_health_overall_status', {
      help: 'Health of the whole report by scope (readiness, liveness): 1 healthy, 0.5 degraded, 0 unhealthy.',
      labelNames: ['scope'],
    });
    this.duration = metrics.histogram('omnimeter_health_check_duration_seconds', {
      help: 'Time each health check took.',
      labelNames: ['check'],
      unit: 'seconds',
      buckets: [0.0001, 0.001, 0.01, 0.1, 0.5, 1, 2, 5],
    });
    this.attempts = metrics.counter('omnimeter_health_recovery_attempts_total', {
      help: 'Recovery actions started, by check.',
      labelNames: ['check'],
    });
    this.successes = metrics.counter('omnimeter_health_recovery_successes_total', {
      help: 'Recovery actions after which the check was no longer unhealthy.',
      labelNames: ['check'],
    });
  }

  addRecovery(check: string, action: RecoveryAction): void {
    this.actions.set(check, action);
  }

  /** Adds built-in actions; one registered with addRecovery for the same check wins. */
  addProvider(provider: RecoveryProvider): void {
    this.providers.push(provider);
  }

  private actionFor(check: string): RecoveryAction | undefined {
    const explicit = this.actions.get(check);
    if (explicit) return explicit;
    for (const provider of this.providers) {
      const action = provider(check);
      if (action) return action;
    }
    return undefined;
  }

  /** Records a report; on readiness runs, starts the recovery attempts that are due. */
  observe(report: HealthReport, scope: Scope): void {
    this.overallStatus.set({ scope }, STATUS_VALUE[report.status]);
    for (const c of report.checks) {
      this.status.set({ check: c.name }, STATUS_VALUE[c.status]);
      if (!c.skipped) this.duration.observe({ check: c.name }, c.durationMs / 1000);
    }
    if (scope !== 'readiness' || !this.policy) return;
    const now = this.scheduler.now();
    for (const c of report.checks) {
      const action = this.actionFor(c.name);
      if (!action) continue;
      let streak = this.streaks.get(c.name);
      if (c.status !== 'unhealthy') {
        this.streaks.delete(c.name);
        continue;
      }
      if (!streak)
        this.streaks.set(c.name, (streak = { failures: 0, attempts: 0, lastAttemptAt: Number.NEGATIVE_INFINITY, running: false }));
      streak.failures++;
      const due =
        !streak.running &&
        streak.failures >= (action.afterFailures ?? 1) &&
        streak.attempts < this.policy.maxAttempts &&
        now - streak.lastAttemptAt >= this.policy.backoffMs &&
        action.due?.() !== false;
      if (due) this.attempt(c.name, action, streak, now);
    }
  }

  private attempt(check: string, action: RecoveryAction, streak: Streak, now: number): void {
    streak.attempts++;
    streak.lastAttemptAt = now;
    streak.running = true;
    this.attempts.inc({ check });
    this.log(`omnimeter: ${check} is unhealthy; recovery attempt ${streak.attempts}/${this.policy!.maxAttempts}: ${action.description}`);
    const run = (async () => {
      try {
        await action.run();
        const after = (await this.recheck()).checks.find((c) => c.name === check);
        if (after && after.status !== 'unhealthy') {
          this.successes.inc({ check });
          this.log(`omnimeter: ${check} recovered (${after.status})`);
        } else this.log(`omnimeter: ${check} still unhealthy after ${action.description}${after?.reason ? `: ${after.reason}` : ''}`);
      } catch (error) {
        this.log(`omnimeter: recovery of ${check} failed: ${(error as Error).message}`);
      } finally {
        streak.running = false;
      }
    })();
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** Resolves when no recovery action is running. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all(this.inFlight);
  }
}
