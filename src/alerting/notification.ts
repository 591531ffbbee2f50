/**
 * What a channel is handed: one notification per alert group and receiver,
 * in the shape of Alertmanager's webhook payload (version 4), so any receiver
 * written for Alertmanager reads ours. `id` is unique per notification and
 * stable across retries: receivers can use it to ignore a repeated delivery.
 */
import type { Labels } from '../config/selector.js';

export interface NotifiedAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Labels;
  readonly annotations: Readonly<Record<string, string>>;
  /** RFC 3339. */
  readonly startsAt: string;
  /** RFC 3339; "0001-01-01T00:00:00Z" while firing, as Alertmanager sends it. */
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

export interface Notification {
  readonly version: '4';
  readonly groupKey: string;
  readonly truncatedAlerts: number;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Labels;
  readonly commonLabels: Labels;
  readonly commonAnnotations: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly alerts: readonly NotifiedAlert[];
}

/** A notification and what travels with it but is not Alertmanager's payload. */
export interface Envelope {
  /** Unique per notification, the same on every retry of it. */
  readonly id: string;
  readonly notification: Notification;
  /** Sent because the group escalated to this channel. */
  readonly escalated: boolean;
}

/** A delivery failure; `retryable: false` (a 4xx answer, say) drops the notification instead of retrying it. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable = true,
  ) {
    super(message);
  }
}

export interface Channel {
  readonly name: string;
  /** Delivers one notification; throws (a DeliveryError, or anything) when it did not. */
  send(envelope: Envelope, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Labels all alerts share. */
export function commonOf(records: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  if (records.length === 0) return {};
  const [first, ...rest] = records;
  return Object.fromEntries(Object.entries(first!).filter(([k, v]) => rest.every((r) => r[k] === v)));
}

/** A one-line summary: `[FIRING:2] HighErrorRatio (tool_name=search)`. */
export function title(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const labels = Object.entries(n.groupLabels)
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const name = n.groupLabels.alertname ?? n.commonLabels.alertname ?? 'alerts';
  return `[${n.status === 'firing' ? `FIRING:${firing}` : 'RESOLVED'}] ${name}${labels ? ` (${labels})` : ''}`;
}

/** Plain-text body: one paragraph per alert with its labels and annotations. */
export function plainText(n: Notification): string {
  return n.alerts
    .map((a) => {
      const labels = Object.entries(a.labels)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ');
      const annotations = Object.entries(a.annotations).map(([k, v]) => `  ${k}: ${v}`);
      const when = a.status === 'firing' ? `since ${a.startsAt}` : `resolved ${a.endsAt}`;
      return [`${a.status.toUpperCase()} ${when}`, `  labels: ${labels}`, ...annotations].join('\n');
    })
    .join('\n\n');
}
