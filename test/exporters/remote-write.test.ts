import { type Server, createServer } from 'node:http';
import fc from 'fast-check';
import SnappyJS from 'snappyjs';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FamilySnapshot } from '../../src/api/snapshot.js';
import { encodeWriteRequest, toRemoteSeries } from '../../src/exposition/remote-write.js';
import { snappyCompress } from '../../src/exposition/snappy.js';
import { createMetrics } from '../../src/node/index.js';
import { type PrometheusServer, startPrometheus } from '../support/prometheus.js';
import { describeWithTools } from '../support/tools.js';

describe('snappy block format', () => {
  it('round-trips through an independent decoder (snappyjs), for any bytes and for repetitive ones', () => {
    const repetitive = fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 5000 }))
      .map(([unit, times]) => Uint8Array.from({ length: unit.length * times }, (_, i) => unit[i % unit.length]!));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300_000 }), repetitive), (input) => {
        const decoded = new Uint8Array(SnappyJS.uncompress(snappyCompress(input)));
        expect(Buffer.from(decoded).equals(Buffer.from(input))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('compresses what repeats (labels of a write request do)', () => {
    const text = new TextEncoder().encode('http_requests_total{route="/a",status="200"} '.repeat(1000));
    expect(snappyCompress(text).length).toBeLessThan(text.length / 10);
  });
});

