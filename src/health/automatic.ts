/**
 * Checks for what omnimeter itself runs, derived from its own metrics on the
 * shared sampler (no reaching into exporter or host internals):
 *   - `exporter:<name>`: error streak and last success, from
 *     omnimeter_exporter_exports_total / _failures_total;
 *   - `component:<name>`: trapped instances (omnimeter_wasm_instance_healthy)
 *     and the error ratio of invocations over a window;
 *   - `series`: metrics near or over their series limit, and recordings
 *     redirected to overflow series;
 *   - SLO checks: an alert condition (error ratio, latency quantile...) that
 *     holds for a window degrades the check.
 * Checks appear as the sampler first sees an exporter or component.
 */
import type { FamilySnapshot } from '../api/snapshot.js';
import { AlertRule } from '../alerting/rules.js';
import type { Sampler } from '../alerting/sampler.js';
import { compileCondition } from '../alerting/conditions.js';
import type { HealthConfig, SloCheckConfig } from '../config/health-schema.js';
import { durationMs } from '../config/alerting-schema.js';
import { parseSelector } from '../config/selector.js';
import type { CheckOptions, CheckResult, HealthRegistry } from './registry.js';

const EXPORTS = 'omnimeter_exporter_exports_total';
const FAILURES = 'omnimeter_exporter_failures_total';
const INSTANCE_HEALTHY = 'omnimeter_wasm_instance_healthy';
const INVOCATIONS = 'omnimeter_wasm_invocations_total';
const OVERFLOW = 'omnimeter_cardinality_overflow_total';

const ago = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

/** Registers `exporter:<name>` for each push exporter as it appears. */
export function exporterChecks(
  registry: HealthRegistry,
  sampler: Sampler,
  config: HealthConfig['exporters'],
  options: CheckOptions = {},
): void {
  sampler.history.want([EXPORTS, FAILURES], 3 * sampler.intervalMs);
  const state = new Map<string, { exports: number; failures: number; streak: number; lastSuccess?: number; since: number }>();
  // Runs on every sample and before a check reads the state, so a check run right after a
  // refresh (a recovery action judged) sees the latest counters. Idempotent: it works on counter increases.
  const update = (t: number) => {
    const value = (name: string) =>
      new Map(sampler.history.instant(parseSelector(name), t).map((s) => [s.labels.exporter ?? '', s.value] as const));
    const exports = value(EXPORTS);
    const failures = value(FAILURES);
    for (const name of new Set([...exports.keys(), ...failures.keys()])) {
      const e = exports.get(name) ?? 0;
      const f = failures.get(name) ?? 0;
      let s = state.get(name);
      if (!s) {
        state.set(name, (s = { exports: 0, failures: 0, streak: 0, since: t }));
        registry.register(
          `exporter:${name}`,
          () => {
            update(sampler.history.latest);
            return exporterStatus(name, state.get(name)!, sampler.scheduler.now(), config);
          },
          { critical: config.critical, ...options },
        );
      }
      if (e > s.exports) {
        s.streak = 0;
        s.lastSuccess = t;
      }
      // Failures since the last delivery make the streak; a delivery in the same interval resets it.
      s.streak += e > s.exports ? 0 : Math.max(0, f - s.failures);
      s.exports = e;
      s.failures = f;
    }
  };
  sampler.onSample(update);
}

function exporterStatus(
  name: string,
  s: { streak: number; lastSuccess?: number; since: number },
  now: number,
  config: HealthConfig['exporters'],
): CheckResult {
  const last = s.lastSuccess === undefined ? `no delivery in ${ago(now - s.since)}` : `last delivery ${ago(now - s.lastSuccess)} ago`;
  if (s.streak === 0) return { status: 'healthy', reason: last };
  const reason = `${s.streak} consecutive failed export attempt(s); ${last}`;
  return { status: s.streak >= config.unhealthyAfter ? 'unhealthy' : 'degraded', reason };
}

/**
 * Registers `component:<name>` for each WebAssembly component as it appears.
 * `note` adds what the component's host is doing about a stopped instance.
 */
