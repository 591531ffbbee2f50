/**
 * A loopback OTLP/HTTP trace receiver: what a process sends with the
 * OpenTelemetry SDK's OTLP trace exporter, decoded with the OpenTelemetry
 * project's generated protobuf code (@opentelemetry/otlp-transformer 0.52.1).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { otlpHttpServer } from './otlp-http.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const root: any = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const Response = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** 1 internal, 2 server, 3 client (the proto's SpanKind). */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
  links: { traceId: string; spanId: string }[];
  scope: string;
}

/**
 * OTLP/JSON writes trace and span ids as hex (the specification's exception
 * to the protobuf JSON mapping, which protobufjs's fromObject would read as
 * base64): turn them into bytes first.
 */
function idsToBytes(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(idsToBytes);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      (k === 'traceId' || k === 'spanId' || k === 'parentSpanId') && typeof v === 'string' ? Buffer.from(v, 'hex') : idsToBytes(v),
    ]),
  );
}

const hex = (bytes: Uint8Array | undefined) => (bytes?.length ? Buffer.from(bytes).toString('hex') : undefined);

function value(v: Record<string, unknown>): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue as string;
  if (v.boolValue !== undefined) return v.boolValue as boolean;
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.doubleValue as number;
}

function spansOf(message: unknown): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  const decoded = Request.toObject(message, { longs: Number, defaults: false });
  for (const rs of decoded.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? [])
        spans.push({
          traceId: hex(s.traceId)!,
          spanId: hex(s.spanId)!,
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: s.kind,
          attributes: Object.fromEntries(
            (s.attributes ?? []).map((kv: { key: string; value: Record<string, unknown> }) => [kv.key, value(kv.value)]),
          ),
          status: { code: s.status?.code, message: s.status?.message },
          links: (s.links ?? []).map((l: { traceId: Uint8Array; spanId: Uint8Array }) => ({
            traceId: hex(l.traceId)!,
            spanId: hex(l.spanId)!,
          })),
          scope: ss.scope?.name ?? '',
        });
  return spans;
}

export class OtlpTraceReceiver {
  readonly spans: ReceivedSpan[] = [];
  private constructor(private readonly server: Server) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  static async start(): Promise<OtlpTraceReceiver> {
    let receiver!: OtlpTraceReceiver;
    const server = await otlpHttpServer({ Request, Response }, (message) => receiver.spans.push(...spansOf(message)), {
      fromJson: idsToBytes,
    });
    receiver = new OtlpTraceReceiver(server);
    return receiver;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
