/**
 * From alerts to notifications, with Alertmanager's semantics: a routing
 * tree (first matching sub-route, or several with `continue`), aggregation
 * groups keyed by the route and the `groupBy` label values, a first
 * notification after `groupWait`, then one check per `groupInterval` that
 * notifies only when something changed (new firing alerts, resolutions) or
 * `repeatInterval` has passed (de-duplication, per receiver, as Alertmanager's
 * notification log does). Escalation adds a second receiver to a group that
 * has been firing for `escalate.after`. Silenced and inhibited alerts are
 * left out at notification time.
 */
import type { AlertingConfig } from '../config/alerting-schema.js';
import { durationMs } from '../config/alerting-schema.js';
import { type Labels, compileMatchers, parseSelector, quote } from '../config/selector.js';
import type { Scheduler } from '../core/scheduler.js';
import { type Envelope, type NotifiedAlert, ZERO_TIME, commonOf } from './notification.js';
import type { AlertSnapshot } from './rules.js';
import { fingerprint } from './rules.js';

interface Route {
  readonly id: string;
  readonly match: (labels: Labels) => boolean;
  readonly channel: string | undefined;
  readonly continue: boolean;
  readonly groupBy: readonly string[];
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly escalate?: { afterMs: number; channel: string };
}

interface Entry {
  alert: AlertSnapshot;
  /** While firing: until when the alert counts as firing without news (Alertmanager's endsAt). */
  validUntil: number;
}

interface Sent {
  firing: Set<string>;
  resolved: Set<string>;
  at: number;
}

interface Group {
  readonly key: string;
  readonly route: Route;
  readonly labels: Labels;
  readonly entries: Map<string, Entry>;
  readonly sent: Map<string, Sent>;
  cancel?: () => void;
  cancelEscalation?: () => void;
  firingSince?: number;
  seq: number;
}

export interface RouterOptions {
  config: AlertingConfig;
  scheduler: Scheduler;
  /** Hands a notification to a channel's queue (never blocks). */
  dispatch(channel: string, envelope: Envelope): void;
  /** Whether a channel wants resolved notifications. */
  sendResolved(channel: string): boolean;
  /** Why an alert is muted now ("silenced", "inhibited"), or undefined. */
  muted(alert: AlertSnapshot): string | undefined;
  /** How long a firing alert stays valid without a new evaluation. */
  validityMs: number;
}

function compileRoutes(config: AlertingConfig): { root: Route; children: Route[] } {
  const r = config.route;
  const root: Route = {
    id: 'root',
    match: () => true,
    channel: r.channel,
    continue: false,
    groupBy: r.groupBy,
    groupWaitMs: durationMs(r.groupWait),
    groupIntervalMs: durationMs(r.groupInterval),
    repeatIntervalMs: durationMs(r.repeatInterval),
    ...(r.escalate ? { escalate: { afterMs: durationMs(r.escalate.after), channel: r.escalate.channel } } : {}),
  };
  const children = r.routes.map((c, i) => ({
    id: `routes[${i}]`,
    match: compileMatchers(parseSelector(c.matchers).matchers),
    channel: c.channel,
    continue: c.continue,
    groupBy: c.groupBy ?? root.groupBy,
    groupWaitMs: c.groupWait === undefined ? root.groupWaitMs : durationMs(c.groupWait),
    groupIntervalMs: c.groupInterval === undefined ? root.groupIntervalMs : durationMs(c.groupInterval),
    repeatIntervalMs: c.repeatInterval === undefined ? root.repeatIntervalMs : durationMs(c.repeatInterval),
    ...(c.escalate
      ? { escalate: { afterMs: durationMs(c.escalate.after), channel: c.escalate.channel } }
      : root.escalate
        ? { escalate: root.escalate }
        : {}),
  }));
  return { root, children };
}

const iso = (ms: number) => new Date(ms).toISOString();

export class Router {
  private readonly root: Route;
  private readonly children: Route[];
  private readonly groups = new Map<string, Group>();

  constructor(private readonly options: RouterOptions) {
    ({ root: this.root, children: this.children } = compileRoutes(options.config));
  }

  private routesFor(labels: Labels): Route[] {
    const out: Route[] = [];
    for (const route of this.children) {
      if (!route.match(labels)) continue;
      out.push(route);
      if (!route.continue) return out;
    }
    return out.length ? out : [this.root];
  }

  private groupLabels(route: Route, labels: Labels): Labels {
    if (route.groupBy.includes('...')) return labels;
    return Object.fromEntries(route.groupBy.filter((n) => labels[n] !== undefined).map((n) => [n, labels[n]!]));
  }

  /** Takes the alerts of one evaluation: firing ones join (or refresh) their groups, resolutions update them. */
  receive(alerts: readonly AlertSnapshot[]): void {
    const now = this.options.scheduler.now();
    for (const alert of alerts) {
      if (alert.state === 'pending') continue;
      for (const route of this.routesFor(alert.labels)) {
        if (!route.channel) continue;
        const labels = this.groupLabels(route, alert.labels);
        const key = `${route.id}:{${Object.entries(labels)
          .map(([k, v]) => `${k}=${quote(v)}`)
          .join(',')}}`;
        let group = this.groups.get(key);
        if (!group) {
          // A resolution for a group that no longer exists was already notified (or never was firing).
          if (alert.state === 'resolved') continue;
          group = { key, route, labels, entries: new Map(), sent: new Map(), seq: 0 };
          this.groups.set(key, group);
          this.schedule(group, route.groupWaitMs);
        }
        const existing = group.entries.get(alert.fingerprint);
        if (alert.state === 'resolved' && !existing) continue;
        group.entries.set(alert.fingerprint, { alert, validUntil: now + this.options.validityMs });
      }
    }
  }

