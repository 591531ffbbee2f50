/**
 * The `omnimeter:metrics/recorder` protocol (wit/metrics.wit) as JavaScript
 * sees it through jco and componentize-js bindings: the one definition the
 * host session, the guest-side recorder backend and the engine adapter share.
 */
import type { MergeOp } from './merge.js';
import type { MetricType } from './snapshot.js';

export type Op = MergeOp | 'forget';

export interface GuestDescriptor {
  name: string;
  help: string;
  unit: string;
  kind: MetricType;
  labelNames: string[];
  buckets: ArrayLike<number>;
  quantiles: ArrayLike<number>;
  /** Summary window; 0 or absent: the defaults. */
  maxAgeSeconds?: number;
  ageBuckets?: number;
}

export interface GuestUpdate {
  series: number;
  op: Op;
  index: number;
  value: number;
}

/** The recorder functions a guest imports (or an engine component exports). */
export interface Recorder {
  registerMetric(desc: GuestDescriptor): number;
  registerSeries(metric: number, labelValues: string[]): number;
  applyBatch(updates: GuestUpdate[]): void;
  now(): number;
}
