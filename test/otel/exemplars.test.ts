/**
 * Exemplars: the active span of a real OpenTelemetry tracer
 * (@opentelemetry/sdk-trace-base, made active by the AsyncLocalStorage
 * context manager the application registers) on counters and histogram
 * buckets, accepted by the strict OpenMetrics parser, stored by a real
 * Prometheus started with --enable-feature=exemplar-storage (queried through
 * /api/v1/query_exemplars), and sent in OTLP, decoded by the OpenTelemetry
 * project's generated protobuf code.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOffSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics as createCoreMetrics } from '../../src/index.js';
import { type NodeMetrics, createMetrics } from '../../src/node/index.js';
import { activeSpanContext } from '../../src/otel/index.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { type PrometheusServer, startPrometheus } from '../support/prometheus.js';
import { describeWithTools } from '../support/tools.js';
import { parseStrict } from '../support/validators.js';

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  contextManager.enable();
  context.setGlobalContextManager(contextManager); // the application's choice, as NodeSDK makes it
});
afterAll(() => {
  context.disable();
});

const tracer = new BasicTracerProvider().getTracer('exemplar-test');
const unsampled = new BasicTracerProvider({ sampler: new AlwaysOffSampler() }).getTracer('unsampled');

/** Runs `fn` inside a new active span and returns the span's ids. */
function inSpan(fn: () => void, t = tracer): { traceId: string; spanId: string } {
  return t.startActiveSpan('work', (span) => {
    fn();
    span.end();
    return span.spanContext();
  });
}

/** A clock that advances 1 s per reading: every recording is a new tick (exemplar checks are once per tick). */
function steppingClock() {
  let t = 0;
  return { now: () => (t += 1000) };
}

describe('exemplars from the active OpenTelemetry span', () => {
  it('counters and histogram buckets carry the trace and span id; none without a sampled span', async () => {
    const m = createCoreMetrics({ exemplars: { spanContext: activeSpanContext }, clock: steppingClock() });
    const calls = m.counter('tool.calls', { help: 'c', labelNames: ['tool'] as const });
    const latency = m.histogram('op.duration', { help: 'h', unit: 's', buckets: [0.1, 1] });
    const a = inSpan(() => {
      calls.inc({ tool: 'search' }, 2);
      latency.observe(0.05);
    });
    const b = inSpan(() => latency.observe(5));
    calls.inc({ tool: 'plain' });
    latency.observe(0.5); // no span: the 1 s bucket keeps none
    inSpan(() => calls.inc({ tool: 'unsampled' }), unsampled);

    const families = new Map(parseStrict(await m.registry.expose('openmetrics')).map((f) => [f.name, f]));
    const total = (tool: string) =>
      families.get('tool_calls')!.samples.find((s) => s.name === 'tool_calls_total' && s.labels.tool === tool)!;
    expect(total('search').exemplar!.labels).toEqual({ trace_id: a.traceId, span_id: a.spanId });
    expect(total('search').exemplar!.value).toBe(2);
    expect(total('plain').exemplar).toBeNull();
    expect(total('unsampled').exemplar).toBeNull();
    const buckets = families.get('op_duration_seconds')!.samples.filter((s) => s.name.endsWith('_bucket'));
    expect(buckets.map((s) => [s.labels.le, s.exemplar?.labels.span_id ?? null, s.exemplar?.value ?? null])).toEqual([
      ['0.1', a.spanId, 0.05],
      ['1.0', null, null],
      ['+Inf', b.spanId, 5],
    ]);
    expect(Math.abs(buckets[0]!.exemplar!.timestamp! - Date.now() / 1000)).toBeLessThan(60);
    // 0.0.4 has no exemplars: they are dropped.
    expect(await m.registry.expose('prometheus')).not.toContain('trace_id');
    await m.shutdown();
  });

  it('asks for the span at most once per clock tick and series', async () => {
    let asked = 0;
    let now = 0;
    const m = createCoreMetrics({
      exemplars: { spanContext: () => (asked++, undefined) },
      clock: { now: () => now },
    });
    const h = m.histogram('h', { help: 'h' });
    for (let i = 0; i < 1000; i++) h.observe(1);
    expect(asked).toBe(1);
    now = 250;
    h.observe(1);
    expect(asked).toBe(2);
    await m.shutdown();
  });

  it('records exactly what plain series record: values, sampled histograms, refused values', async () => {
    // Exemplar series repeat the plain recording lines (src/core/exemplars.ts): they must not drift apart.
    const plain = createCoreMetrics({ mode: 'lenient' });
    const withExemplars = createCoreMetrics({ mode: 'lenient', exemplars: { spanContext: activeSpanContext }, clock: steppingClock() });
    for (const m of [plain, withExemplars]) {
      const c = m.counter('c', { help: 'c', labelNames: ['k'] as const });
      const h = m.histogram('h', { help: 'h', buckets: [0.1, 1] });
      const sampled = m.histogram('s', { help: 's', buckets: [0.1, 1], sampleRate: 0.25 });
      inSpan(() => {
        for (const v of [0.05, 0.5, 5, 0, Number.NaN, Number.POSITIVE_INFINITY, -1, 2]) {
          c.inc({ k: 'a' }, v);
          h.observe(v);
          sampled.observe(v);
        }
        for (let i = 0; i < 37; i++) sampled.observe(i / 10);
        c.inc({ k: 'b' });
        c.inc({ k: 'b' }, '3' as unknown as number);
      });
    }
    const withoutExemplars = (text: string) => text.replace(/ # \{[^}]*\}[^\n]*/g, '');
    const [a, b] = await Promise.all([plain.registry.expose('openmetrics'), withExemplars.registry.expose('openmetrics')]);
    expect(b).toContain('trace_id'); // the exemplars were there
    const values = (text: string) =>
      withoutExemplars(text)
        .split('\n')
        .filter((line) => /^(c|h|s)_/.test(line) && !line.includes('_created'));
    expect(values(b)).toEqual(values(a));
    expect(values(a).length).toBeGreaterThan(10);
    const drops = (text: string) => text.split('\n').filter((line) => line.startsWith('omnimeter_dropped_recordings_total'));
    expect(drops(withoutExemplars(b))).toEqual(drops(a));
    await Promise.all([plain.shutdown(), withExemplars.shutdown()]);
    const strict = createCoreMetrics({ exemplars: { spanContext: activeSpanContext } });
    expect(() => strict.histogram('x', { help: 'x' }).observe(Number.NaN)).toThrowError(/finite/);
    expect(() => strict.counter('y', { help: 'y' }).inc(-1)).toThrowError(/>= 0/);
    await strict.shutdown();
  });

  it('is off by default, and exemplars: true asks for a span source outside omnimeter/node', () => {
    expect(() => createCoreMetrics({ exemplars: true })).toThrowError(/exemplars: expected \{ spanContext \}/);
    const m = createCoreMetrics();
    const c = m.counter('c', { help: 'c' });
    inSpan(() => c.inc());
    return m.registry.expose('openmetrics').then((text) => expect(text).not.toContain('trace_id'));
  });
});

describe('exemplars in OTLP, decoded by the OpenTelemetry definitions', () => {
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await receiver?.stop();
    receiver = undefined;
  });

  it('sends trace and span ids with the counter and histogram points', async () => {
    receiver = await OtlpReceiver.start();
    const m = createMetrics({
      collectionInterval: '1h',
      exemplars: { enabled: true },
      exporters: [{ type: 'otlp', endpoint: receiver.url }],
    });
    const c = m.counter('jobs', { help: 'j' });
    const h = m.histogram('job.duration', { help: 'd', unit: 's', buckets: [1] });
    const span = inSpan(() => {
      c.inc(3);
      h.observe(0.5);
    });
    await m.shutdown();
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    for (const name of ['jobs', 'job.duration']) {
      const [exemplar] = (receiver.point(name) as unknown as { exemplars: { traceId: Uint8Array; spanId: Uint8Array; asDouble: number }[] })
        .exemplars;
      expect([hex(exemplar!.traceId), hex(exemplar!.spanId)]).toEqual([span.traceId, span.spanId]);
      expect(exemplar!.asDouble).toBe(name === 'jobs' ? 3 : 0.5);
    }
  });
});

