/**
 * Delivers notifications: one worker per channel, so a slow or failing
 * channel holds up nothing else, and nothing here is ever awaited by rule
 * evaluation or recording (enqueue is synchronous). Each worker has a bounded
 * queue (the oldest notification is dropped when full, and counted), a
 * timeout per attempt, capped exponential backoff between retries, and gives
 * up on a notification after `giveUpAfter` (counted). Notifications leave the
 * queue in order and are removed only once delivered or dropped, so each is
 * delivered at most once per successful attempt and none is forgotten while
 * a receiver restarts. close() drains within a deadline.
 */
import type { Counter } from '../api/instruments.js';
import type { Metrics } from '../api/metrics.js';
import { type Scheduler, realScheduler, sleep } from '../core/scheduler.js';
import { type Channel, DeliveryError, type Envelope } from './notification.js';

export interface DeliveryOptions {
  timeoutMs: number;
  maxQueue: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  giveUpAfterMs: number;
}

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

interface Queued {
  envelope: Envelope;
  queuedAt: number;
}

export class ChannelWorker {
  private readonly queue: Queued[] = [];
  private running: Promise<void> | undefined;
  /** Cuts the current backoff short (close()). */
  private wake: AbortController | undefined;
  private deadline = Number.POSITIVE_INFINITY;
  private failing = false;

  constructor(
    readonly channel: Channel,
    private readonly options: DeliveryOptions,
    private readonly scheduler: Scheduler,
    private readonly counters: DispatchCounters,
    private readonly warn: (message: string) => void,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  enqueue(envelope: Envelope): void {
    if (this.queue.length >= this.options.maxQueue) {
      this.queue.shift();
      this.counters.dropped.inc({ channel: this.channel.name, reason: 'queue_full' });
    }
    this.queue.push({ envelope, queuedAt: this.scheduler.now() });
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves when the queue is empty (delivered or dropped). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops retrying with backoff: retries at once until `deadline` (scheduler time), then drops what is left. */
  async close(deadline: number): Promise<void> {
    this.deadline = deadline;
    this.wake?.abort();
    await this.idle();
    await this.channel.close?.().catch(() => {});
  }

  private async attempt(envelope: Envelope): Promise<void> {
    const controller = new AbortController();
    // Network time is real time, also under a manual clock: a request in flight
    // must not time out because a test moved the clock.
    const cancel = realScheduler.setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      await Promise.race([
        this.channel.send(envelope, controller.signal),
        new Promise<never>((_, reject) =>
          controller.signal.addEventListener('abort', () => reject(new DeliveryError(`timed out after ${this.options.timeoutMs} ms`)), {
            once: true,
          }),
        ),
      ]);
    } finally {
      cancel();
    }
  }

  private drop(reason: string, count = 1): void {
    this.counters.dropped.inc({ channel: this.channel.name, reason }, count);
  }

  private async drain(): Promise<void> {
    const name = this.channel.name;
    let backoff = this.options.initialBackoffMs;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      try {
        await this.attempt(head.envelope);
        this.queue.shift();
        this.counters.delivered.inc({ channel: name });
        backoff = this.options.initialBackoffMs;
        if (this.failing) this.warn(`omnimeter: alert channel ${name} recovered`);
        this.failing = false;
      } catch (error) {
        this.counters.failures.inc({ channel: name });
        const message = (error as Error).message;
        if (!this.failing) this.warn(`omnimeter: alert channel ${name} failed (${message}); retrying with backoff`);
        this.failing = true;
        const now = this.scheduler.now();
        if (error instanceof DeliveryError && !error.retryable) {
          this.queue.shift();
          this.drop('rejected');
          continue;
        }
        if (now - head.queuedAt >= this.options.giveUpAfterMs) {
          this.queue.shift();
          this.drop('expired');
          continue;
        }
        if (now >= this.deadline) {
          this.drop('shutdown', this.queue.length);
          this.queue.length = 0;
          this.warn(`omnimeter: alert channel ${name} could not deliver before shutdown; dropped`);
          return;
        }
        // Closing: retry briskly (but not in a busy loop) until the deadline.
        const wait = Number.isFinite(this.deadline) ? Math.min(backoff, 100, this.deadline - now) : backoff;
        this.wake = new AbortController();
        await sleep(this.scheduler, wait, this.wake.signal);
        this.wake = undefined;
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
      }
    }
  }
}
