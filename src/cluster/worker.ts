/**
 * The worker side of cluster and worker-thread aggregation: the ordinary
 * metrics API on the recorder backend, whose cells aggregate locally and
 * hand over deltas. On every flush request from the primary the changes go
 * out as one batch; the primary merges them through its merge port. Deltas
 * mean a restarted worker only ever adds: the primary carries its totals.
 */
import type { Metrics, MetricsOptions } from '../api/metrics.js';
import type { GuestDescriptor, GuestUpdate, Recorder } from '../api/recorder.js';
import { recorderBackend } from '../backends/recorder/index.js';
import { createMetrics } from '../index.js';
import { CHANNEL, type Entry, type WorkerMessage, isFlushRequest } from './protocol.js';

/** How a worker talks to its primary (cluster IPC, a worker_threads port, or anything that carries messages). */
export interface WorkerChannel {
  post(message: WorkerMessage): void;
  /** Calls `handler` with every message from the primary; returns a function that stops listening. */
  listen(handler: (message: unknown) => void): () => void;
}

/** A Recorder that numbers metrics and series itself and logs everything in order for the next batch. */
class LoggingRecorder implements Recorder {
  private metrics = 0;
  private series = 0;
  entries: Entry[] = [];

  registerMetric(d: GuestDescriptor): number {
    const id = ++this.metrics;
    this.entries.push([
      'm',
      id,
      {
        name: d.name,
        help: d.help,
        unit: d.unit,
        kind: d.kind,
        labelNames: [...d.labelNames],
        buckets: Array.from(d.buckets),
        quantiles: Array.from(d.quantiles),
        maxAgeSeconds: d.maxAgeSeconds ?? 0,
        ageBuckets: d.ageBuckets ?? 0,
      },
    ]);
    return id;
  }

  registerSeries(metric: number, labelValues: string[]): number {
    const id = ++this.series;
    this.entries.push(['s', id, metric, [...labelValues]]);
    return id;
  }

  applyBatch(updates: GuestUpdate[]): void {
    for (const u of updates) this.entries.push(['u', u.series, u.op, u.index, u.value]);
  }

  now(): number {
    return performance.now() / 1000;
  }

  take(): Entry[] {
    const out = this.entries;
    this.entries = [];
    return out;
  }
}

export interface WorkerMetrics extends Metrics {
  /** The identity the primary knows this worker by. */
  readonly worker: string;
  /** Sends what changed now, without waiting for a flush request. */
  flush(): void;
}

export interface WorkerMetricsOptions extends Omit<MetricsOptions, 'backend'> {
  /** The worker's identity (its `worker` label on the primary): stable across restarts so totals carry on. */
  worker: string;
}

/**
 * Metrics for a worker whose primary aggregates: record as usual; the
 * primary collects on every scrape. `shutdown()` sends the last changes.
 */
export function createWorkerMetrics(channel: WorkerChannel, options: WorkerMetricsOptions): WorkerMetrics {
  const { worker, ...metricsOptions } = options;
  const recorder = new LoggingRecorder();
  const backend = recorderBackend(recorder, { clock: options.clock });
  const metrics = createMetrics({ ...metricsOptions, backend });
  const send = (seq: number) => {
    backend.flush();
    channel.post({ [CHANNEL]: 'batch', worker, seq, entries: recorder.take() });
  };
  const stop = channel.listen((message) => {
    if (isFlushRequest(message)) send(message.seq);
  });
  channel.post({ [CHANNEL]: 'hello', worker, seq: 0, entries: [] });
  let closed = false;
  return {
    enabled: metrics.enabled,
    registry: metrics.registry,
    merge: metrics.merge,
    counter: (name, o) => metrics.counter(name, o),
    gauge: (name, o) => metrics.gauge(name, o),
    histogram: (name, o) => metrics.histogram(name, o),
    summary: (name, o) => metrics.summary(name, o),
    timer: (name, o) => metrics.timer(name, o),
    timed: (name, o) => metrics.timed(name, o),
    worker,
    flush: () => {
      if (!closed) send(0);
    },
    shutdown: async () => {
      if (closed) return;
      send(0);
      closed = true;
      stop();
      await metrics.shutdown();
    },
  };
}
