/**
 * Alerting in process: rules evaluated on a shared Sampler's history, alerts
 * routed, grouped, de-duplicated, silenced and inhibited, then delivered by
 * one worker per channel (the delivery mechanism push exporters use too). Built from the configuration's `alerting` section;
 * channels can be replaced by name (tests, custom transports).
 */
import type { Counter, Gauge } from '../api/instruments.js';
import type { Metrics } from '../api/metrics.js';
import type { AlertingConfig } from '../config/alerting-schema.js';
import { durationMs } from '../config/alerting-schema.js';
import { DeliveryWorker } from '../core/delivery.js';
import type { Scheduler } from '../core/scheduler.js';
import { buildChannel } from './channels.js';
import { channelDestination, dispatchCounters } from './dispatcher.js';
import type { Channel, Envelope } from './notification.js';
import { Router } from './router.js';
import { type AlertSnapshot, AlertRule, type RuleStatus } from './rules.js';
import type { Sampler } from './sampler.js';
import { Inhibitor, type Silence, type SilenceInput, Silences } from './silences.js';

export type { AlertSnapshot, AlertState, RuleStatus } from './rules.js';
export type { Channel, Envelope, Notification, NotifiedAlert } from './notification.js';
export type { Silence, SilenceInput } from './silences.js';
export { exportRules } from './export.js';

export interface AlertingOptions {
  config: AlertingConfig;
  /** Where omnimeter_alerting_* self-metrics go. */
  metrics: Metrics;
  sampler: Sampler;
  /** Channels by name, replacing (or adding to) those the configuration builds. */
  channels?: Readonly<Record<string, Channel>>;
  warn?: (message: string) => void;
  /** Called after every evaluation with the alerts that are pending, firing or recently resolved. */
  onEvaluation?: (alerts: readonly AlertSnapshot[]) => void;
}

export class Alerting {
  readonly silences: Silences;
  private readonly rules: AlertRule[];
  private readonly router: Router;
  private readonly inhibitor: Inhibitor;
  private readonly workers = new Map<string, { channel: Channel; delivery: DeliveryWorker<Envelope> }>();
  private readonly scheduler: Scheduler;
  private readonly states: Gauge<'alertname' | 'alertstate' | 'severity'>;
  private readonly evaluations: Counter<'rule'>;
  private readonly failures: Counter<'rule'>;
  private latest: readonly AlertSnapshot[] = [];
  private closed = false;

  constructor(private readonly options: AlertingOptions) {
    const { config, metrics, sampler } = options;
    this.scheduler = sampler.scheduler;
    this.rules = config.rules.map((r) => new AlertRule(r));
    sampler.history.want(
      this.rules.flatMap((r) => r.condition.names),
      Math.max(0, ...this.rules.map((r) => r.condition.lookbackMs)) + 3 * sampler.intervalMs,
    );
    this.silences = new Silences(() => this.scheduler.now());
    for (const s of config.silences) this.silences.addFromConfig(s);
    this.inhibitor = new Inhibitor(config.inhibit);
    const counters = dispatchCounters(metrics);
    const warn = options.warn ?? ((m: string) => console.warn(m));
    for (const c of config.channels) {
      const channel = options.channels?.[c.name] ?? buildChannel(c, () => this.scheduler.now());
      const retry = {
        timeoutMs: durationMs(c.timeout),
        maxQueue: c.maxQueue,
        initialBackoffMs: durationMs(c.retry.initialBackoff),
        maxBackoffMs: durationMs(c.retry.maxBackoff),
        giveUpAfterMs: durationMs(c.retry.giveUpAfter),
      };
      const delivery = new DeliveryWorker(channelDestination(channel, counters), retry, warn, this.scheduler);
      this.workers.set(c.name, { channel, delivery });
    }
    const sendResolved = new Map(config.channels.map((c) => [c.name, c.sendResolved]));
    this.router = new Router({
      config,
      scheduler: this.scheduler,
      dispatch: (channel, envelope) => this.workers.get(channel)?.delivery.enqueue(envelope),
      sendResolved: (channel) => sendResolved.get(channel) ?? true,
      muted: (alert) =>
        this.silences.silencedBy(alert.labels)
          ? 'silenced'
          : this.inhibitor.inhibited(alert.labels, alert.fingerprint)
            ? 'inhibited'
            : undefined,
      // As Prometheus sets endsAt: four evaluation intervals.
      validityMs: 4 * Math.max(sampler.intervalMs, 60_000),
    });
    this.states = metrics.gauge('omnimeter_alerts', {
      help: 'Alerts by rule and state (pending, firing, resolved), as Prometheus ALERTS.',
      labelNames: ['alertname', 'alertstate', 'severity'],
    });
    this.evaluations = metrics.counter('omnimeter_alerting_evaluations_total', { help: 'Rule evaluations.', labelNames: ['rule'] });
    this.failures = metrics.counter('omnimeter_alerting_evaluation_failures_total', {
      help: 'Rule evaluations that failed (the rule kept its alerts).',
      labelNames: ['rule'],
    });
    sampler.onSample((t) => void this.evaluate(t));
  }

  /** Evaluates every rule at `t` on the sampler's history and routes the result. */
  evaluate(t: number): readonly AlertSnapshot[] {
    if (this.closed) return this.latest;
    const history = this.options.sampler.history;
    for (const rule of this.rules) {
      rule.evaluate(history, t);
      this.evaluations.inc({ rule: rule.name });
      if (rule.health.health === 'error') this.failures.inc({ rule: rule.name });
    }
    const alerts = this.rules.flatMap((r) => r.alerts());
    this.latest = alerts;
    this.recordStates(alerts);
    this.inhibitor.update(alerts);
    this.router.receive(alerts);
    this.options.onEvaluation?.(alerts);
    return alerts;
  }

  private recordStates(alerts: readonly AlertSnapshot[]): void {
    for (const rule of this.rules)
      for (const state of ['pending', 'firing', 'resolved'] as const) {
        const n = alerts.filter((a) => a.rule === rule.name && a.state === state).length;
        this.states.set({ alertname: rule.name, alertstate: state, severity: rule.config.severity }, n);
      }
  }

  /** Alerts pending, firing or resolved within the last 15 minutes, as of the latest evaluation. */
  alerts(): readonly AlertSnapshot[] {
    return this.latest;
  }

  ruleStatus(): RuleStatus[] {
    return this.rules.map((r) => r.health);
  }

  silence(input: SilenceInput): Silence {
    return this.silences.add(input);
  }

  expireSilence(id: string): boolean {
    return this.silences.expire(id);
  }

  /** Resolves once every channel's queue is empty. */
  async idle(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.delivery.idle()));
  }

  /** Notifications waiting in channel queues. */
  pending(): number {
    return [...this.workers.values()].reduce((n, w) => n + w.delivery.pending, 0);
  }

  /**
   * Stops evaluating, notifies every group that has news (a group still in
   * its groupWait is notified now rather than lost) and drains the queues,
   * retrying until `timeoutMs`, then drops (and counts) what is left.
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.router.flushAll();
    this.router.stop();
    const deadline = this.scheduler.now() + timeoutMs;
    await Promise.all(
      [...this.workers.values()].map(async ({ channel, delivery }) => {
        await delivery.close(deadline);
        await channel.close?.().catch(() => {});
      }),
    );
  }
}
