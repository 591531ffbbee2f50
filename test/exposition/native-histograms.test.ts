/**
 * Native histograms: exponential buckets (src/core/native-histogram.ts) and
 * the Prometheus protobuf exposition that carries them. The judge is a real
 * Prometheus (Debian's 2.42) started with --enable-feature=native-histograms:
 * it asks for protobuf in Accept, ingests the native series, and its
 * histogram_count / histogram_sum / histogram_quantile answers are compared
 * with the recorded data (quantiles within the bucket width of the schema the
 * series ended at).
 */
import { createRequire } from 'node:module';
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeHistogramPoint } from '../../src/api/snapshot.js';
import { createMetrics as createCoreMetrics } from '../../src/index.js';
import { NativeBuckets, bucketIndex, bucketUpperBound, nativeDelta } from '../../src/core/native-histogram.js';
import { prefersProtobuf } from '../../src/exposition/negotiate.js';
import { toOtlp } from '../../src/exposition/otlp.js';
import { encodeOtlpProtobuf } from '../../src/exposition/protobuf.js';
import { PROTOBUF_CONTENT_TYPE } from '../../src/exposition/prometheus-protobuf.js';
import { type NodeMetrics, createMetrics } from '../../src/node/index.js';
import { type PrometheusServer, startPrometheus } from '../support/prometheus.js';
import { describeWithTools } from '../support/tools.js';
import { parseStrict } from '../support/validators.js';

const spec = (schema: number, maxBuckets = 10_000, zeroThreshold = 2 ** -128) => ({ schema, maxBuckets, zeroThreshold, classic: false });

/** Deterministic log-uniform data from 1e-3 to 1e3, some zeros. */
function workload(n: number, seed: number): number[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => (i % 50 === 0 ? 0 : 10 ** (next() * 6 - 3)));
}

