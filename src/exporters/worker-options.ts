import type { ExporterConfig } from '../config/schema.js';
import { parseDuration } from '../config/schema.js';
import type { WorkerOptions } from './pipeline.js';

export type PushConfig = Exclude<ExporterConfig, { type: 'prometheus' }>;

/** A push exporter's queue, backoff and per-attempt timeout, from its config entry. */
export function workerOptions(config: PushConfig): WorkerOptions {
  return {
    maxQueue: config.maxQueue,
    initialBackoffMs: parseDuration(config.retry.initialBackoff)!,
    maxBackoffMs: parseDuration(config.retry.maxBackoff)!,
    timeoutMs: 'timeout' in config ? parseDuration(config.timeout)! + 1000 : 30_000,
  };
}

/** Names exporters for logs and self-metrics: "otlp", then "otlp#2" for a second one. */
export function exporterNamer(): (type: string) => string {
  const count = new Map<string, number>();
  return (type) => {
    const n = (count.get(type) ?? 0) + 1;
    count.set(type, n);
    return n === 1 ? type : `${type}#${n}`;
  };
}
