/**
 * The `tracing` configuration: omnimeter builds an OpenTelemetry
 * TracerProvider with the SDK's own exporters (OTLP over HTTP/protobuf,
 * HTTP/JSON or gRPC, or Zipkin), batching spans, sampling by trace-id ratio
 * (parent-based). The SDK packages are optional peers, loaded only when
 * tracing is enabled; the provider is handed to omnimeter's users (timers,
 * the WASM host) and never registered globally.
 */
import { ProxyTracerProvider, type TracerProvider } from '@opentelemetry/api';
import { importPeer } from '../build/peers.js';
import type { MetricsConfig } from '../config/schema.js';

type TracingConfig = MetricsConfig['tracing'];
type SdkTraceBase = typeof import('@opentelemetry/sdk-trace-base');
type SpanExporter = import('@opentelemetry/sdk-trace-base').SpanExporter;

/** Where each protocol sends by default: a local collector (or Zipkin, Jaeger: both ingest OTLP too). */
export const DEFAULT_TRACE_ENDPOINTS: Readonly<Record<TracingConfig['protocol'], string>> = {
  'http/protobuf': 'http://127.0.0.1:4318/v1/traces',
  'http/json': 'http://127.0.0.1:4318/v1/traces',
  grpc: 'http://127.0.0.1:4317',
  zipkin: 'http://127.0.0.1:9411/api/v2/spans',
};

export interface Tracing {
  /** Usable at once: spans started before the SDK has loaded are not recorded. */
  readonly provider: TracerProvider;
  /** Resolves once the SDK and exporter are loaded; rejects naming a missing package. */
  readonly ready: Promise<void>;
  /** Exports every ended span, then stops. */
  shutdown(): Promise<void>;
}

const feature = (protocol: string) => `tracing (protocol "${protocol}")`;

async function spanExporter(config: TracingConfig): Promise<SpanExporter> {
  const url = config.endpoint ?? DEFAULT_TRACE_ENDPOINTS[config.protocol];
  const headers = config.headers;
  switch (config.protocol) {
    case 'http/protobuf': {
      const m = await importPeer<typeof import('@opentelemetry/exporter-trace-otlp-proto')>(
        '@opentelemetry/exporter-trace-otlp-proto',
        feature(config.protocol),
      );
      return new m.OTLPTraceExporter({ url, headers });
    }
    case 'http/json': {
      const m = await importPeer<typeof import('@opentelemetry/exporter-trace-otlp-http')>(
        '@opentelemetry/exporter-trace-otlp-http',
        feature(config.protocol),
      );
      return new m.OTLPTraceExporter({ url, headers });
    }
    case 'grpc': {
      const grpc = await importPeer<typeof import('@grpc/grpc-js')>('@grpc/grpc-js', feature(config.protocol));
      const m = await importPeer<typeof import('@opentelemetry/exporter-trace-otlp-grpc')>(
        '@opentelemetry/exporter-trace-otlp-grpc',
        feature(config.protocol),
      );
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
      return new m.OTLPTraceExporter({ url, metadata });
    }
    case 'zipkin': {
      const m = await importPeer<typeof import('@opentelemetry/exporter-zipkin')>(
        '@opentelemetry/exporter-zipkin',
        feature(config.protocol),
      );
      return new m.ZipkinExporter({ url, headers });
    }
  }
}

/** Builds the TracerProvider the configuration describes. Call only when `tracing.enabled`. */
export function startTracing(config: TracingConfig): Tracing {
  const proxy = new ProxyTracerProvider();
  let sdk: { shutdown(): Promise<void> } | undefined;
  const ready = (async () => {
    const base = await importPeer<SdkTraceBase>('@opentelemetry/sdk-trace-base', feature(config.protocol));
    const resources = await importPeer<typeof import('@opentelemetry/resources')>('@opentelemetry/resources', feature(config.protocol));
    const exporter = await spanExporter(config);
    const provider = new base.BasicTracerProvider({
      resource: resources.defaultResource().merge(resources.resourceFromAttributes(config.resource)),
      sampler: new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(config.sampleRatio) }),
      spanProcessors: [new base.BatchSpanProcessor(exporter)],
    });
    sdk = provider;
    proxy.setDelegate(provider);
  })();
  ready.catch(() => {}); // reported through ready() and the warning below
  return {
    provider: proxy,
    ready,
    async shutdown() {
      await ready.catch(() => {});
      await sdk?.shutdown(); // BatchSpanProcessor exports what is queued first
    },
  };
}
