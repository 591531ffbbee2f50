/**
 * Runs push exporters: one collection per interval (an unref'd timer), one
 * delivery worker per exporter (core/delivery.ts: the mechanism alert
 * channels use too) so a slow or failing receiver never holds up another,
 * bounded queues, capped exponential backoff, and a final drain on close.
 */
import type { ExportBatch, ExportContext, PushExporter } from '../api/exporter.js';
import type { Metrics } from '../api/metrics.js';
import type { FamilySnapshot } from '../api/snapshot.js';
import { type DeliveryOptions, type Destination, DeliveryWorker } from '../core/delivery.js';
import { RefusedExportError } from './refused.js';

/** A push exporter's queue, backoff and per-attempt timeout. */
export type WorkerOptions = Omit<DeliveryOptions, 'giveUpAfterMs'>;

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

/** An exporter as a delivery destination: its attempts counted in omnimeter_exporter_*{exporter}. */
function destination(exporter: PushExporter, self: SelfMetrics): Destination<ExportBatch> {
  const labels = { exporter: exporter.name };
  const inc = (c: SelfMetrics['exports'], n = 1) => (c.inc as (l: object, v: number) => void)(labels, n);
  return {
    describe: `exporter ${exporter.name}`,
    send(batch, signal) {
      const context: ExportContext = { signal, sendErrors: (n) => inc(self.sendErrors, n) };
      return exporter.export(batch, context);
    },
    // Retrying cannot fix a refusal (remote write's 4xx other than 429): that batch is dropped, the next one sent.
    retryable: (error) => !(error instanceof RefusedExportError),
    delivered(_batch, bytes, seconds) {
      inc(self.exports);
      if (typeof bytes === 'number') inc(self.bytes, bytes);
      (self.duration.observe as (l: object, v: number) => void)(labels, seconds);
    },
    failed: () => inc(self.failures),
    // Batches are cumulative: a dropped one's data arrives with the next.
    dropped: (_reason, count) => inc(self.dropped, count),
  };
}

interface Worker {
  exporter: PushExporter;
  delivery: DeliveryWorker<ExportBatch>;
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
    this.workers = exporters.map((e) => ({
      exporter: e.exporter,
      delivery: new DeliveryWorker(destination(e.exporter, self), e.options, warn),
    }));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Names of the exporters that can drop their connection and open a fresh one. */
  reconnectable(): string[] {
    return this.workers.filter((w) => typeof w.exporter.reconnect === 'function').map((w) => w.exporter.name);
  }

  /**
   * A recovery action: exporter `name` drops its connection (and cached
   * address), then the waiting batch is retried at once. Resolves with
   * whether that attempt delivered.
   */
  async reconnect(name: string): Promise<boolean> {
    const worker = this.workers.find((w) => w.exporter.name === name);
    if (!worker?.exporter.reconnect) throw new RangeError(`no reconnectable exporter named ${JSON.stringify(name)}`);
    await worker.exporter.reconnect();
    return worker.delivery.retryNow();
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
    for (const worker of this.workers) worker.delivery.enqueue(batch);
  }

  /** Collects now and waits until every exporter has delivered it (retrying as usual). */
  async flush(): Promise<void> {
    await this.collectOnce();
    await Promise.all(this.workers.map((w) => w.delivery.idle()));
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
    const unsent = await Promise.all(this.workers.map((w) => w.delivery.close(deadline)));
    const undelivered: Undelivered[] = this.workers.flatMap((w, i) => {
      const u = unsent[i];
      return u ? [{ exporter: w.exporter.name, batches: u.items, reason: u.reason }] : [];
    });
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
