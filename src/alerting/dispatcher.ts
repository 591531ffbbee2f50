/**
 * Delivers notifications through the delivery mechanism push exporters use
 * (core/delivery.ts): one worker per channel, so a slow or failing channel
 * holds up nothing else, and nothing here is ever awaited by rule evaluation
 * or recording (enqueue is synchronous). A bounded queue (the oldest
 * notification is dropped when full, and counted), a timeout per attempt,
 * capped exponential backoff between retries, and a notification given up
 * after `giveUpAfter` (counted) or when the receiver refuses it for good
 * (a non-retryable DeliveryError: SMTP 5xx). Notifications leave the queue
 * in order and only once delivered or dropped, so none is forgotten while a
 * receiver restarts. Here this module only names the counters.
 */
import type { Counter } from '../api/instruments.js';
import type { Metrics } from '../api/metrics.js';
import type { DeliveryOptions, Destination } from '../core/delivery.js';
import { type Channel, DeliveryError, type Envelope } from './notification.js';

export type { DeliveryOptions };

export interface DispatchCounters {
  delivered: Counter<'channel'>;
  failures: Counter<'channel'>;
  dropped: Counter<'channel' | 'reason'>;
}

export function dispatchCounters(metrics: Metrics): DispatchCounters {
  return {
    delivered: metrics.counter('omnimeter_alerting_notifications_total', {
      help: 'Notifications delivered, by channel.',
      labelNames: ['channel'],
    }),
    failures: metrics.counter('omnimeter_alerting_notification_failures_total', {
      help: 'Failed delivery attempts (each is retried unless the receiver refused the notification).',
      labelNames: ['channel'],
    }),
    dropped: metrics.counter('omnimeter_alerting_notifications_dropped_total', {
      help: 'Notifications given up: queue_full, expired (undelivered after giveUpAfter), rejected (4xx/5xx SMTP), shutdown.',
      labelNames: ['channel', 'reason'],
    }),
  };
}

/** A channel as a delivery destination, counted by channel. */
export function channelDestination(channel: Channel, counters: DispatchCounters): Destination<Envelope> {
  const labels = { channel: channel.name };
  return {
    describe: `alert channel ${channel.name}`,
    send: (envelope, signal) => channel.send(envelope, signal),
    retryable: (error) => !(error instanceof DeliveryError && !error.retryable),
    delivered: () => counters.delivered.inc(labels),
    failed: () => counters.failures.inc(labels),
    dropped: (reason, count) => counters.dropped.inc({ ...labels, reason }, count),
  };
}
