/**
 * Tracing, injected and config-gated: omnimeter builds a TracerProvider with
 * the OpenTelemetry SDK's own exporters and real receivers on 127.0.0.1
 * decode what arrives (OTLP/HTTP protobuf and JSON and OTLP/gRPC with the
 * OpenTelemetry project's generated protobuf code, Zipkin JSON v2 against
 * the Zipkin API schema). Also: OTLP metrics over gRPC.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/node/index.js';
import { OtlpGrpcReceiver, OtlpTraceReceiver, type ReceivedSpan, ZipkinReceiver } from '../support/trace-receivers.js';

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  contextManager.enable();
  context.setGlobalContextManager(contextManager); // the application's choice (NodeSDK makes it)
});
afterAll(() => context.disable());

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});
async function started<T extends { stop(): Promise<void> }>(receiver: Promise<T>): Promise<T> {
  const r = await receiver;
  stops.push(() => r.stop());
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A request handler timed with a span, calling a helper that is timed with its own span. */
async function work(metrics: ReturnType<typeof createMetrics>) {
  const handler = metrics.timer('request.duration', { help: 'Requests', unit: 's', span: 'handle request' });
  const query = metrics.timer('db.query.duration', { help: 'Queries', unit: 's', span: true });
  await handler.time(async () => {
    await sleep(5);
    await query.time(() => sleep(5));
  });
}

/** The spans as a tree: [name, parent's name]. */
function tree(spans: ReceivedSpan[]): [string, string][] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans.map((s) => [s.name, byId.get(s.parentSpanId)?.name ?? '']);
}

