/**
 * omnimeter/cluster: one /metrics for a whole `node:cluster` or a pool of
 * `worker_threads`. Workers record with the ordinary API
 * (`workerMetrics()`); the primary (`aggregateCluster`, `aggregateThreads`)
 * collects their deltas on every scrape and merges them through its merge
 * port: counters add, histograms add bucket-wise, summaries merge sketches,
 * gauges by policy. See docs/scaling.md.
 */
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { type MessagePort, type Worker as ThreadWorker, isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import type { Metrics } from '../api/metrics.js';
import { type AggregatorOptions, WorkerAggregator, type WorkerConnection } from './aggregator.js';
import type { WorkerMessage } from './protocol.js';
import { type WorkerChannel, type WorkerMetrics, type WorkerMetricsOptions, createWorkerMetrics } from './worker.js';

export {
  PARTIAL_HEADER,
  WorkerAggregator,
  WorkerConnection,
  partialHeaderValue,
  type AggregatorOptions,
  type WorkerGaugePolicy,
  type WorkerLink,
} from './aggregator.js';
export { createWorkerMetrics, type WorkerChannel, type WorkerMetrics, type WorkerMetricsOptions } from './worker.js';

/** The environment variable (cluster) or workerData key (threads) a worker's identity is read from. */
export const WORKER_IDENTITY = 'OMNIMETER_WORKER';

/** The IPC channel of a cluster worker. */
export function clusterChannel(): WorkerChannel {
  return {
    post: (message: WorkerMessage) => {
      if (process.connected) process.send?.(message);
    },
    listen: (handler) => {
      process.on('message', handler);
      return () => process.off('message', handler);
    },
  };
}

/** The parent port of a worker thread (or any MessagePort). */
export function threadChannel(port: MessagePort): WorkerChannel {
  return {
    post: (message: WorkerMessage) => port.postMessage(message),
    listen: (handler) => {
      port.on('message', handler);
      return () => port.off('message', handler);
    },
  };
}

/**
 * Metrics for this cluster worker or worker thread, merged by its primary.
 * The identity defaults to `OMNIMETER_WORKER` (env in a cluster worker,
 * workerData in a thread), else the cluster worker id or thread id: give
 * workers you restart a stable identity if you label series by worker.
 */
export function workerMetrics(options: Omit<WorkerMetricsOptions, 'worker'> & { worker?: string } = {}): WorkerMetrics {
  if (cluster.isWorker) {
    const worker = options.worker ?? process.env[WORKER_IDENTITY] ?? String(cluster.worker?.id);
    return createWorkerMetrics(clusterChannel(), { ...options, worker });
  }
  if (!isMainThread && parentPort) {
    const fromData = (workerData as Record<string, unknown> | undefined)?.[WORKER_IDENTITY];
    const worker = options.worker ?? (typeof fromData === 'string' ? fromData : String(threadId));
    return createWorkerMetrics(threadChannel(parentPort), { ...options, worker });
  }
  throw new Error('workerMetrics: not in a cluster worker or a worker thread (the primary uses aggregateCluster or aggregateThreads)');
}

export interface Aggregation {
  readonly aggregator: WorkerAggregator;
  /** Workers that did not answer the last collection. */
  partial(): readonly string[];
  /** Stops following workers; what they sent stays. */
  close(): void;
}

/** In the cluster primary: merges every worker (those forked now and later) into `metrics`. */
export function aggregateCluster(metrics: Metrics, options: AggregatorOptions = {}): Aggregation {
  const aggregator = new WorkerAggregator(metrics, options);
  const attach = (worker: ClusterWorker) => {
    const connection = aggregator.connect((request) => {
      if (!worker.isConnected()) return false;
      worker.send(request, () => {}); // an error here means the worker is going; its exit event follows
      return true;
    });
    const receive = (message: unknown) => connection.receive(message);
    worker.on('message', receive);
    worker.once('exit', () => {
      worker.off('message', receive);
      connection.exit();
    });
  };
  for (const worker of Object.values(cluster.workers ?? {})) if (worker) attach(worker);
  cluster.on('fork', attach);
  return {
    aggregator,
    partial: () => aggregator.partial(),
    close: () => {
      cluster.off('fork', attach);
      aggregator.close();
    },
  };
}

/** In the thread that owns a pool: `add` each worker thread to merge it into `metrics`. */
export function aggregateThreads(metrics: Metrics, options: AggregatorOptions = {}): Aggregation & { add(worker: ThreadWorker): void } {
  const aggregator = new WorkerAggregator(metrics, options);
  const detach = new Set<() => void>();
  return {
    aggregator,
    partial: () => aggregator.partial(),
    add(worker: ThreadWorker) {
      let connection: WorkerConnection | undefined;
      const receive = (message: unknown) => connection?.receive(message);
      const stop = () => {
        worker.off('message', receive);
        worker.off('exit', exit);
      };
      const exit = () => {
        stop();
        connection?.exit();
        detach.delete(stop);
      };
      connection = aggregator.connect((request) => {
        if (!connection?.alive) return false;
        worker.postMessage(request);
        return true;
      });
      worker.on('message', receive);
      worker.once('exit', exit);
      detach.add(stop);
    },
    close() {
      for (const d of [...detach]) d();
      aggregator.close();
    },
  };
}
