/**
 * The WASM host under a real OpenTelemetry SDK provider
 * (@opentelemetry/sdk-trace-base, not a stub): a span per invocation, a
 * child span per host call, nested under the caller's active span; the
 * host's structured logs carry trace_id and span_id so logs, metrics and
 * traces correlate.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ComponentHost, type LogRecord, readComponent } from '../../src/host/index.js';
import { createMetrics } from '../../src/node/index.js';
import { componentDir } from '../support/components.js';

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
});
afterAll(() => context.disable());

it('spans per invocation and host call, under the caller span; logs carry the trace', async () => {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const metrics = createMetrics({ tracerProvider });
  const logs: LogRecord[] = [];
  const host = new ComponentHost({ metrics, tracerProvider: metrics.tracerProvider, log: (r) => logs.push(r) });
  const json = host.load(readComponent(await componentDir('json-tool'))).instantiate('i');
  const request = tracerProvider.getTracer('app').startActiveSpan('handle request', (span) => {
    json.call('count-values', '[1, 2, 3]');
    span.end();
    return span.spanContext();
  });
  const spans = exporter.getFinishedSpans();
  const byName = new Map(spans.map((s) => [s.name, s]));
  const invocation = byName.get('json-tool count-values')!;
  const hostCall = byName.get('host apply-batch')!;
  expect(invocation.parentSpanContext?.spanId).toBe(request.spanId);
  expect(hostCall.parentSpanContext?.spanId).toBe(invocation.spanContext().spanId);
  expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([request.traceId]));
  expect(invocation.attributes).toMatchObject({ 'wasm.component': 'json-tool', 'wasm.instance': 'i' });
  for (const event of ['invocation.start', 'invocation.finish'] as const) {
    expect(logs.find((l) => l.event === event)).toMatchObject({ trace_id: request.traceId, span_id: invocation.spanContext().spanId });
  }
  json.call('count-values', '[]'); // no span active, none recording: no ids
  expect(logs.at(-1)!.trace_id).toBeDefined(); // the host's own invocation span still is one
  await metrics.shutdown();
});

it('logs carry no ids without a tracer provider or an active span', async () => {
  const metrics = createMetrics();
  const logs: LogRecord[] = [];
  const host = new ComponentHost({ metrics, log: (r) => logs.push(r) });
  host
    .load(readComponent(await componentDir('json-tool')))
    .instantiate('j')
    .call('count-values', '[1]');
  expect(logs.every((l) => l.trace_id === undefined && l.span_id === undefined)).toBe(true);
  await metrics.shutdown();
});