/** The value of rank ceil(q·n) of the sorted data: what a quantile estimate's bucket holds. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe('exponential bucket index', () => {
  it('puts every value in the bucket whose bounds hold it, at every schema', () => {
    fc.assert(
      fc.property(fc.double({ min: 2 ** -1000, max: 2 ** 1000, noNaN: true }), fc.integer({ min: -4, max: 8 }), (v, schema) => {
        const i = bucketIndex(v, schema);
        // Boundaries are powers of 2^(2^-schema), computed in floating point: one ulp of slack.
        const eps = 1e-12;
        expect(v).toBeLessThanOrEqual(bucketUpperBound(i, schema) * (1 + eps));
        expect(v).toBeGreaterThan(bucketUpperBound(i - 1, schema) * (1 - eps));
      }),
    );
  });

  it('upper bounds are inclusive: powers of two end a bucket', () => {
    for (const schema of [-4, -1, 0, 1, 3, 8]) {
      expect(bucketUpperBound(bucketIndex(1, schema), schema)).toBe(1);
      expect(bucketUpperBound(bucketIndex(65536, schema), schema)).toBe(65536);
      expect(bucketUpperBound(bucketIndex(2 ** -32, schema), schema)).toBe(2 ** -32);
    }
    expect(bucketIndex(0.5, 0)).toBe(-1);
    expect(bucketIndex(0.51, 0)).toBe(0);
  });

  it('scale reduction keeps every observation, spans at most maxBuckets, and equals bucketing at the final schema directly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 2, max: 40 }),
        (values, maxBuckets) => {
          const reduced = new NativeBuckets(spec(8, maxBuckets, 1e-9));
          for (const v of values) reduced.observe(v, 1);
          const r = reduced.read();
          const buckets = r.positive.length + r.negative.length;
          if (r.schema > -4) expect(buckets).toBeLessThanOrEqual(maxBuckets);
          // The bound is on the span in use (lowest to highest bucket, both signs together), which bounds memory.
          const span = (list: readonly (readonly [number, number])[]) =>
            list.length === 0 ? 0 : list[list.length - 1]![0] - list[0]![0] + 1;
          if (r.schema > -4) expect(span(r.positive) + span(r.negative)).toBeLessThanOrEqual(maxBuckets);
          const total = r.zeroCount + [...r.positive, ...r.negative].reduce((n, [, c]) => n + c, 0);
          expect(total).toBe(values.length);
          expect(r.count).toBe(values.length);
          const direct = new NativeBuckets(spec(r.schema, 10_000, 1e-9));
          for (const v of values) direct.observe(v, 1);
          const d = direct.read();
          expect(d.positive).toEqual(r.positive);
          expect(d.negative).toEqual(r.negative);
          expect(d.zeroCount).toBe(r.zeroCount);
        },
      ),
    );
  });
});

describe('delta temporality', () => {
  it('the delta of two readings is the second batch alone, at the schema the series reached', () => {
    const values = fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { maxLength: 200 });
    fc.assert(
      fc.property(values, values, fc.integer({ min: 2, max: 30 }), (first, second, maxBuckets) => {
        const series = new NativeBuckets(spec(6, maxBuckets, 1e-9));
        for (const v of first) series.observe(v, 1);
        const before = series.read();
        for (const v of second) series.observe(v, 1);
        const after = series.read();
        const delta = nativeDelta(after, before);
        const alone = new NativeBuckets(spec(after.schema, 10_000, 1e-9));
        for (const v of second) alone.observe(v, 1);
        const expected = alone.read();
        expect(delta.count).toBe(second.length);
        expect(delta.zeroCount).toBe(expected.zeroCount);
        expect(delta.positive).toEqual(expected.positive);
        expect(delta.negative).toEqual(expected.negative);
      }),
    );
  });
});

const require = createRequire(import.meta.url);
const root: any = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const ExportRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

describe('OTLP ExponentialHistogram', () => {
  it("decodes with OpenTelemetry's generated code to the same buckets as @opentelemetry/sdk-metrics on the same data", async () => {
    // The SDK's histogram instrument ignores negative values (the API's histograms record magnitudes).
    const values = workload(1500, 17);
    const reader = new CollectingReader();
    const provider = new MeterProvider({
      readers: [reader],
      views: [{ instrumentName: 'latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const sdkHistogram = provider.getMeter('test').createHistogram('latency');
    for (const v of values) sdkHistogram.record(v);
    const { resourceMetrics } = await reader.collect();
    const sdk = resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!.value as any;
    await provider.shutdown();

    // The SDK picks the scale that fits 160 buckets; omnimeter records at that schema.
    const m = createCoreMetrics();
    const h = m.histogram('latency', { help: 'h', native: { schema: sdk.scale, maxBuckets: 1000 } });
    for (const v of values) h.observe(v);
    const families = (await m.registry.collect()).filter((f) => f.name === 'latency');
    const request = toOtlp(families, { resource: {}, temporality: 'cumulative', timeMs: Date.now(), startMs: () => 0 });
    const decoded = ExportRequest.toObject(ExportRequest.decode(encodeOtlpProtobuf(request)), { longs: Number, defaults: true });
    const metric = decoded.resourceMetrics[0].scopeMetrics[0].metrics[0];
    expect(metric.histogram).toBeUndefined();
    expect(metric.exponentialHistogram.aggregationTemporality).toBe(2);
    const point = metric.exponentialHistogram.dataPoints[0];
    expect(point.scale).toBe(sdk.scale);
    expect(point.count).toBe(sdk.count);
    expect(point.sum).toBeCloseTo(sdk.sum, 6);
    expect(point.zeroCount).toBe(sdk.zeroCount);
    const trim = (b: { offset: number; bucketCounts: number[] }) => {
      // The SDK may keep empty buckets at the ends of its range; compare the occupied span.
      const counts = [...b.bucketCounts];
      let offset = b.offset;
      while (counts.length && counts[0] === 0) counts.shift(), offset++;
      while (counts.length && counts[counts.length - 1] === 0) counts.pop();
      return { offset: counts.length ? offset : 0, bucketCounts: counts };
    };
    expect(trim(point.positive)).toEqual(trim(sdk.positive));
    expect(trim(point.negative)).toEqual(trim(sdk.negative));
    expect(point.positive.bucketCounts.length).toBeGreaterThan(50);
  });
});

describe('the native option', () => {
  it('is off by default and validated', () => {
    const m = createCoreMetrics();
    m.histogram('plain', { help: 'h' }).observe(1);
    expect(() => m.histogram('bad', { help: 'h', native: { schema: 9 } })).toThrow(
      /bad": native\.schema: expected an integer from -4 to 8, got 9/,
    );
    expect(() => m.histogram('bad2', { help: 'h', native: { maxBuckets: 0 } })).toThrow(/native\.maxBuckets/);
  });

  it('text formats keep the classic buckets; sampled observations count with their weight', async () => {
    const m = createCoreMetrics();
    const h = m.histogram('latency_seconds', { help: 'h', buckets: [0.1, 1], native: true, sampleRate: 0.5 });
    for (const v of [0.05, 0.5, 5, 5]) h.observe(v);
    const family = (await m.registry.collect()).find((f) => f.name === 'latency_seconds');
    const native = family!.series[0]!.native as NativeHistogramPoint;
    expect(native.count).toBe(family!.series[0]!.count);
    expect(native.count).toBe(4);
    expect(family!.native).toMatchObject({ schema: 3, classic: true });
    const text = await m.registry.expose('openmetrics');
    parseStrict(text);
    // 1 in 2 recorded with weight 2: 0.5 and 5.
    expect(text).toContain('latency_seconds_bucket{le="0.1"} 0\nlatency_seconds_bucket{le="1.0"} 2\n');
  });
});

describe('Accept negotiation', () => {
  it('protobuf only when asked for by its full media type at least as strongly as text', () => {
    const prom =
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1';
    expect(prefersProtobuf(prom)).toBe(true);
    expect(prefersProtobuf('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1')).toBe(false);
    expect(prefersProtobuf('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text')).toBe(false);
    expect(
      prefersProtobuf('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.2,text/plain'),
    ).toBe(false);
    expect(prefersProtobuf(undefined)).toBe(false);
  });
});

describeWithTools(['prometheus'], 'a real Prometheus with --enable-feature=native-histograms', () => {
  let prometheus: PrometheusServer | undefined;
  let metrics: NodeMetrics;
  let port = 0;
  const fine = workload(3000, 7);
  const coarse = workload(2000, 11);
  const labelled = { a: workload(500, 3), b: workload(700, 5) };
  const negative = workload(300, 13).map((v, i) => (i % 3 === 0 ? v : -v));
  let schemas: Record<string, number> = {};

  beforeAll(async () => {
    metrics = createMetrics();
    const latency = metrics.histogram('request.duration', { help: 'Requests', unit: 's', native: true });
    // A bucket limit this small forces scale reduction: the schema ends well below 3.
    const sizes = metrics.histogram('payload_size_bytes', { help: 'Sizes', native: { schema: 8, maxBuckets: 12 } });
    const both = metrics.histogram('queue_wait_seconds', {
      help: 'Waits',
      labelNames: ['queue'] as const,
      buckets: [0.01, 1, 100],
      native: { schema: 2 },
    });
    for (const v of fine) latency.observe(v);
    for (const v of coarse) sizes.observe(v);
    for (const [queue, values] of Object.entries(labelled)) for (const v of values) both.observe({ queue }, v);
    for (const v of negative) both.observe({ queue: 'negative' }, v);
    metrics.counter('jobs', { help: 'Jobs' }).inc(3);
    const families = await metrics.registry.collect();
    schemas = Object.fromEntries(families.filter((f) => f.native).map((f) => [f.name, Math.min(...f.series.map((s) => s.native!.schema))]));
    const server = await metrics.serve({ port: 0 });
    port = server.port;
    prometheus = await startPrometheus([{ job: 'native', port: server.port }], ['--enable-feature=native-histograms']);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await metrics?.shutdown();
  });

  const value = async (promql: string) => {
    const result = await prometheus!.query(promql);
    expect(result, promql).toHaveLength(1);
    return Number(result[0]!.value[1]);
  };

  it('scales down the schema under a small bucket limit', () => {
    expect(schemas.payload_size_bytes).toBeLessThan(3);
    expect(schemas['request.duration']).toBe(3);
  });

  it('ingests native series: histogram_count and histogram_sum equal the recorded data', async () => {
    // Classic series would have _bucket samples; a native series has none.
    expect(await prometheus!.query('request_duration_seconds_bucket')).toHaveLength(0);
    expect(await value('histogram_count(request_duration_seconds)')).toBe(fine.length);
    expect(await value('histogram_sum(request_duration_seconds)')).toBeCloseTo(
      fine.reduce((a, b) => a + b, 0),
      6,
    );
    expect(await value('histogram_count(payload_size_bytes)')).toBe(coarse.length);
    expect(await value('histogram_count(queue_wait_seconds{queue="b"})')).toBe(labelled.b.length);
    expect(await value('histogram_count(queue_wait_seconds{queue="negative"})')).toBe(negative.length);
    expect(await value('histogram_sum(queue_wait_seconds{queue="negative"})')).toBeCloseTo(
      negative.reduce((a, b) => a + b, 0),
      6,
    );
    expect(await value('jobs_total')).toBe(3);
  });

  it('answers histogram_quantile within the bucket width of the schema', async () => {
    const cases: [string, number[], string][] = [
      ['request_duration_seconds', fine, 'request.duration'],
      ['payload_size_bytes', coarse, 'payload_size_bytes'],
      ['queue_wait_seconds{queue="a"}', labelled.a, 'queue_wait_seconds'],
    ];
    for (const [series, values, family] of cases) {
      const base = 2 ** (2 ** -schemas[family]!);
      for (const q of [0.1, 0.5, 0.9, 0.99]) {
        const exact = exactQuantile(values, q);
        const estimate = await value(`histogram_quantile(${q}, ${series})`);
        expect(estimate, `${series} q=${q} exact=${exact}`).toBeGreaterThanOrEqual((exact / base) * (1 - 1e-9));
        expect(estimate, `${series} q=${q} exact=${exact}`).toBeLessThanOrEqual(exact * base * (1 + 1e-9));
      }
    }
  });

  it('is what the endpoint answers when Prometheus asks for protobuf', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: {
        accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;q=0.3',
      },
    });
    expect(res.headers.get('content-type')).toBe(PROTOBUF_CONTENT_TYPE);
    const plain = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { accept: 'text/plain' } });
    expect(plain.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    // The text format keeps the classic buckets of every native histogram.
    expect(await plain.text()).toContain('queue_wait_seconds_bucket{queue="a",le="100.0"}');
  });

  it('sums native series across labels', async () => {
    const all = [...labelled.a, ...labelled.b, ...negative];
    expect(await value('histogram_count(sum(queue_wait_seconds))')).toBe(all.length);
  });
});
