/** OTLP exporter: HTTP (protobuf or JSON) or, given a transport, gRPC; cumulative or delta temporality. */
import type { ExportBatch, ExportContext, PushExporter } from '../api/exporter.js';
import type { ExporterConfig } from '../config/schema.js';
import { parseDuration } from '../config/schema.js';
import { toOtlp } from '../exposition/otlp.js';
import { encodeOtlpProtobuf } from '../exposition/protobuf.js';
import { DeltaTracker } from '../core/delta.js';

type OtlpConfig = Extract<ExporterConfig, { type: 'otlp' }>;

/** The endpoint an OTLP exporter sends to: the configured one or the protocol's default. */
export function otlpEndpoint(config: Pick<OtlpConfig, 'endpoint' | 'protocol'>): string {
  return config.endpoint ?? (config.protocol === 'grpc' ? 'http://127.0.0.1:4317' : 'http://127.0.0.1:4318/v1/metrics');
}

/** Sends an encoded request some other way than fetch (OTLP/gRPC, from exporters/otlp-grpc.ts in Node). */
export interface OtlpTransport {
  send(body: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
  /** Opens a fresh connection for the next send. */
  reconnect?(): Promise<void>;
}

export function otlpExporter(config: OtlpConfig, name = 'otlp', transport?: OtlpTransport): PushExporter {
  const deltas = config.temporality === 'delta' ? new DeltaTracker() : undefined;
  const timeoutMs = parseDuration(config.timeout)!;
  const contentType = config.encoding === 'json' ? 'application/json' : 'application/x-protobuf';
  const endpoint = otlpEndpoint(config);
  if (config.protocol === 'grpc' && !transport) throw new Error(`${name}: protocol "grpc" is available in Node only`);
  return {
    ...(transport ? { close: () => transport.close() } : {}),
    ...(transport?.reconnect ? { reconnect: () => transport.reconnect!() } : {}),
    name,
    async export(batch: ExportBatch, context?: ExportContext) {
      const diff = deltas?.diff(batch.families, batch.timeMs);
      const request = toOtlp(diff?.families ?? batch.families, {
        resource: config.resource,
        temporality: config.temporality,
        timeMs: batch.timeMs,
        startMs: diff?.startMs ?? ((_f, s) => s.createdMs ?? batch.timeMs),
      });
      if (transport) {
        const bytes = encodeOtlpProtobuf(request); // gRPC carries protobuf whatever `encoding` says
        await transport.send(bytes, timeoutMs, context?.signal);
        diff?.commit();
        return bytes.length;
      }
      const body = config.encoding === 'json' ? JSON.stringify(request) : encodeOtlpProtobuf(request);
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': contentType, ...config.headers },
        body: body as string | Uint8Array<ArrayBuffer>,
        // Its own timeout, or the pipeline's (attempt timeout, shutdown deadline), whichever comes first.
        signal: context ? AbortSignal.any([AbortSignal.timeout(timeoutMs), context.signal]) : AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer(); // drain, so the connection is reused
      if (!response.ok) throw new Error(`HTTP ${response.status} from ${endpoint}`);
      diff?.commit();
      return typeof body === 'string' ? new TextEncoder().encode(body).length : body.length; // no Buffer: runs in pages too
    },
  };
}
