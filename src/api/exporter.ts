import type { FamilySnapshot } from './snapshot.js';

/** One collection handed to push exporters. Values are cumulative. */
export interface ExportBatch {
  readonly families: readonly FamilySnapshot[];
  /** Wall-clock collection time in milliseconds since the epoch. */
  readonly timeMs: number;
}

/** What the pipeline gives each export attempt. */
export interface ExportContext {
  /** Aborted when the attempt timed out or shutdown's deadline came: stop sending and return. */
  readonly signal: AbortSignal;
  /** Counts messages the transport lost without retrying them (UDP datagrams it could not send). */
  sendErrors(n: number): void;
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
  export(batch: ExportBatch, context?: ExportContext): Promise<number | void>;
  /** Releases sockets and files once the final batch is delivered. */
  close?(): Promise<void>;
  /**
   * Drops the connection (and any cached address) so the next export opens a
   * fresh one: the recovery action health runs when the exporter's error
   * streak makes its check unhealthy. Absent where there is nothing to renew.
   */
  reconnect?(): Promise<void>;
}
