/**
 * A loopback OTLP/HTTP receiver that decodes with the OpenTelemetry
 * project's own generated protobuf code (@opentelemetry/otlp-transformer
 * 0.52.1), for protobuf and JSON bodies alike, and answers as a collector does.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { otlpHttpServer } from './otlp-http.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const root: any = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
const Response = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;

export interface DecodedPoint {
  attributes: Record<string, string>;
  startTimeUnixNano: string;
  timeUnixNano: string;
  asDouble?: number;
  count?: string;
  sum?: number;
  bucketCounts?: string[];
  explicitBounds?: number[];
  quantileValues?: { quantile: number; value: number }[];
}
export interface DecodedMetric {
  name: string;
  /** The instrumentation scope the metric was sent under. */
  scope: { name: string; version?: string };
  description?: string;
  unit?: string;
  kind: 'sum' | 'gauge' | 'histogram' | 'summary';
  temporality?: number;
  isMonotonic?: boolean;
  points: DecodedPoint[];
}
export interface DecodedRequest {
  contentType: string;
  resource: Record<string, unknown>;
  metrics: DecodedMetric[];
}

function flatten(message: unknown, contentType: string): DecodedRequest {
  const obj = Request.toObject(message, { longs: String, defaults: false });
  const rm = obj.resourceMetrics?.[0] ?? {};
  const value = (v: Record<string, unknown>) =>
    v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.doubleValue);
  const attrs = (kvs: { key: string; value: Record<string, unknown> }[] = []) =>
    Object.fromEntries(kvs.map((kv) => [kv.key, value(kv.value)]));
  const metrics: DecodedMetric[] = [];
  for (const sm of rm.scopeMetrics ?? []) {
    for (const m of sm.metrics ?? []) {
      const kind = (['sum', 'gauge', 'histogram', 'summary'] as const).find((k) => m[k]);
      if (!kind) throw new Error(`metric ${m.name} has no data`);
      metrics.push({
        name: m.name,
        scope: { name: sm.scope?.name ?? '', version: sm.scope?.version },
        description: m.description,
        unit: m.unit,
        kind,
        temporality: m[kind].aggregationTemporality,
        isMonotonic: m[kind].isMonotonic,
        points: (m[kind].dataPoints ?? []).map((p: DecodedPoint & { attributes: never }) => ({ ...p, attributes: attrs(p.attributes) })),
      });
    }
  }
  return { contentType, resource: attrs(rm.resource?.attributes), metrics };
}

export class OtlpReceiver {
  readonly requests: DecodedRequest[] = [];
  /** Status to answer with; set to 503 to simulate an outage. */
  status = 200;
  private constructor(private readonly server: Server) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/metrics`;
  }

  static async start(): Promise<OtlpReceiver> {
    let receiver!: OtlpReceiver;
    const server = await otlpHttpServer({ Request, Response }, (message, type) => receiver.requests.push(flatten(message, type)), {
      status: () => receiver.status,
    });
    receiver = new OtlpReceiver(server);
    return receiver;
  }

  /** The last value of `metric` for the point whose attributes include `attributes`. */
  point(
    metric: string,
    attributes: Record<string, string> = {},
    request = this.requests[this.requests.length - 1],
  ): DecodedPoint | undefined {
    const m = request?.metrics.find((x) => x.name === metric);
    return m?.points.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
