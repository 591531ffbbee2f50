/**
 * Loopback receivers for spans (and OTLP metrics over gRPC), decoding with
 * the OpenTelemetry project's generated protobuf code
 * (@opentelemetry/otlp-transformer 0.52.1): OTLP/HTTP (protobuf and JSON),
 * an OTLP/gRPC server on @grpc/grpc-js serving the trace and metrics
 * services, and a Zipkin JSON v2 receiver that validates every body against
 * the Zipkin API's schema (zipkin-schema.ts).
 */
import { type Server, createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Ajv } from 'ajv';
import { ZIPKIN_V2_SCHEMA } from './zipkin-schema.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- generated protobufjs code has no types
const root: any = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const TraceResponse = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
const MetricsRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
const MetricsResponse = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: string;
}

const hex = (bytes: Uint8Array | undefined) => (bytes?.length ? Buffer.from(bytes).toString('hex') : '');
const value = (v: Record<string, unknown>) =>
  v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.doubleValue);
const attrs = (kvs: { key: string; value: Record<string, unknown> }[] = []) =>
  Object.fromEntries(kvs.map((kv) => [kv.key, value(kv.value)]));

/** Spans of a decoded ExportTraceServiceRequest, ids as hex. */
function spansOf(message: unknown): ReceivedSpan[] {
  const problem = TraceRequest.verify(message);
  if (problem) throw new Error(problem);
  const obj = TraceRequest.toObject(message, { longs: String });
  return (obj.resourceSpans ?? []).flatMap(
    (rs: { resource?: { attributes?: never }; scopeSpans?: { scope?: { name?: string }; spans?: Record<string, never>[] }[] }) =>
      (rs.scopeSpans ?? []).flatMap((ss) =>
        (ss.spans ?? []).map((s) => ({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: String(s.name),
          attributes: attrs(s.attributes),
          resource: attrs(rs.resource?.attributes),
          scope: ss.scope?.name ?? '',
        })),
      ),
  );
}

/** OTLP/JSON carries ids as hex; protobufjs' fromObject reads bytes as base64. */
function hexIdsToBase64(body: { resourceSpans?: { scopeSpans?: { spans?: Record<string, unknown>[] }[] }[] }): unknown {
  for (const rs of body.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        for (const key of ['traceId', 'spanId', 'parentSpanId']) {
          if (typeof span[key] === 'string') span[key] = Buffer.from(span[key] as string, 'hex').toString('base64');
        }
      }
    }
  }
  return body;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** OTLP/HTTP traces, protobuf or JSON. */
export class OtlpTraceReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly contentTypes: string[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpTraceReceiver> {
    let receiver!: OtlpTraceReceiver;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const type = req.headers['content-type'] ?? '';
        try {
          const body = Buffer.concat(chunks);
          const json = type.startsWith('application/json');
          const message = json ? TraceRequest.fromObject(hexIdsToBase64(JSON.parse(body.toString()))) : TraceRequest.decode(body);
          receiver.spans.push(...spansOf(message));
          receiver.contentTypes.push(type);
          if (json) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          else
            res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(TraceResponse.encode(TraceResponse.create({})).finish());
        } catch (error) {
          res.writeHead(400).end(String(error));
        }
      });
    });
    const port = await listen(server);
    receiver = new OtlpTraceReceiver(server, `http://127.0.0.1:${port}/v1/traces`);
    return receiver;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };

/** An OTLP/gRPC collector: the trace and metrics services, decoded with the generated code. */
export class OtlpGrpcReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Decoded ExportMetricsServiceRequests, as plain objects. */
  readonly metrics: { request: Record<string, unknown>; metadata: Record<string, unknown> }[] = [];
  /** gRPC status to answer metrics with; set to UNAVAILABLE to simulate an outage. */
  metricsStatus = grpc.status.OK;
  private constructor(
    private readonly server: grpc.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpGrpcReceiver> {
    let receiver!: OtlpGrpcReceiver;
    const server = new grpc.Server();
    const unary = (path: string) => ({
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: raw.serialize,
      requestDeserialize: raw.deserialize,
      responseSerialize: raw.serialize,
      responseDeserialize: raw.deserialize,
    });
    server.addService(
      { Export: { ...unary('/opentelemetry.proto.collector.trace.v1.TraceService/Export'), originalName: 'export' } } as never,
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          try {
            receiver.spans.push(...spansOf(TraceRequest.decode(call.request)));
            callback(null, Buffer.from(TraceResponse.encode(TraceResponse.create({})).finish()));
          } catch (error) {
            callback({ code: grpc.status.INVALID_ARGUMENT, details: String(error) });
          }
        },
      },
    );
    server.addService(
      { Export: { ...unary('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'), originalName: 'export' } } as never,
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          if (receiver.metricsStatus !== grpc.status.OK) return callback({ code: receiver.metricsStatus, details: 'outage' });
          try {
            const message = MetricsRequest.decode(call.request);
            const problem = MetricsRequest.verify(message);
            if (problem) throw new Error(problem);
            receiver.metrics.push({ request: MetricsRequest.toObject(message, { longs: String }), metadata: call.metadata.getMap() });
            callback(null, Buffer.from(MetricsResponse.encode(MetricsResponse.create({})).finish()));
          } catch (error) {
            callback({ code: grpc.status.INVALID_ARGUMENT, details: String(error) });
          }
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    );
    receiver = new OtlpGrpcReceiver(server, `http://127.0.0.1:${port}`);
    return receiver;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.tryShutdown(() => r()));
  }
}

/** A Zipkin collector's POST /api/v2/spans: every body must validate against the Zipkin API schema. */
export class ZipkinReceiver {
  readonly spans: Record<string, unknown>[] = [];
  readonly rejected: string[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ZipkinReceiver> {
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(ZIPKIN_V2_SCHEMA);
    let receiver!: ZipkinReceiver;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>[];
        if (req.url !== '/api/v2/spans' || !validate(body)) {
          receiver.rejected.push(JSON.stringify(validate.errors));
          res.writeHead(400).end();
          return;
        }
        receiver.spans.push(...body);
        res.writeHead(202).end();
      });
    });
    const port = await listen(server);
    receiver = new ZipkinReceiver(server, `http://127.0.0.1:${port}/api/v2/spans`);
    return receiver;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
