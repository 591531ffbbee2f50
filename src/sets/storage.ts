/** The storage set's helpers, bound to one backend name (`redis`, `s3`, `sqlite`, `memory`, ...). */
import {
  type Clock,
  counterOf,
  gaugeOf,
  histogramOf,
  lazy,
  monotonicSeconds,
  type Outcome,
  type SetOptions,
  timed,
} from './instruments.js';
import { STORAGE_SET as S } from './spec.js';

export type StorageOperation = 'read' | 'write' | 'delete';

export interface StorageMetricsOptions extends SetOptions {
  /** The `storage.backend` attribute. */
  readonly backend: string;
}

export interface StorageMetrics {
  readonly clock: Clock;
  /** Runs `fn` (sync or async) as one operation: counted, timed, its outcome from whether it threw. */
  operation<T>(operation: StorageOperation, fn: () => T): T;
  /** An operation measured elsewhere. */
  record(operation: StorageOperation, seconds: number, outcome: Outcome): void;
  /** Bytes used and, when known, the capacity (utilization follows). */
  usage(usedBytes: number, capacityBytes?: number): void;
  integrityCheck(intact: boolean): void;
  /** Runs a backup (sync or async): its duration by outcome. */
  backup<T>(fn: () => T): T;
}

export function storageMetrics(options: StorageMetricsOptions): StorageMetrics {
  const { metrics, backend } = options;
  const clock = options.clock ?? monotonicSeconds;
  const at = { 'storage.backend': backend };
  const ops = counterOf(metrics, S.operations);
  const durations = histogramOf(metrics, S.operationDuration);
  const handles = new Map<string, { count: ReturnType<typeof ops.labels>; time: ReturnType<typeof durations.labels> }>();
  const handle = (operation: StorageOperation, outcome: Outcome) => {
    const key = `${operation}/${outcome}`;
    let h = handles.get(key);
    if (!h) {
      const labels = { ...at, 'storage.operation': operation, outcome };
      handles.set(key, (h = { count: ops.labels(labels), time: durations.labels(labels) }));
    }
    return h;
  };
  const record = (operation: StorageOperation, seconds: number, outcome: Outcome) => {
    const h = handle(operation, outcome);
    h.count.inc();
    h.time.observe(seconds);
  };
  const used = lazy(() => gaugeOf(metrics, S.used).labels(at));
  const capacity = lazy(() => gaugeOf(metrics, S.capacity).labels(at));
  const utilization = lazy(() => gaugeOf(metrics, S.utilization).labels(at));
  const checks = counterOf(metrics, S.integrityChecks);
  const backups = histogramOf(metrics, S.backupDuration);
  return {
    clock,
    operation: (operation, fn) => timed(clock, fn, (seconds, outcome) => record(operation, seconds, outcome)),
    record,
    usage(usedBytes, capacityBytes) {
      used().set(usedBytes);
      if (capacityBytes === undefined) return;
      capacity().set(capacityBytes);
      if (capacityBytes > 0) utilization().set(usedBytes / capacityBytes);
    },
    integrityCheck(intact) {
      checks.inc({ ...at, outcome: intact ? 'success' : 'error' });
    },
    backup: (fn) => timed(clock, fn, (seconds, outcome) => backups.observe({ ...at, outcome }, seconds)),
  };
}