describeWithTools(['prometheus'], 'a real Prometheus with --enable-feature=exemplar-storage', () => {
  let prometheus: PrometheusServer | undefined;
  let metrics: NodeMetrics;
  let span: { traceId: string; spanId: string };

  beforeAll(async () => {
    metrics = createMetrics({ exemplars: { enabled: true } });
    const ops = metrics.histogram('mcp.server.operation.duration', {
      help: 'MCP operations',
      unit: 's',
      labelNames: ['mcp.method.name'] as const,
      buckets: [0.1, 1],
    });
    const calls = metrics.counter('tool.calls', { help: 'Tool calls', labelNames: ['gen_ai.tool.name'] as const });
    span = inSpan(() => {
      ops.observe({ 'mcp.method.name': 'tools/call' }, 0.042);
      calls.inc({ 'gen_ai.tool.name': 'search' });
    });
    const server = await metrics.serve({ port: 0, format: 'openmetrics' });
    prometheus = await startPrometheus([{ job: 'exemplars', port: server.port }], ['--enable-feature=exemplar-storage']);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await metrics?.shutdown();
  });

  it('stores the exemplars: /api/v1/query_exemplars returns the trace', async () => {
    const bucket = await prometheus!.exemplars('mcp_server_operation_duration_seconds_bucket');
    const stored = bucket.flatMap((s) => s.exemplars.map((e) => ({ ...e, le: s.seriesLabels.le })));
    expect(stored).toContainEqual(
      expect.objectContaining({ labels: { trace_id: span.traceId, span_id: span.spanId }, value: '0.042', le: '0.1' }),
    );
    const counter = await prometheus!.exemplars('tool_calls_total');
    expect(counter[0]!.seriesLabels.gen_ai_tool_name).toBe('search');
    expect(counter[0]!.exemplars[0]!.labels).toEqual({ trace_id: span.traceId, span_id: span.spanId });
    expect((await prometheus!.query('tool_calls_total'))[0]!.value[1]).toBe('1');
  });
});