export function componentChecks(
  registry: HealthRegistry,
  sampler: Sampler,
  config: HealthConfig['components'],
  note: (component: string) => string | undefined = () => undefined,
  options: CheckOptions = {},
): void {
  const windowMs = durationMs(config.window);
  const ratio = compileCondition({
    kind: 'ratio',
    selector: `${INVOCATIONS}{status=~"error|trap|timeout"}`,
    denominator: INVOCATIONS,
    window: windowMs / 1000,
    op: '>=',
    threshold: 0,
    by: ['component'],
  });
  sampler.history.want([INSTANCE_HEALTHY, ...ratio.names], windowMs + 3 * sampler.intervalMs);
  const known = new Set<string>();
  const statusOf = (component: string): CheckResult => {
    const t = sampler.history.latest;
    const trapped = sampler.history
      .instant(parseSelector(INSTANCE_HEALTHY), t)
      .filter((s) => s.labels.component === component && s.value === 0)
      .map((s) => s.labels.component_instance ?? '?');
    if (trapped.length) {
      const host = note(component);
      return { status: 'unhealthy', reason: `instance(s) ${trapped.join(', ')} trapped and are isolated${host ? `: ${host}` : ''}` };
    }
    const errors = ratio.evaluate(sampler.history, t).find((s) => s.labels.component === component)?.value;
    if (errors !== undefined && errors >= config.errorRatio)
      return { status: 'degraded', reason: `${(errors * 100).toFixed(1)}% of invocations failed over ${config.window}` };
    return { status: 'healthy', ...(errors !== undefined ? { reason: `${(errors * 100).toFixed(1)}% failed over ${config.window}` } : {}) };
  };
  sampler.onSample((t) => {
    for (const s of sampler.history.instant(parseSelector(INSTANCE_HEALTHY), t)) {
      const component = s.labels.component;
      if (component === undefined || known.has(component)) continue;
      known.add(component);
      registry.register(`component:${component}`, () => statusOf(component), { critical: config.critical, ...options });
    }
  });
}

/**
 * Registers `series`: degraded while a metric is over `pressure` of its limit,
 * or while recordings went to an overflow series in the last three samples.
 */
export function seriesCheck(registry: HealthRegistry, sampler: Sampler, pressure: number, maxSeries: number): void {
  sampler.history.want([OVERFLOW], 3 * sampler.intervalMs);
  const windowMs = 3 * sampler.intervalMs;
  const totals = new Map<string, number>();
  const grewAt = new Map<string, number>();
  let worst: { name: string; series: number } | undefined;
  sampler.onSample((t, families: readonly FamilySnapshot[]) => {
    worst = undefined;
    for (const f of families) if (!worst || f.series.length > worst.series) worst = { name: f.name, series: f.series.length };
    for (const s of sampler.history.instant(parseSelector(OVERFLOW), t)) {
      const metric = s.labels.metric ?? '';
      if (s.value > (totals.get(metric) ?? 0)) grewAt.set(metric, t);
      totals.set(metric, s.value);
    }
  }, true);
  registry.register(
    'series',
    () => {
      const now = sampler.history.latest;
      const overflowing = [...grewAt].filter(([, at]) => now - at <= windowMs).map(([metric]) => metric);
      if (overflowing.length) return { status: 'degraded', reason: `recordings go to overflow series: ${overflowing.join(', ')}` };
      if (worst && worst.series >= pressure * maxSeries)
        return { status: 'degraded', reason: `${worst.name} holds ${worst.series} of ${maxSeries} series` };
      return { status: 'healthy', ...(worst ? { reason: `largest: ${worst.name} with ${worst.series} of ${maxSeries} series` } : {}) };
    },
    { critical: false },
  );
}

/** Registers one check per SLO: an alert condition evaluated on every sample, breached after `for`. */
export function sloChecks(registry: HealthRegistry, sampler: Sampler, slos: readonly SloCheckConfig[]): void {
  for (const slo of slos) {
    const rule = new AlertRule({
      name: 'slo',
      condition: slo.condition,
      for: slo.for,
      keepFiringFor: 0,
      severity: 'warning',
      labels: {},
      annotations: {},
    });
    sampler.history.want(rule.condition.names, rule.condition.lookbackMs + 3 * sampler.intervalMs);
    sampler.onSample((t) => rule.evaluate(sampler.history, t));
    registry.register(
      slo.name,
      () => {
        const alerts = rule.alerts();
        const firing = alerts.filter((a) => a.state === 'firing');
        const describe = (a: (typeof alerts)[number]) => {
          const labels = Object.entries(a.labels).filter(([k]) => k !== 'alertname' && k !== 'severity');
          return `${Number(a.value.toPrecision(4))}${labels.length ? ` (${labels.map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}`;
        };
        const c = slo.condition;
        const objective = 'op' in c ? `${c.op} ${c.threshold}` : c.kind;
        if (firing.length)
          return { status: slo.status, reason: `${c.kind} ${firing.map(describe).join('; ')} ${objective} for ${slo.for}` };
        const pending = alerts.filter((a) => a.state === 'pending');
        return {
          status: 'healthy',
          ...(pending.length ? { reason: `breached, not yet for ${slo.for}: ${pending.map(describe).join('; ')}` } : {}),
        };
      },
      { critical: slo.critical },
    );
  }
}
