/**
 * The MeterProvider bridge (omnimeter/otel), proved with code nobody here
 * wrote: @opentelemetry/instrumentation-http records an HTTP server's
 * requests through it; and side by side with @opentelemetry/sdk-metrics,
 * whose own OTLP exporter sends the same workload to the same receiver,
 * decoded by the OpenTelemetry project's generated protobuf code.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Meter, MeterProvider } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MeterProvider as SdkMeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/node/index.js';
import { createMeterProvider } from '../../src/otel/index.js';
import { type DecodedMetric, OtlpReceiver } from '../support/otlp-receiver.js';
import { describeWithTools } from '../support/tools.js';
import { parseStrict } from '../support/validators.js';

const require = createRequire(import.meta.url);

let receivers: OtlpReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  receivers = [];
});
async function receiver() {
  const r = await OtlpReceiver.start();
  receivers.push(r);
  return r;
}

/** One workload, recorded through whichever MeterProvider it is given. */
async function workload(provider: MeterProvider): Promise<void> {
  const meter: Meter = provider.getMeter('checkout-lib', '1.4.2');
  const requests = meter.createCounter('http.client.requests', { description: 'Requests sent', unit: '{request}' });
  const duration = meter.createHistogram('http.client.request.duration', {
    description: 'Request duration',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.05, 0.1, 0.5, 1] },
  });
  const sizes = meter.createHistogram('payload.size', { description: 'Payload sizes', unit: 'By' }); // SDK default buckets
  const inflight = meter.createUpDownCounter('http.client.active_requests', { description: 'In flight', unit: '{request}' });
  const temperature = meter.createGauge('room.temperature', { description: 'Temperature', unit: 'Cel' });
  meter
    .createObservableGauge('process.uptime.fraction', { description: 'Observed', unit: '1' })
    .addCallback((result) => result.observe(0.75, { 'host.name': 'a' }));
  const shared = { 'http.request.method': 'GET', 'server.address': 'api.example' };
  for (let i = 0; i < 10; i++) {
    requests.add(1, shared);
    duration.record(0.003 * (i + 1), shared);
    sizes.record(100 * i, { 'http.request.method': 'GET' });
  }
  requests.add(2, { 'http.request.method': 'POST', 'server.address': 'api.example', 'http.response.status_code': 500 });
  duration.record(0.7, { 'server.address': 'api.example', 'http.request.method': 'POST' }); // same set, other key order
  inflight.add(3);
  inflight.add(-1);
  temperature.record(21.5, { room: 'lab' });
}

