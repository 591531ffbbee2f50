/** OTLP/HTTP exporter: protobuf or JSON, cumulative or delta temporality. */
import type { ExportBatch, ExportContext, PushExporter } from '../api/exporter.js';
import type { ExporterConfig } from '../config/schema.js';
import { parseDuration } from '../config/schema.js';
import { toOtlp } from '../exposition/otlp.js';
import { encodeOtlpProtobuf } from '../exposition/protobuf.js';
import { DeltaTracker } from '../core/delta.js';

type OtlpConfig = Extract<ExporterConfig, { type: 'otlp' }>;

export function otlpExporter(config: OtlpConfig, name = 'otlp'): PushExporter {
  const deltas = config.temporality === 'delta' ? new DeltaTracker() : undefined;
  const timeoutMs = parseDuration(config.timeout)!;
  const contentType = config.encoding === 'json' ? 'application/json' : 'application/x-protobuf';
  return {
    name,
    async export(batch: ExportBatch, context?: ExportContext) {
      const diff = deltas?.diff(batch.families, batch.timeMs);
      const request = toOtlp(diff?.families ?? batch.families, {
        resource: config.resource,
        temporality: config.temporality,
        timeMs: batch.timeMs,
        startMs: diff?.startMs ?? ((_f, s) => s.createdMs ?? batch.timeMs),
      });
      const body = config.encoding === 'json' ? JSON.stringify(request) : encodeOtlpProtobuf(request);
      const response = await fetch(config.endpoint, {
        method: 'POST',
        headers: { 'content-type': contentType, ...config.headers },
        body: body as string | Uint8Array<ArrayBuffer>,
        // Its own timeout, or the pipeline's (attempt timeout, shutdown deadline), whichever comes first.
        signal: context ? AbortSignal.any([AbortSignal.timeout(timeoutMs), context.signal]) : AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer(); // drain, so the connection is reused
      if (!response.ok) throw new Error(`HTTP ${response.status} from ${config.endpoint}`);
      diff?.commit();
      return typeof body === 'string' ? new TextEncoder().encode(body).length : body.length; // no Buffer: runs in pages too
    },
  };
}
