/**
 * Named health checks and the status model. A check is a function, sync or
 * async, that answers healthy, degraded or unhealthy with a reason; it runs
 * under a timeout (an abort signal tells it to stop), may depend on other
 * checks (a dependent of an unhealthy check is not run: it is unhealthy
 * "because of" its dependency), and is critical or not:
 *   - any critical check unhealthy → unhealthy (not ready: 503);
 *   - otherwise any check degraded, or a non-critical one unhealthy → degraded (ready, 200, with reasons);
 *   - otherwise healthy.
 * Readiness runs every enabled check; liveness only those marked `liveness`.
 * With nothing to run the report says so in `note`, never a silent "ok".
 * Concurrent runs share one evaluation, and results are reused for `cacheMs`.
 */
import { type Scheduler, realScheduler } from '../core/scheduler.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface CheckResult {
  status: HealthStatus;
  reason?: string;
}

/** What a check may return: a result, a status, true/undefined (healthy) or false (unhealthy). Throwing is unhealthy. */
export type CheckOutcome = CheckResult | HealthStatus | boolean | undefined | void;
export type CheckFunction = (signal: AbortSignal) => CheckOutcome | Promise<CheckOutcome>;

export interface CheckOptions {
  /** An unhealthy critical check makes the whole report unhealthy (readiness 503). Default true. */
  critical?: boolean;
  /** Also part of liveness (/healthz). Default false: liveness should only fail when a restart helps. */
  liveness?: boolean;
  /** Longer than this is unhealthy ("timed out"). Default: the registry's. */
  timeoutMs?: number;
  /** Checks that must not be unhealthy for this one to run. */
  dependsOn?: readonly string[];
  /** Default true; disabled checks are not run nor reported. */
  enabled?: boolean;
}

export interface CheckReport {
  readonly name: string;
  readonly status: HealthStatus;
  readonly reason?: string;
  readonly critical: boolean;
  readonly durationMs: number;
  /** Not run because a dependency was unhealthy. */
  readonly skipped?: boolean;
}

export interface HealthReport {
  readonly status: HealthStatus;
  readonly checks: readonly CheckReport[];
  /** Said when the status rests on nothing (no checks) or on configuration (requireChecks). */
  readonly note?: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

export type Scope = 'readiness' | 'liveness';

interface Registered extends Required<Omit<CheckOptions, 'timeoutMs'>> {
  name: string;
  run: CheckFunction;
  timeoutMs: number | undefined;
}

export interface HealthRegistryOptions {
  /** Default per-check timeout. Default 2 s. */
  timeoutMs?: number;
  /** Reuse a report this long. Default 1 s. */
  cacheMs?: number;
  /** With no enabled checks, report unhealthy instead of healthy-with-a-note. Default false. */
  requireChecks?: boolean;
  scheduler?: Scheduler;
  /** Called after every run (health metrics, recovery). */
  onReport?: (report: HealthReport, scope: Scope) => void;
}

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

function normalize(outcome: CheckOutcome): CheckResult {
  if (outcome === undefined || outcome === true) return { status: 'healthy' };
  if (outcome === false) return { status: 'unhealthy', reason: 'check returned false' };
  if (typeof outcome === 'string') return { status: outcome };
  return outcome;
}

/** The overall status of a set of check reports. */
export function overall(checks: readonly CheckReport[]): HealthStatus {
  let status: HealthStatus = 'healthy';
  for (const c of checks) {
    const effective: HealthStatus = c.status === 'unhealthy' && !c.critical ? 'degraded' : c.status;
    if (RANK[effective] > RANK[status]) status = effective;
  }
  return status;
}

export class HealthRegistry {
  private readonly checks = new Map<string, Registered>();
  private readonly scheduler: Scheduler;
  private readonly cached = new Map<Scope, { at: number; report: Promise<HealthReport> }>();

  constructor(private readonly options: HealthRegistryOptions = {}) {
    this.scheduler = options.scheduler ?? realScheduler;
  }

  /** Adds (or replaces) a check; returns a function that removes it. */
  register(name: string, run: CheckFunction, options: CheckOptions = {}): () => void {
    if (typeof name !== 'string' || !/^[\w.:/-]{1,128}$/.test(name))
      throw new RangeError(`health check name: expected 1-128 of [A-Za-z0-9_.:/-], got ${JSON.stringify(name)}`);
    if (typeof run !== 'function') throw new TypeError(`health check ${name}: expected a function`);
    const entry: Registered = {
      name,
      run,
      critical: options.critical ?? true,
      liveness: options.liveness ?? false,
      timeoutMs: options.timeoutMs,
      dependsOn: options.dependsOn ?? [],
      enabled: options.enabled ?? true,
    };
    this.checks.set(name, entry);
    this.cached.clear();
    return () => {
      if (this.checks.get(name) === entry) this.checks.delete(name);
      this.cached.clear();
    };
  }

