/**
 * What crosses between a worker and the aggregating primary: plain arrays
 * and numbers only, so the same messages go through cluster IPC (JSON) and
 * worker_threads (structured clone) unchanged.
 *
 * A worker cannot wait for the primary's ids (its Recorder is synchronous),
 * so it numbers its own metrics and series and sends registrations in the
 * same ordered log as the updates; the primary maps them to merge-port ids
 * per worker. Order matters: a forget followed by a new registration of the
 * same labels must reach the port in that order.
 */
import type { MetricType } from '../api/snapshot.js';
import type { Op } from '../api/recorder.js';

/** Messages carry this key, so they never mix with the application's own. */
export const CHANNEL = 'omnimeter.cluster';

export interface WireMetric {
  name: string;
  help: string;
  unit: string;
  kind: MetricType;
  labelNames: string[];
  buckets: number[];
  quantiles: number[];
  maxAgeSeconds: number;
  ageBuckets: number;
}

export type Entry =
  /** A metric, numbered by the worker. */
  | ['m', number, WireMetric]
  /** A series of metric (worker numbers); no label values on a labelled metric: its overflow series. */
  | ['s', number, number, string[]]
  /** An update of series (worker number): a delta, a gauge value, or forget. */
  | ['u', number, Op, number, number];

/** Primary → worker: send what changed since the last batch. */
export interface FlushRequest {
  [CHANNEL]: 'flush';
  seq: number;
}

/** Worker → primary: its identity once it starts, then a batch per flush request (and one at shutdown). */
export interface WorkerMessage {
  [CHANNEL]: 'hello' | 'batch';
  worker: string;
  /** The flush request answered; 0 for a batch the worker sent on its own. */
  seq: number;
  entries: Entry[];
}

export function isFlushRequest(message: unknown): message is FlushRequest {
  return typeof message === 'object' && message !== null && (message as FlushRequest)[CHANNEL] === 'flush';
}

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as WorkerMessage;
  return (m[CHANNEL] === 'hello' || m[CHANNEL] === 'batch') && typeof m.worker === 'string' && Array.isArray(m.entries);
}
