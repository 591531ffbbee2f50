/**
 * Prometheus remote write 1.0 (Mimir, Thanos receive, Cortex,
 * VictoriaMetrics, Prometheus' own receiver): each collection is one
 * snappy-compressed `WriteRequest` POSTed with the headers the
 * specification requires. 5xx and 429 are retried by the pipeline with its
 * backoff; any other 4xx means the receiver will never take that request, so
 * it is dropped and counted instead of blocking the queue.
 */
import type { ExportBatch, ExportContext, PushExporter } from '../api/exporter.js';
import type { ExporterConfig } from '../config/schema.js';
import { parseDuration } from '../config/schema.js';
import { encodeWriteRequest } from '../exposition/remote-write.js';
import { snappyCompress } from '../exposition/snappy.js';
import { checkHttpResponse } from './refused.js';

type RemoteWriteConfig = Extract<ExporterConfig, { type: 'remote-write' }>;

export const REMOTE_WRITE_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': 'omnimeter',
} as const;

export function remoteWriteExporter(config: RemoteWriteConfig, name = 'remote-write'): PushExporter {
  const timeoutMs = parseDuration(config.timeout)!;
  return {
    name,
    async export(batch: ExportBatch, context?: ExportContext) {
      const body = snappyCompress(encodeWriteRequest(batch.families, batch.timeMs, { externalLabels: config.externalLabels }));
      const response = await fetch(config.url, {
        method: 'POST',
        headers: { ...config.headers, ...REMOTE_WRITE_HEADERS },
        body,
        signal: context ? AbortSignal.any([AbortSignal.timeout(timeoutMs), context.signal]) : AbortSignal.timeout(timeoutMs),
      });
      await checkHttpResponse(response, config.url);
      return body.length;
    },
  };
}
