/**
 * Runs push exporters: one collection per interval (an unref'd timer), one
 * worker per exporter so a slow or failing receiver never holds up another,
 * bounded queues, capped exponential backoff, and a final drain on close.
 */
import type { ExportBatch, ExportContext, PushExporter } from '../api/exporter.js';
import type { Metrics } from '../api/metrics.js';
import type { FamilySnapshot } from '../api/snapshot.js';
import { RefusedExportError } from './refused.js';

export interface WorkerOptions {
  maxQueue: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** An export attempt taking longer than this counts as failed. */
  timeoutMs: number;
}

export interface PipelineOptions {
  intervalMs: number;
  /** How long close() keeps retrying the final batch before dropping it, when no deadline is given. */
  closeTimeoutMs?: number;
  /** Where failure reports go (one per failure streak). Default console.warn. */
  warn?: (message: string) => void;
}

/** What close() could not do by its deadline. */
export interface Undelivered {
  exporter: string;
  /** Batches dropped (the final collection among them). */
  batches: number;
  /** The last failure, or that the deadline came first. */
  reason: string;
}

interface SelfMetrics {
  sendErrors: ReturnType<Metrics['counter']>;
  exports: ReturnType<Metrics['counter']>;
  failures: ReturnType<Metrics['counter']>;
  dropped: ReturnType<Metrics['counter']>;
  bytes: ReturnType<Metrics['counter']>;
  duration: ReturnType<Metrics['histogram']>;
}

function selfMetrics(metrics: Metrics): SelfMetrics {
  const labelNames = ['exporter'] as const;
  return {
    sendErrors: metrics.counter('omnimeter_exporter_send_errors_total', {
      help: 'Messages a transport could not send and did not retry (UDP datagrams).',
      labelNames,
    }) as never,
    exports: metrics.counter('omnimeter_exporter_exports_total', { help: 'Batches delivered by each exporter.', labelNames }) as never,
    failures: metrics.counter('omnimeter_exporter_failures_total', {
      help: 'Failed export attempts (each is retried).',
      labelNames,
    }) as never,
    dropped: metrics.counter('omnimeter_exporter_dropped_total', {
      help: 'Batches dropped: queue full, or undeliverable at shutdown.',
      labelNames,
    }) as never,
    bytes: metrics.counter('omnimeter_exporter_bytes_total', { help: 'Bytes sent by each exporter.', labelNames, unit: 'bytes' }) as never,
    duration: metrics.histogram('omnimeter_exporter_duration_seconds', {
      help: 'Time of successful export attempts.',
      labelNames,
      unit: 'seconds',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    }) as never,
  };
}

/** A backoff wait that `wake()` can end early (a shutdown retries at once). */
class Backoff {
  private pending = new Set<() => void>();
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      (timer as { unref?: () => void }).unref?.();
      this.pending.add(done);
    });
  }
  wake(): void {
    for (const done of [...this.pending]) done();
  }
}

class Worker {
  private readonly queue: ExportBatch[] = [];
  private running: Promise<void> | undefined;
  private backoffMs: number;
  private failing = false;
  /** Past this time (close), a failing batch is dropped instead of retried. */
  private giveUpAt = Infinity;
  /** The attempt in progress: aborted at its timeout or at the close deadline. */
  private attempting: AbortController | undefined;
  private lastError = '';
  /** Batches dropped since close began. */
  private droppedAtClose = 0;
  private readonly backoff = new Backoff();
  private readonly labels: { exporter: string };

  constructor(
    readonly exporter: PushExporter,
    private readonly options: WorkerOptions,
    private readonly self: SelfMetrics,
    private readonly warn: (message: string) => void,
  ) {
    this.backoffMs = options.initialBackoffMs;
    this.labels = { exporter: exporter.name };
  }

