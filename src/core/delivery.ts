/**
 * One delivery mechanism for everything omnimeter sends in the background
 * (push exporters' batches, alert notifications): a worker per destination,
 * so a slow or failing one holds up nothing else; a bounded queue (the
 * oldest item is dropped when full); a timeout per attempt; capped
 * exponential backoff between retries; optional give-up after a time in the
 * queue; and a close with one deadline, after which an attempt in flight is
 * aborted and what is left is dropped. Items leave the queue in order and
 * only once delivered or dropped, so none is forgotten while a receiver
 * restarts. Callers count through the hooks (their own metric names and
 * labels). Enqueueing is synchronous: nothing that records or evaluates
 * ever waits on a receiver.
 */
import { type Scheduler, realScheduler, sleep } from './scheduler.js';

export interface DeliveryOptions {
  maxQueue: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** An attempt taking longer than this (real time: network time) counts as failed. */
  timeoutMs: number;
  /** Drop an item still undelivered this long after it was queued. Default never. */
  giveUpAfterMs?: number;
}

/** Why an item was dropped. */
export type DropReason = 'queue_full' | 'rejected' | 'expired' | 'shutdown';

export interface Destination<T> {
  /** "exporter otlp", "alert channel ops": for warnings. */
  readonly describe: string;
  /** One attempt; throws when it did not deliver. `signal` aborts at the timeout or the close deadline. */
  send(item: T, signal: AbortSignal): Promise<number | void>;
  /** False: the receiver refused for good, the item is dropped (`rejected`) instead of retried. Default: retry. */
  retryable?(error: unknown): boolean;
  delivered?(item: T, result: number | void, seconds: number): void;
  failed?(error: unknown): void;
  dropped?(reason: DropReason, count: number): void;
}

/** What close() could not deliver by its deadline. */
export interface Unsent {
  items: number;
  /** The last failure, or that the deadline came first. */
  reason: string;
}

interface Queued<T> {
  item: T;
  queuedAt: number;
}

/** Why an attempt in flight at the close deadline was aborted. */
const DEADLINE = new Error('shutdown deadline reached');

/** How often a closing worker retries (a receiver coming back during shutdown is reached quickly). */
const CLOSING_RETRY_MS = 100;

export class DeliveryWorker<T> {
  private readonly queue: Queued<T>[] = [];
  private running: Promise<void> | undefined;
  private backoffMs: number;
  private failing = false;
  private lastError = '';
  /** Past this time (close), a failing item is dropped instead of retried. */
  private deadline = Number.POSITIVE_INFINITY;
  private droppedAtClose = 0;
  /** Cuts a backoff short (close, retryNow). */
  private wake: AbortController | undefined;
  /** The attempt in progress: aborted at its timeout or at the close deadline. */
  private attempting: AbortController | undefined;
  /** Attempts started so far: a retryNow() caller waits for one that starts after its call. */
  private started = 0;
  /** Skip the next backoff (retryNow() came while an attempt was in flight). */
  private retryRequested = false;
  private readonly waiters: { after: number; resolve: (delivered: boolean) => void }[] = [];

  constructor(
    private readonly destination: Destination<T>,
    private readonly options: DeliveryOptions,
    private readonly warn: (message: string) => void,
    private readonly scheduler: Scheduler = realScheduler,
  ) {
    this.backoffMs = options.initialBackoffMs;
  }

  /** Items waiting (the one being attempted included). */
  get pending(): number {
    return this.queue.length;
  }

  /** Whether the last attempt failed (and the head item waits for a retry). */
  get isFailing(): boolean {
    return this.failing;
  }