  setEnabled(name: string, enabled: boolean): void {
    const check = this.checks.get(name);
    if (!check) throw new RangeError(`no health check named ${JSON.stringify(name)}`);
    check.enabled = enabled;
    this.cached.clear();
  }

  /** Forgets cached reports: the next run evaluates. */
  invalidate(): void {
    this.cached.clear();
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  /** Runs the checks of `scope` (or reuses a report younger than cacheMs). */
  run(scope: Scope = 'readiness'): Promise<HealthReport> {
    const now = this.scheduler.now();
    const hit = this.cached.get(scope);
    if (hit && now - hit.at < (this.options.cacheMs ?? 1000)) return hit.report;
    const report = this.evaluate(scope);
    this.cached.set(scope, { at: now, report });
    return report;
  }

  private async evaluate(scope: Scope): Promise<HealthReport> {
    const selected = [...this.checks.values()].filter((c) => c.enabled && (scope === 'readiness' || c.liveness));
    const byName = new Map(selected.map((c) => [c.name, c]));
    const results = new Map<string, Promise<CheckReport>>();
    const runOne = (check: Registered, path: readonly string[]): Promise<CheckReport> => {
      let result = results.get(check.name);
      if (!result) {
        result = this.runWithDependencies(check, path, byName, runOne);
        results.set(check.name, result);
      }
      return result;
    };
    const checks = await Promise.all(selected.map((c) => runOne(c, [])));
    const time = this.scheduler.now();
    let report: HealthReport;
    if (checks.length === 0) {
      const what = scope === 'liveness' ? 'no liveness checks registered' : 'no health checks registered or enabled';
      report = this.options.requireChecks
        ? { status: 'unhealthy', checks, note: `${what}, and requireChecks is set: not reporting ready on no evidence`, time }
        : { status: 'healthy', checks, note: `${what}: this only shows that the process answers`, time };
    } else report = { status: overall(checks), checks, time };
    this.options.onReport?.(report, scope);
    return report;
  }

  private async runWithDependencies(
    check: Registered,
    path: readonly string[],
    byName: ReadonlyMap<string, Registered>,
    runOne: (c: Registered, path: readonly string[]) => Promise<CheckReport>,
  ): Promise<CheckReport> {
    const base = { name: check.name, critical: check.critical };
    if (path.includes(check.name))
      return {
        ...base,
        status: 'unhealthy',
        reason: `dependency cycle: ${[...path, check.name].join(' → ')}`,
        durationMs: 0,
        skipped: true,
      };
    for (const dep of check.dependsOn) {
      const target = byName.get(dep) ?? this.checks.get(dep);
      if (!target) return { ...base, status: 'unhealthy', reason: `depends on unknown check "${dep}"`, durationMs: 0, skipped: true };
      if (!target.enabled) continue;
      const depReport = await runOne(target, [...path, check.name]);
      if (depReport.status === 'unhealthy')
        return {
          ...base,
          status: 'unhealthy',
          reason: `dependency ${dep} is unhealthy${depReport.reason ? ` (${depReport.reason})` : ''}`,
          durationMs: 0,
          skipped: true,
        };
    }
    return this.runTimed(check);
  }

  private async runTimed(check: Registered): Promise<CheckReport> {
    const timeoutMs = check.timeoutMs ?? this.options.timeoutMs ?? 2000;
    const controller = new AbortController();
    const started = performance.now();
    let cancel: (() => void) | undefined;
    const timeout = new Promise<CheckResult>((resolve) => {
      cancel = this.scheduler.setTimeout(() => {
        controller.abort();
        resolve({ status: 'unhealthy', reason: `timed out after ${timeoutMs} ms` });
      }, timeoutMs);
    });
    let result: CheckResult;
    try {
      result = await Promise.race([
        Promise.resolve()
          .then(() => check.run(controller.signal))
          .then(normalize),
        timeout,
      ]);
    } catch (error) {
      result = { status: 'unhealthy', reason: error instanceof Error ? error.message : String(error) };
    } finally {
      cancel?.();
    }
    if (!(result.status in RANK))
      result = { status: 'unhealthy', reason: `check returned an invalid status ${JSON.stringify(result.status)}` };
    return {
      name: check.name,
      status: result.status,
      ...(result.reason ? { reason: result.reason } : {}),
      critical: check.critical,
      durationMs: performance.now() - started,
    };
  }
}