  enqueue(batch: ExportBatch): void {
    if (this.queue.length >= this.options.maxQueue) {
      this.queue.shift(); // batches are cumulative: the newer one carries everything
      (this.self.dropped.inc as (l: object) => void)(this.labels);
    }
    this.queue.push(batch);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves when the current queue has been worked off (delivered, or dropped). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Delivers what is queued until `deadline`: failures past it drop instead
   * of retrying, and an attempt still running at it is aborted. Returns what
   * could not be delivered, if anything.
   */
  async settle(deadline: number): Promise<Undelivered | undefined> {
    this.giveUpAt = deadline;
    this.backoff.wake(); // cut a pending backoff short: retry now
    const timer = setTimeout(() => this.attempting?.abort(new Error('shutdown deadline reached')), Math.max(0, deadline - Date.now()));
    (timer as { unref?: () => void }).unref?.(); // the caller keeps the process alive while it waits
    try {
      while (this.running) await this.running;
    } finally {
      clearTimeout(timer);
    }
    if (this.droppedAtClose === 0) return undefined;
    return { exporter: this.exporter.name, batches: this.droppedAtClose, reason: this.lastError };
  }

  private async attempt(batch: ExportBatch): Promise<number | void> {
    const controller = new AbortController();
    this.attempting = controller;
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    (timer as { unref?: () => void }).unref?.();
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    const context: ExportContext = {
      signal: controller.signal,
      sendErrors: (n) => (this.self.sendErrors.inc as (l: object, v: number) => void)(this.labels, n),
    };
    try {
      // The race ends the attempt at once even if the exporter ignores the signal.
      return await Promise.race([this.exporter.export(batch, context), aborted]);
    } finally {
      clearTimeout(timer);
      this.attempting = undefined;
    }
  }

  private async drain(): Promise<void> {
    const inc = (c: SelfMetrics['exports'], n = 1) => (c.inc as (l: object, v: number) => void)(this.labels, n);
    while (this.queue.length > 0) {
      const batch = this.queue[0]!;
      const start = performance.now();
      try {
        const bytes = await this.attempt(batch);
        this.queue.shift();
        inc(this.self.exports);
        if (typeof bytes === 'number') inc(this.self.bytes, bytes);
        (this.self.duration.observe as (l: object, v: number) => void)(this.labels, (performance.now() - start) / 1000);
        this.backoffMs = this.options.initialBackoffMs;
        if (this.failing) this.warn(`omnimeter: exporter ${this.exporter.name} recovered`);
        this.failing = false;
      } catch (error) {
        inc(this.self.failures);
        this.lastError = error instanceof Error ? error.message : String(error);
        if (error instanceof RefusedExportError) {
          this.queue.shift(); // retrying cannot help: drop this batch, deliver the next
          inc(this.self.dropped);
          this.warn(`omnimeter: exporter ${this.exporter.name}: batch refused (${this.lastError}); dropped`);
          continue;
        }
        if (!this.failing) this.warn(`omnimeter: exporter ${this.exporter.name} failed (${this.lastError}); retrying with backoff`);
        this.failing = true;
        if (Date.now() >= this.giveUpAt) {
          inc(this.self.dropped, this.queue.length);
          this.droppedAtClose += this.queue.length;
          this.queue.length = 0;
          this.warn(`omnimeter: exporter ${this.exporter.name} could not deliver its final batch (${this.lastError}); dropped`);
          return;
        }
        await this.backoff.wait(Math.min(this.backoffMs, Math.max(0, this.giveUpAt - Date.now())));
        this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs);
      }
    }
  }
}

export class ExportPipeline {
  private readonly workers: Worker[];
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    private readonly collect: () => Promise<readonly FamilySnapshot[]>,
    exporters: readonly { exporter: PushExporter; options: WorkerOptions }[],
    metrics: Metrics,
    private readonly options: PipelineOptions,
  ) {
    const self = selfMetrics(metrics);
    const warn = options.warn ?? ((m: string) => console.warn(m));
    this.workers = exporters.map((e) => new Worker(e.exporter, e.options, self, warn));
  }

  get size(): number {
    return this.workers.length;
  }

  start(): void {
    if (this.workers.length === 0 || this.timer || this.closed) return;
    this.timer = setInterval(() => void this.collectOnce(), this.options.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Collects once and queues the batch for every exporter. */
  async collectOnce(): Promise<void> {
    if (this.workers.length === 0) return;
    const families = await this.collect();
    const batch: ExportBatch = { families, timeMs: Date.now() };
    for (const worker of this.workers) worker.enqueue(batch);
  }

  /** Collects now and waits until every exporter has delivered it (retrying as usual). */
  async flush(): Promise<void> {
    await this.collectOnce();
    await Promise.all(this.workers.map((w) => w.idle()));
  }

  /**
   * Final collection, delivered until `deadline` (epoch ms; default
   * closeTimeoutMs from now), then exporters closed. Resolves by the deadline
   * whatever receivers do, with what could not be delivered or closed.
   */
  async close(deadline = Date.now() + (this.options.closeTimeoutMs ?? 10_000)): Promise<Undelivered[]> {
    if (this.closed) return [];
    this.closed = true;
    clearInterval(this.timer);
    const collected = await beforeDeadline(this.collectOnce(), deadline);
    const undelivered = (await Promise.all(this.workers.map((w) => w.settle(deadline)))).filter((u) => u !== undefined);
    if (collected === 'late')
      undelivered.push(
        ...this.workers.map((w) => ({
          exporter: w.exporter.name,
          batches: 1,
          reason: 'the final collection did not finish by the deadline',
        })),
      );
    await Promise.all(
      this.workers.map(async (w) => {
        const closed = await beforeDeadline(w.exporter.close?.() ?? Promise.resolve(), deadline);
        if (closed === 'late') undelivered.push({ exporter: w.exporter.name, batches: 0, reason: 'did not close by the deadline' });
      }),
    );
    return undelivered;
  }
}

/** Waits for `work` until `deadline`; 'late' if it was still running then (it is left to finish on its own). */
async function beforeDeadline(work: Promise<unknown>, deadline: number): Promise<'done' | 'late'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()));
    (timer as { unref?: () => void }).unref?.();
  });
  try {
    return await Promise.race([
      work.then(
        () => 'done' as const,
        () => 'done' as const,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
