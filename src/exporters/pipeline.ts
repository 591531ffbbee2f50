/**
 * Runs push exporters: one collection per interval (an unref'd timer), one
 * worker per exporter so a slow or failing receiver never holds up another,
 * bounded queues, capped exponential backoff, and a final drain on close.
 */
import type { ExportBatch, PushExporter } from '../api/exporter.js';
import type { Metrics } from '../api/metrics.js';
import type { FamilySnapshot } from '../api/snapshot.js';

export interface WorkerOptions {
  maxQueue: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** An export attempt taking longer than this counts as failed. */
  timeoutMs: number;
}

export interface PipelineOptions {
  intervalMs: number;
  /** How long close() keeps retrying the final batch before dropping it. */
  closeTimeoutMs?: number;
  /** Where failure reports go (one per failure streak). Default console.warn. */
  warn?: (message: string) => void;
}

interface SelfMetrics {
  exports: ReturnType<Metrics['counter']>;
  failures: ReturnType<Metrics['counter']>;
  dropped: ReturnType<Metrics['counter']>;
  bytes: ReturnType<Metrics['counter']>;
  duration: ReturnType<Metrics['histogram']>;
}

function selfMetrics(metrics: Metrics): SelfMetrics {
  const labelNames = ['exporter'] as const;
  return {
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

  /** Resolves when the queue is empty; past `deadline`, failures drop instead of retrying. */
  async settle(deadline: number): Promise<void> {
    this.giveUpAt = deadline;
    this.backoff.wake(); // cut a pending backoff short: retry now
    while (this.running) await this.running;
  }

  private async attempt(batch: ExportBatch): Promise<number | void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      (timer as { unref?: () => void }).unref?.();
    });
    try {
      return await Promise.race([this.exporter.export(batch), timeout]);
    } finally {
      clearTimeout(timer);
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
        if (!this.failing)
          this.warn(`omnimeter: exporter ${this.exporter.name} failed (${(error as Error).message}); retrying with backoff`);
        this.failing = true;
        if (Date.now() >= this.giveUpAt) {
          inc(this.self.dropped, this.queue.length);
          this.queue.length = 0;
          this.warn(`omnimeter: exporter ${this.exporter.name} could not deliver its final batch; dropped`);
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

  /** Final collection, delivered (or dropped after the timeout), then exporters closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.collectOnce();
    const deadline = Date.now() + (this.options.closeTimeoutMs ?? 10_000);
    await Promise.all(this.workers.map((w) => w.settle(deadline)));
    await Promise.all(this.workers.map((w) => w.exporter.close?.().catch(() => {})));
  }
}