  enqueue(item: T): void {
    if (this.queue.length >= this.options.maxQueue) {
      this.queue.shift();
      this.destination.dropped?.('queue_full', 1);
    }
    this.queue.push({ item, queuedAt: this.scheduler.now() });
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves when the queue has been worked off (delivered, or dropped). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Retries now, without waiting out the backoff, and resolves with the
   * outcome of the first attempt that starts after this call (true when
   * nothing is waiting). For recovery actions: reconnect, then retry.
   */
  retryNow(): Promise<boolean> {
    if (this.queue.length === 0) return Promise.resolve(true);
    const after = this.started;
    const outcome = new Promise<boolean>((resolve) => this.waiters.push({ after, resolve }));
    this.retryRequested = true;
    this.wake?.abort();
    return outcome;
  }

  /**
   * Delivers what is queued until `deadline` (scheduler time): retries at
   * once and then briskly, aborts an attempt still in flight at the deadline,
   * and drops what is left. Returns what could not be delivered, if anything.
   */
  async close(deadline: number): Promise<Unsent | undefined> {
    this.deadline = deadline;
    this.wake?.abort();
    const cancel = this.scheduler.setTimeout(() => this.attempting?.abort(DEADLINE), Math.max(0, deadline - this.scheduler.now()));
    try {
      await this.idle();
    } finally {
      cancel();
    }
    return this.droppedAtClose === 0 ? undefined : { items: this.droppedAtClose, reason: this.lastError };
  }

  private async attempt(item: T): Promise<number | void> {
    this.started++;
    const controller = new AbortController();
    this.attempting = controller;
    // Real time, also under a manual clock: a request in flight must not time out because a test moved the clock.
    const cancel = realScheduler.setTimeout(
      () => controller.abort(new Error(`timed out after ${this.options.timeoutMs} ms`)),
      this.options.timeoutMs,
    );
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
    );
    try {
      // The race ends the attempt at once even if the destination ignores the signal.
      return await Promise.race([this.destination.send(item, controller.signal), aborted]);
    } finally {
      cancel();
      this.attempting = undefined;
    }
  }

  /** Answers the retryNow() callers waiting for an attempt up to the one just finished (all, when the queue is done). */
  private settleWaiters(delivered: boolean, upTo = Number.POSITIVE_INFINITY): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (waiter.after < upTo) {
        this.waiters.splice(i, 1);
        waiter.resolve(delivered);
      }
    }
  }

  private drop(reason: DropReason, count: number): void {
    if (count === 0) return;
    this.destination.dropped?.(reason, count);
    if (reason === 'shutdown') this.droppedAtClose += count;
  }

  private async drain(): Promise<void> {
    const { describe } = this.destination;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        const start = performance.now();
        try {
          const result = await this.attempt(head.item);
          this.queue.shift();
          this.destination.delivered?.(head.item, result, (performance.now() - start) / 1000);
          this.backoffMs = this.options.initialBackoffMs;
          if (this.failing) this.warn(`omnimeter: ${describe} recovered`);
          this.failing = false;
          this.settleWaiters(true, this.started);
        } catch (error) {
          this.destination.failed?.(error);
          // The deadline cutting an attempt short says less than the failure before it.
          if (error !== DEADLINE || !this.lastError) this.lastError = error instanceof Error ? error.message : String(error);
          this.settleWaiters(false, this.started);
          if (this.destination.retryable?.(error) === false) {
            this.queue.shift();
            this.drop('rejected', 1);
            this.warn(`omnimeter: ${describe}: refused (${this.lastError}); dropped`);
            continue;
          }
          if (!this.failing) this.warn(`omnimeter: ${describe} failed (${this.lastError}); retrying with backoff`);
          this.failing = true;
          if (this.expired(head)) continue;
          const now = this.scheduler.now();
          if (now >= this.deadline) {
            this.warn(`omnimeter: ${describe} could not deliver before shutdown (${this.lastError}); dropped`);
            this.drop('shutdown', this.queue.splice(0).length);
            return;
          }
          const closing = Number.isFinite(this.deadline);
          let wait = closing ? Math.min(this.backoffMs, CLOSING_RETRY_MS, this.deadline - now) : this.backoffMs;
          if (this.retryRequested) wait = 0;
          this.retryRequested = false;
          this.wake = new AbortController();
          await sleep(this.scheduler, wait, this.wake.signal);
          this.wake = undefined;
          this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs);
        }
      }
    } finally {
      this.settleWaiters(true);
    }
  }

  /** After a failure: drops the head item when it has waited past giveUpAfter. */
  private expired(head: Queued<T>): boolean {
    const limit = this.options.giveUpAfterMs;
    if (limit === undefined || this.scheduler.now() - head.queuedAt < limit) return false;
    this.queue.shift();
    this.drop('expired', 1);
    return true;
  }
}
