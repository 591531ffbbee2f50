import type { FamilySnapshot } from './snapshot.js';

/** One collection handed to push exporters. Values are cumulative. */
export interface ExportBatch {
  readonly families: readonly FamilySnapshot[];
  /** Wall-clock collection time in milliseconds since the epoch. */
  readonly timeMs: number;
}

/**
 * A destination the export pipeline pushes to. The pipeline calls `export`
 * for one batch at a time, retries it with backoff when it throws, and never
 * calls it on the recording hot path.
 */
export interface PushExporter {
  /** Identifies the exporter in self-metrics (`exporter` label). */
  readonly name: string;
  /** Delivers a batch; throw to have it retried. Returns the bytes sent, when known. */
  export(batch: ExportBatch): Promise<number | void>;
  /** Releases sockets and files once the final batch is delivered. */
  close?(): Promise<void>;
}