describe('tracing: { enabled } builds a TracerProvider with the SDK exporters', () => {
  it.each(['http/protobuf', 'http/json'] as const)('OTLP %s: parent and child spans, resource attributes', async (protocol) => {
    const receiver = await started(OtlpTraceReceiver.start());
    const metrics = createMetrics({
      tracing: { enabled: true, protocol, endpoint: receiver.url, resource: { 'service.name': 'checkout' } },
    });
    await metrics.ready();
    await work(metrics);
    await metrics.shutdown(); // flushes the batch
    expect(tree(receiver.spans).sort()).toEqual([
      ['db.query.duration', 'handle request'],
      ['handle request', ''],
    ]);
    const [a, b] = receiver.spans;
    expect(a!.traceId).toBe(b!.traceId);
    expect(a!.resource['service.name']).toBe('checkout');
    expect(a!.scope).toBe('omnimeter');
    expect(receiver.contentTypes[0]).toContain(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
  });

  it('OTLP/gRPC: spans reach a @grpc/grpc-js collector', async () => {
    const receiver = await started(OtlpGrpcReceiver.start());
    const metrics = createMetrics({ tracing: { enabled: true, protocol: 'grpc', endpoint: receiver.url } });
    await metrics.ready();
    await work(metrics);
    await metrics.shutdown();
    expect(tree(receiver.spans).sort()).toEqual([
      ['db.query.duration', 'handle request'],
      ['handle request', ''],
    ]);
  });

  it('Zipkin JSON v2: every body validates against the Zipkin API schema', async () => {
    const receiver = await started(ZipkinReceiver.start());
    const metrics = createMetrics({
      tracing: { enabled: true, protocol: 'zipkin', endpoint: receiver.url, resource: { 'service.name': 'shop' } },
    });
    await metrics.ready();
    await work(metrics);
    await metrics.shutdown();
    expect(receiver.rejected).toEqual([]);
    const byName = new Map(receiver.spans.map((s) => [s.name as string, s]));
    const root = byName.get('handle request')!;
    const child = byName.get('db.query.duration')!;
    expect(child.parentId).toBe(root.id);
    expect(child.traceId).toBe(root.traceId);
    expect((root.localEndpoint as { serviceName: string }).serviceName).toBe('shop');
    // Microseconds. Node's timers may fire up to 1 ms early against the high-resolution clock the SDK
    // stamps spans with, so each 5 ms sleep is checked as at least 4 ms: the root spans both sleeps.
    expect(child.duration as number).toBeGreaterThanOrEqual(4_000);
    expect(root.duration as number).toBeGreaterThanOrEqual((child.duration as number) + 4_000);
  });

  it('sampleRatio samples root spans by trace id; children follow their parent', async () => {
    const receiver = await started(OtlpTraceReceiver.start());
    const none = createMetrics({ tracing: { enabled: true, endpoint: receiver.url, sampleRatio: 0 } });
    await none.ready();
    const t0 = none.timer('t0', { help: 't', span: true });
    for (let i = 0; i < 50; i++) t0.time(() => {});
    await none.shutdown();
    expect(receiver.spans).toEqual([]);

    const half = createMetrics({ tracing: { enabled: true, endpoint: receiver.url, sampleRatio: 0.5 } });
    await half.ready();
    const outer = half.timer('outer', { help: 't', span: true });
    const inner = half.timer('inner', { help: 't', span: true });
    for (let i = 0; i < 400; i++) outer.time(() => inner.time(() => {}));
    await half.shutdown();
    const roots = receiver.spans.filter((s) => s.name === 'outer').length;
    const children = receiver.spans.filter((s) => s.name === 'inner').length;
    expect(roots).toBeGreaterThan(140); // binomial(400, 0.5): 200 ± 30 covers 3 sigma
    expect(roots).toBeLessThan(260);
    expect(children).toBe(roots);
  });

  it('with tracing.enabled false nothing is built, loaded or sent', async () => {
    const receiver = await started(OtlpTraceReceiver.start());
    const metrics = createMetrics({ tracing: { enabled: false, endpoint: receiver.url } });
    expect(metrics.tracerProvider).toBeUndefined();
    await metrics.ready();
    await work(metrics); // span: true without a provider: timing only
    await metrics.shutdown();
    expect(receiver.spans).toEqual([]);
    const off = createMetrics({ enabled: false, tracing: { enabled: true, endpoint: receiver.url } });
    expect(off.tracerProvider).toBeUndefined();
    await off.shutdown();
  });

  it('shutdown exports spans that end while the HTTP servers drain', async () => {
    const receiver = await started(OtlpTraceReceiver.start());
    const metrics = createMetrics({ tracing: { enabled: true, endpoint: receiver.url } });
    await metrics.ready();
    // A scrape whose collection runs inside a span lasting 300 ms.
    const slow = metrics.timer('slow.collect', { help: 's', span: 'slow collect' });
    let collecting!: () => void;
    const inFlight = new Promise<void>((resolve) => (collecting = resolve));
    metrics.registry.addCollectHook('slow', async () => {
      collecting();
      await slow.time(() => sleep(300));
    });
    const server = await metrics.serve({ port: 0 });
    const scrape = fetch(`http://127.0.0.1:${server.port}/metrics`).then((r) => r.text());
    await inFlight; // the scrape is being collected (a fixed sleep raced the request on a loaded machine)
    await metrics.shutdown();
    expect(await scrape).toContain('slow_collect');
    expect(receiver.spans.map((s) => s.name)).toContain('slow collect');
  });

  it('takes an injected provider, and refuses one beside tracing.enabled', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const metrics = createMetrics({ tracerProvider });
    expect(metrics.tracerProvider).toBe(tracerProvider);
    await work(metrics);
    expect(
      exporter
        .getFinishedSpans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['db.query.duration', 'handle request']);
    const failed = metrics.timer('failing', { help: 'f', span: true });
    await expect(failed.time(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'failing')!;
    expect([span.status.code, span.status.message, span.events[0]?.name]).toEqual([2, 'boom', 'exception']);
    await metrics.shutdown();
    expect(() => createMetrics({ tracerProvider, tracing: { enabled: true } })).toThrowError(
      /tracerProvider: conflicts with tracing.enabled/,
    );
  });
});

describe('OTLP metrics over gRPC', () => {
  it('delivers the request to a @grpc/grpc-js collector, decoded by the OpenTelemetry definitions, with headers as metadata', async () => {
    const receiver = await started(OtlpGrpcReceiver.start());
    const metrics = createMetrics({
      collectionInterval: '1h',
      exporters: [
        {
          type: 'otlp',
          protocol: 'grpc',
          endpoint: receiver.url,
          headers: { authorization: 'Bearer t' },
          resource: { 'service.name': 'api' },
        },
      ],
    });
    metrics.counter('mcp.tool.calls', { help: 'c', labelNames: ['gen_ai.tool.name'] as const }).inc({ 'gen_ai.tool.name': 'search' }, 4);
    await metrics.flush();
    await metrics.shutdown();
    const { request, metadata } = receiver.metrics.at(-1)!;
    expect(metadata.authorization).toBe('Bearer t');
    const rm = (
      request as {
        resourceMetrics: {
          resource: { attributes: { key: string }[] };
          scopeMetrics: { metrics: { name: string; sum?: { dataPoints: { asDouble: number }[] } }[] }[];
        }[];
      }
    ).resourceMetrics[0]!;
    expect(rm.resource.attributes.map((a) => a.key)).toContain('service.name');
    const metric = rm.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.name === 'mcp.tool.calls')!;
    expect(metric.sum!.dataPoints[0]!.asDouble).toBe(4);
  });

  it('retries while the collector is unavailable and counts the failures', async () => {
    const receiver = await started(OtlpGrpcReceiver.start());
    receiver.metricsStatus = 14; // UNAVAILABLE
    const metrics = createMetrics({
      collectionInterval: '1h',
      exporters: [{ type: 'otlp', protocol: 'grpc', endpoint: receiver.url, retry: { initialBackoff: '50ms', maxBackoff: '50ms' } }],
    });
    const failures = async () =>
      (await metrics.registry.collect()).find((f) => f.name === 'omnimeter_exporter_failures')!.series[0]?.value ?? 0;
    const warn = console.warn;
    console.warn = () => {};
    try {
      const flushed = metrics.flush();
      for (let waited = 0; (await failures()) < 2 && waited < 15_000; waited += 50) await sleep(50);
      expect(receiver.metrics.length).toBe(0);
      receiver.metricsStatus = 0; // the collector is back: the next retry delivers
      await flushed;
    } finally {
      console.warn = warn;
    }
    expect(await failures()).toBeGreaterThanOrEqual(2);
    expect(receiver.metrics.length).toBe(1);
    await metrics.shutdown();
  });
});