/** What both sides must agree on, attribute values as strings (Prometheus labels are strings). */
function comparable(metrics: DecodedMetric[]) {
  return metrics
    .map((m) => ({
      name: m.name,
      scope: m.scope,
      description: m.description,
      unit: m.unit,
      kind: m.kind,
      temporality: m.temporality,
      isMonotonic: m.isMonotonic ?? false,
      points: m.points
        .map((p) => ({
          attributes: Object.fromEntries(Object.entries(p.attributes).map(([k, v]) => [k, String(v)])),
          asDouble: p.asDouble ?? (p as { asInt?: string }).asInt,
          count: p.count,
          sum: p.sum,
          bucketCounts: p.bucketCounts,
          explicitBounds: p.explicitBounds,
        }))
        .map((p) => ({ ...p, asDouble: p.asDouble === undefined ? undefined : Number(p.asDouble) }))
        .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes))),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('createMeterProvider: the OpenTelemetry metrics API on omnimeter', () => {
  it('describes the same sums, gauges and histograms in OTLP as @opentelemetry/sdk-metrics does', async () => {
    const ours = await receiver();
    const theirs = await receiver();
    const metrics = createMetrics({ collectionInterval: '1h', exporters: [{ type: 'otlp', endpoint: ours.url }] });
    await workload(createMeterProvider(metrics));
    await metrics.shutdown();

    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: theirs.url }),
      exportIntervalMillis: 3_600_000,
    });
    const sdk = new SdkMeterProvider({ readers: [reader] });
    await workload(sdk);
    await sdk.forceFlush();
    await sdk.shutdown();

    const bridged = ours.requests.at(-1)!.metrics.filter((m) => m.scope.name === 'checkout-lib');
    const reference = theirs.requests.at(-1)!.metrics;
    expect(bridged.length).toBe(6);
    expect(comparable(bridged)).toEqual(comparable(reference));
  });

  it('exposes scope labels and translated names that the strict OpenMetrics parser accepts', async () => {
    const metrics = createMetrics();
    await workload(createMeterProvider(metrics));
    const text = await metrics.registry.expose('openmetrics');
    const families = new Map(parseStrict(text).map((f) => [f.name, f]));
    const duration = families.get('http_client_request_duration_seconds')!;
    expect(duration.type).toBe('histogram');
    const bucket = duration.samples.find((s) => s.labels.le === '+Inf' && s.labels.http_request_method === 'GET')!;
    expect(bucket.labels).toEqual({
      otel_scope_name: 'checkout-lib',
      otel_scope_version: '1.4.2',
      http_request_method: 'GET',
      server_address: 'api.example',
      le: '+Inf',
    });
    expect(bucket.value).toBe(10);
    expect(families.get('http_client_requests')!.samples.find((s) => s.labels.http_response_status_code === '500')!.value).toBe(2);
    expect(families.get('http_client_active_requests')!.samples[0]!.value).toBe(2);
    expect(families.get('process_uptime_fraction_ratio')!.samples[0]!.value).toBe(0.75);
    expect(families.get('room_temperature_celsius')!.unit).toBe('celsius');
    await metrics.shutdown();
  });

  it('never throws into instrumented code: bad values and attributes are dropped', async () => {
    const metrics = createMetrics();
    const meter = createMeterProvider(metrics).getMeter('lib');
    const counter = meter.createCounter('c');
    counter.add(-1);
    counter.add(Number.NaN);
    counter.add('3' as never);
    counter.add(1, { 'bad key': 'x' });
    counter.add(1, { ok: [1, 2] as never, gone: undefined });
    meter.createHistogram('h').record(-5);
    expect(meter.createCounter('bad name')).toBeDefined();
    meter.createGauge('c'); // a counter already has this name: refused, returns a no-op
    const c = (await metrics.registry.collect()).find((f) => f.name === 'c')!;
    expect(c.series.map((s) => [s.labels, s.value])).toEqual([
      [
        [
          ['otel_scope_name', 'lib'],
          ['ok', '[1,2]'],
        ],
        1,
      ],
    ]);
    await metrics.shutdown();
  });

  it('sees a reused attribute object that was changed in between', async () => {
    const metrics = createMetrics();
    const counter = createMeterProvider(metrics, { scopeLabels: false }).getMeter('lib').createCounter('reused');
    const attributes: Record<string, string> = { route: '/a' };
    counter.add(1, attributes);
    attributes.route = '/b';
    counter.add(1, attributes);
    attributes.extra = 'x';
    counter.add(1, attributes);
    const family = (await metrics.registry.collect()).find((f) => f.name === 'reused')!;
    expect(family.series.map((s) => [Object.fromEntries(s.labels), s.value])).toEqual([
      [{ route: '/a' }, 1],
      [{ route: '/b' }, 1],
      [{ extra: 'x', route: '/b' }, 1],
    ]);
    await metrics.shutdown();
  });

  it('observable counters report totals; batch callbacks observe several instruments', async () => {
    const metrics = createMetrics();
    const meter = createMeterProvider(metrics, { scopeLabels: false }).getMeter('lib');
    let total = 10;
    meter.createObservableCounter('jobs.done').addCallback((r) => r.observe(total));
    const a = meter.createObservableUpDownCounter('queue.depth');
    const b = meter.createObservableGauge('queue.age');
    meter.addBatchObservableCallback(
      (r) => {
        r.observe(a, 4, { queue: 'q' });
        r.observe(b, 1.5, { queue: 'q' });
      },
      [a, b],
    );
    const read = async (name: string) => (await metrics.registry.collect()).find((f) => f.name === name)!.series[0]!.value;
    expect(await read('jobs.done')).toBe(10);
    total = 25;
    expect(await read('jobs.done')).toBe(25);
    expect(await read('queue.depth')).toBe(4);
    expect(await read('queue.age')).toBe(1.5);
    await metrics.shutdown();
  });
});

describeWithTools(['python3-prometheus-client'], 'third-party OpenTelemetry instrumentation through the bridge', () => {
  it('@opentelemetry/instrumentation-http records an HTTP server into omnimeter', async () => {
    const metrics = createMetrics();
    const instrumentation = new HttpInstrumentation();
    instrumentation.setMeterProvider(createMeterProvider(metrics));
    instrumentation.enable();
    try {
      // Required after enable(): the instrumentation patches the module as it is required.
      const http = require('node:http') as typeof import('node:http');
      const server = http.createServer((req, res) => {
        res.writeHead(req.url === '/missing' ? 404 : 200).end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      for (const path of ['/', '/', '/missing']) {
        await new Promise<void>((resolve, reject) => {
          http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject);
        });
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    } finally {
      instrumentation.disable();
    }
    const families = new Map(parseStrict(await metrics.registry.expose('openmetrics')).map((f) => [f.name, f]));
    // instrumentation-http 0.223 records the (old) semantic conventions by default: milliseconds.
    const server = [...families.values()].find((f) => /^http_server_(request_)?duration/.test(f.name))!;
    expect(server, [...families.keys()].join(', ')).toBeDefined();
    const counts = server.samples.filter((s) => s.name.endsWith('_count'));
    expect(counts.reduce((n, s) => n + s.value, 0)).toBe(3);
    expect(counts.every((s) => s.labels.otel_scope_name === '@opentelemetry/instrumentation-http')).toBe(true);
    const statuses = counts.map((s) => s.labels.http_status_code ?? s.labels.http_response_status_code).sort();
    expect(statuses).toEqual(['200', '404']);
    expect(counts.find((s) => (s.labels.http_status_code ?? s.labels.http_response_status_code) === '200')!.value).toBe(2);
    await metrics.shutdown();
  });
});