  private schedule(group: Group, ms: number): void {
    group.cancel?.();
    group.cancel = this.options.scheduler.setTimeout(() => this.flush(group), ms);
  }

  /** Notifies every group now (shutdown: what is pending is delivered rather than lost). */
  flushAll(): void {
    for (const group of [...this.groups.values()]) this.flush(group, false);
  }

  /** Stops every timer. */
  stop(): void {
    for (const group of this.groups.values()) {
      group.cancel?.();
      group.cancelEscalation?.();
    }
  }

  /** Groups and their alerts (for status pages and tests). */
  snapshot(): { key: string; channel: string | undefined; alerts: number }[] {
    return [...this.groups.values()].map((g) => ({ key: g.key, channel: g.route.channel, alerts: g.entries.size }));
  }

  private flush(group: Group, reschedule = true): void {
    const now = this.options.scheduler.now();
    const firing: Entry[] = [];
    const resolved: Entry[] = [];
    for (const entry of group.entries.values()) {
      const isResolved = entry.alert.state === 'resolved' || entry.validUntil <= now;
      if (this.options.muted(entry.alert)) continue;
      (isResolved ? resolved : firing).push(entry);
    }
    if (firing.length > 0) group.firingSince ??= now;
    else group.firingSince = undefined;
    const route = group.route;
    const receivers = [route.channel!];
    const escalate = route.escalate;
    if (escalate && group.firingSince !== undefined) {
      if (now - group.firingSince >= escalate.afterMs) receivers.push(escalate.channel);
      else if (!group.cancelEscalation)
        group.cancelEscalation = this.options.scheduler.setTimeout(
          () => {
            group.cancelEscalation = undefined;
            if (this.groups.get(group.key) === group) this.flush(group, false);
          },
          group.firingSince + escalate.afterMs - now,
        );
    }
    for (const receiver of receivers) this.notify(group, receiver, firing, resolved, now, receiver !== route.channel);
    // Resolved alerts have been told; muted ones stay until they resolve.
    for (const [fp, entry] of group.entries) if (entry.alert.state === 'resolved' || entry.validUntil <= now) group.entries.delete(fp);
    if (group.entries.size === 0) {
      group.cancel?.();
      group.cancelEscalation?.();
      this.groups.delete(group.key);
      return;
    }
    if (reschedule) this.schedule(group, route.groupIntervalMs);
  }

  private notify(group: Group, receiver: string, firing: Entry[], resolved: Entry[], now: number, escalated: boolean): void {
    const firingSet = new Set(firing.map((e) => e.alert.fingerprint));
    const resolvedSet = new Set(resolved.map((e) => e.alert.fingerprint));
    const last = group.sent.get(receiver);
    const sendResolved = this.options.sendResolved(receiver);
    if (!this.needsUpdate(last, firingSet, resolvedSet, sendResolved, group.route.repeatIntervalMs, now)) return;
    group.sent.set(receiver, { firing: firingSet, resolved: resolvedSet, at: now });
    const alerts = sendResolved ? [...firing, ...resolved] : firing;
    if (alerts.length === 0) return;
    const notified: NotifiedAlert[] = alerts.map(({ alert, validUntil }) => {
      const isResolved = alert.state === 'resolved' || validUntil <= now;
      return {
        status: isResolved ? 'resolved' : 'firing',
        labels: alert.labels,
        annotations: alert.annotations,
        startsAt: iso(alert.firedAt ?? alert.activeAt),
        endsAt: isResolved ? iso(alert.resolvedAt ?? validUntil) : ZERO_TIME,
        generatorURL: this.options.config.externalUrl,
        fingerprint: alert.fingerprint,
      };
    });
    const envelope: Envelope = {
      id: `${fingerprint({ group: group.key, receiver })}-${++group.seq}-${now.toString(36)}`,
      escalated,
      notification: {
        version: '4',
        groupKey: group.key,
        truncatedAlerts: 0,
        status: firing.length > 0 ? 'firing' : 'resolved',
        receiver,
        groupLabels: group.labels,
        commonLabels: commonOf(notified.map((a) => a.labels)),
        commonAnnotations: commonOf(notified.map((a) => a.annotations)),
        externalURL: this.options.config.externalUrl,
        alerts: notified,
      },
    };
    this.options.dispatch(receiver, envelope);
  }

  /** Alertmanager's DedupStage.needsUpdate. */
  private needsUpdate(
    last: Sent | undefined,
    firing: Set<string>,
    resolved: Set<string>,
    sendResolved: boolean,
    repeatMs: number,
    now: number,
  ): boolean {
    if (!last) return firing.size > 0;
    if (![...firing].every((f) => last.firing.has(f))) return true;
    if (firing.size === 0) return last.firing.size > 0;
    if (sendResolved && ![...resolved].every((r) => last.resolved.has(r))) return true;
    return now - last.at >= repeatMs;
  }
}