/** A receiver answering with the given statuses in turn, recording requests. */
async function scriptedReceiver(statuses: number[]) {
  const requests: { headers: Record<string, string | string[] | undefined>; body: Buffer }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.statusCode = statuses.shift() ?? 204;
      res.end(res.statusCode >= 400 ? 'out of order sample' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { requests, url: `http://127.0.0.1:${port}/api/v1/write`, close: () => new Promise((r) => server.close(r)) };
}

describe('WriteRequest labels', () => {
  // The labels part of prompb's WriteRequest, read by protobufjs (other fields are skipped as unknown).
  const WriteRequest = protobuf.Root.fromJSON({
    nested: {
      WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
      TimeSeries: { fields: { labels: { rule: 'repeated', type: 'Label', id: 1 } } },
      Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
    },
  }).lookupType('WriteRequest');

  it('are written sorted by name, __name__ and le/quantile in place, external ones under the own, empty ones dropped', () => {
    const name = fc.constantFrom('a', 'Z', 'le', 'quantile', 'zone', '_x', 'b_c', 'M');
    const value = fc.constantFrom('', 'v', 'é', 'x y');
    const labels = fc.dictionary(name, value, { maxKeys: 5 });
    fc.assert(
      fc.property(
        fc.array(labels, { minLength: 1, maxLength: 4 }),
        labels,
        fc.constantFrom('counter', 'histogram', 'summary'),
        (sets, external, type) => {
          const family: FamilySnapshot = {
            name: 'probe',
            help: 'p',
            unit: '',
            type,
            labelNames: [],
            buckets: type === 'histogram' ? [1] : undefined,
            quantiles: type === 'summary' ? [0.5] : undefined,
            series: sets.map((set) => ({
              labels: Object.entries(set),
              value: 1,
              count: 1,
              sum: 1,
              bucketCounts: [1, 0],
              quantileValues: [1],
            })),
          } as unknown as FamilySnapshot;
          const options = { externalLabels: external };
          const decoded = WriteRequest.toObject(WriteRequest.decode(encodeWriteRequest([family], 1, options)), { defaults: true }) as {
            timeseries: { labels: { name: string; value: string }[] }[];
          };
          const expected = toRemoteSeries([family], options).map((s) => s.labels.map(([n, v]) => ({ name: n, value: v })));
          expect(decoded.timeseries.map((t) => t.labels)).toEqual(expected);
          for (const series of expected) {
            const names = series.map((l) => l.name);
            expect(names).toEqual([...names].sort());
            expect(new Set(names).size).toBe(names.length);
            expect(series.every((l) => l.value !== '')).toBe(true);
            expect(names).toContain('__name__');
          }
        },
      ),
    );
  });
});

describe('remote-write exporter: protocol and failures', () => {
  it('sends the headers remote write 1.0 requires; drops a 400 at once but retries 429 and 5xx', async () => {
    const receiver = await scriptedReceiver([400, 503, 429]);
    const metrics = createMetrics({
      collectionInterval: '1h',
      exporters: [{ type: 'remote-write', url: receiver.url, retry: { initialBackoff: '10ms', maxBackoff: '20ms' } }],
    });
    metrics.counter('jobs_total', { help: 'j' }).inc(2);
    await metrics.flush(); // 400: refused, dropped, not retried
    await metrics.flush(); // 503, then 429, then delivered
    const exposition = await metrics.registry.expose();
    await metrics.shutdown();
    await receiver.close();
    expect(receiver.requests).toHaveLength(5); // 400, 503, 429, delivered, and shutdown's final collection
    expect(receiver.requests[0]!.headers).toMatchObject({
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    });
    expect(exposition).toMatch(/omnimeter_exporter_dropped_total\{exporter="remote-write"\} 1\n/);
    expect(exposition).toMatch(/omnimeter_exporter_failures_total\{exporter="remote-write"\} 3\n/);
  });
});

describeWithTools(['prometheus'], 'remote-write exporter against a real Prometheus (--web.enable-remote-write-receiver)', () => {
  let prom: PrometheusServer | undefined;
  afterEach(async () => {
    await prom?.stop();
    prom = undefined;
  });

  const value = async (promql: string) => {
    const result = await prom!.query(promql);
    return result.length === 1 ? Number(result[0]!.value[1]) : result.length;
  };

  it('PromQL answers exactly what was recorded, across a restart of the receiver', { timeout: 90_000 }, async () => {
    prom = await startPrometheus([], ['--web.enable-remote-write-receiver']);
    const metrics = createMetrics({
      collectionInterval: '1h',
      defaultLabels: { svc: 'api' },
      exporters: [
        {
          type: 'remote-write',
          url: `${prom.url}/api/v1/write`,
          externalLabels: { cluster: 'eu-1' },
          retry: { initialBackoff: '100ms', maxBackoff: '500ms' },
          maxQueue: 100,
        },
      ],
    });
    const requests = metrics.counter('requests_total', { help: 'r', labelNames: ['route'] as const });
    const depth = metrics.gauge('queue_depth', { help: 'q' });
    const latency = metrics.histogram('latency_seconds', { help: 'l', buckets: [0.1, 1] });
    const size = metrics.summary('size_bytes', { help: 's', quantiles: [0.5] });
    requests.inc({ route: '/a "x"' }, 5);
    requests.inc({ route: '/b' }, 0.25);
    depth.set(-2.5);
    for (const v of [0.05, 0.5, 3]) latency.observe(v);
    size.observe(400);
    await metrics.flush();

    expect(await value('requests_total{route="/a \\"x\\"",svc="api",cluster="eu-1"}')).toBe(5);
    expect(await value('requests_total{route="/b"}')).toBe(0.25);
    expect(await value('queue_depth')).toBe(-2.5);
    expect(await value('latency_seconds_bucket{le="0.1"}')).toBe(1);
    expect(await value('latency_seconds_bucket{le="1.0"}')).toBe(2);
    expect(await value('latency_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(await value('latency_seconds_sum')).toBe(3.55);
    expect(await value('latency_seconds_count')).toBe(3);
    expect(await value('size_bytes{quantile="0.5"}')).toBeCloseTo(400, -1);
    expect(await value('size_bytes_count')).toBe(1);

    // The receiver goes away: what is recorded meanwhile is queued and retried, then delivered.
    const restarted = prom.restart();
    requests.inc({ route: '/b' }, 1);
    depth.set(7);
    latency.observe(0.2);
    const outage = metrics.flush();
    await restarted;
    await outage;
    requests.inc({ route: '/a "x"' }, 1);
    await metrics.shutdown();

    expect(await value('requests_total{route="/a \\"x\\""}')).toBe(6);
    expect(await value('requests_total{route="/b"}')).toBe(1.25);
    expect(await value('queue_depth')).toBe(7);
    expect(await value('latency_seconds_bucket{le="1.0"}')).toBe(3);
    expect(await value('latency_seconds_count')).toBe(4);
    expect(await value('count_over_time(requests_total{route="/b"}[5m])')).toBeGreaterThanOrEqual(2); // history survived
  });

  it('sends native histograms as prompb.Histogram: a Prometheus with native histograms answers histogram_count, _sum and _quantile', {
    timeout: 90_000,
  }, async () => {
    prom = await startPrometheus([], ['--web.enable-remote-write-receiver', '--enable-feature=native-histograms']);
    const metrics = createMetrics({
      collectionInterval: '1h',
      exporters: [{ type: 'remote-write', url: `${prom.url}/api/v1/write`, retry: { initialBackoff: '100ms', maxBackoff: '500ms' } }],
    });
    const latency = metrics.histogram('rpc_duration_seconds', { help: 'l', labelNames: ['route'] as const, native: { schema: 3 } });
    const waits = metrics.histogram('wait_seconds', { help: 'w', buckets: [0.1, 1], native: true }); // classic alongside
    const drift = metrics.histogram('drift_seconds', { help: 'd', native: { schema: 1 } }); // negative, zero and positive buckets
    const fast = Array.from({ length: 1000 }, (_, i) => (i + 1) / 1000);
    const slow = Array.from({ length: 40 }, (_, i) => 2 ** (i / 4));
    for (const v of fast) latency.observe({ route: '/a' }, v);
    for (const v of slow) latency.observe({ route: '/b' }, v);
    for (const v of [0.05, 0.5, 0.7, 3]) waits.observe(v);
    const drifts = [-8, -3, -0.5, 0, 0, 0.25, 1, 6, 6];
    for (const v of drifts) drift.observe(v);
    // Sampled 1 in 4: each kept observation counts 4.
    const sampled = metrics.histogram('sampled_seconds', { help: 's', native: true, sampleRate: 0.25 });
    for (const v of fast) sampled.observe(v);
    const recorded = (await metrics.registry.collect()).find((f) => f.name === 'sampled_seconds')!.series[0]!.native!;
    await metrics.flush();
    await metrics.shutdown();

    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(await value('histogram_count(rpc_duration_seconds{route="/a"})')).toBe(1000);
    expect(await value('histogram_sum(rpc_duration_seconds{route="/a"})')).toBeCloseTo(sum(fast), 9);
    expect(await value('histogram_count(rpc_duration_seconds{route="/b"})')).toBe(40);
    expect(await value('rpc_duration_seconds_count')).toBe(0); // native only: no classic series without buckets
    for (const [route, data] of [
      ['/a', fast],
      ['/b', slow],
    ] as const) {
      for (const q of [0.1, 0.5, 0.9, 0.99]) {
        const exact = data[Math.ceil(q * data.length) - 1]!;
        const got = await value(`histogram_quantile(${q}, rpc_duration_seconds{route="${route}"})`);
        // Within one bucket of schema 3: a factor 2^(1/8).
        expect(got / exact, `${route} q=${q}: ${got} vs ${exact}`).toBeLessThanOrEqual(2 ** (1 / 8) * (1 + 1e-9));
        expect(got / exact, `${route} q=${q}: ${got} vs ${exact}`).toBeGreaterThanOrEqual(2 ** (-1 / 8) * (1 - 1e-9));
      }
    }
    expect(await value('histogram_count(wait_seconds)')).toBe(4);
    expect(await value('wait_seconds_bucket{le="1.0"}')).toBe(3);
    expect(await value('wait_seconds_count')).toBe(4);
    expect(await value('histogram_count(drift_seconds)')).toBe(drifts.length);
    expect(await value('histogram_sum(drift_seconds)')).toBe(sum(drifts));
    expect(await value('histogram_fraction(-10, 1e-9, drift_seconds)')).toBeCloseTo(5 / 9, 9); // negatives and the zero bucket
    expect(recorded.count).toBe(1000);
    expect(await value('histogram_count(sampled_seconds)')).toBe(recorded.count);
    expect(await value('histogram_sum(sampled_seconds)')).toBeCloseTo(recorded.sum, 9);
  });
});
