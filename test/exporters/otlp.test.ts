import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/node/index.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';

describe.each(['protobuf', 'json'] as const)('OTLP/HTTP %s, decoded by the OpenTelemetry definitions', (encoding) => {
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await receiver?.stop();
    receiver = undefined;
  });

  it('delivers every instrument type, cumulative, with resource attributes', async () => {
    receiver = await OtlpReceiver.start();
    const metrics = createMetrics({
      collectionInterval: '1h',
      defaultLabels: { svc: 'api' },
      exporters: [
        {
          type: 'otlp',
          endpoint: receiver.url,
          encoding,
          resource: { 'service.name': 'checkout', 'service.instance.count': 3, debug: true },
        },
      ],
    });
    metrics.counter('requests_total', { help: 'r', labelNames: ['route'] as const }).inc({ route: '/a ü' }, 5);
    metrics.gauge('queue_depth', { help: 'q' }).set(-2.5);
    const h = metrics.histogram('latency_seconds', { help: 'l', buckets: [0.1, 1], unit: 'seconds' });
    h.observe(0.05);
    h.observe(3);
    metrics.summary('size_bytes', { help: 's', quantiles: [0.5], unit: 'bytes' }).observe(400);
    await metrics.shutdown();

    const request = receiver.requests.at(-1)!;
    expect(request.contentType).toBe(encoding === 'json' ? 'application/json' : 'application/x-protobuf');
    expect(request.resource).toEqual({ 'service.name': 'checkout', 'service.instance.count': 3, debug: true });
    const counter = request.metrics.find((m) => m.name === 'requests')!;
    expect([counter.kind, counter.temporality, counter.isMonotonic]).toEqual(['sum', 2, true]);
    expect(receiver.point('requests', { route: '/a ü', svc: 'api' })!.asDouble).toBe(5);
    expect(receiver.point('queue_depth')!.asDouble).toBe(-2.5);
    const hist = request.metrics.find((m) => m.name === 'latency_seconds')!;
    expect([hist.unit, hist.temporality]).toEqual(['s', 2]);
    expect(receiver.point('latency_seconds')).toMatchObject({
      count: '2',
      sum: 3.05,
      bucketCounts: ['1', '0', '1'],
      explicitBounds: [0.1, 1],
    });
    expect(receiver.point('size_bytes')).toMatchObject({
      count: '1',
      sum: 400,
      quantileValues: [{ quantile: 0.5, value: expect.closeTo(400, 0) }],
    });
    const p = receiver.point('requests')!;
    expect(BigInt(p.timeUnixNano)).toBeGreaterThanOrEqual(BigInt(p.startTimeUnixNano));
    expect(Number(BigInt(p.timeUnixNano) / 1_000_000n)).toBeCloseTo(Date.now(), -4);
  });

  it('sends deltas when asked, adding up to the recorded totals across an outage', async () => {
    receiver = await OtlpReceiver.start();
    const metrics = createMetrics({
      collectionInterval: '1h',
      exporters: [
        { type: 'otlp', endpoint: receiver.url, encoding, temporality: 'delta', retry: { initialBackoff: '20ms', maxBackoff: '50ms' } },
      ],
    });
    const c = metrics.counter('events_total', { help: 'e' });
    const h = metrics.histogram('work_seconds', { help: 'w', buckets: [1] });
    c.inc(3);
    h.observe(0.5);
    await metrics.flush();
    receiver.status = 503; // the collector goes away: these must not be lost
    c.inc(4);
    h.observe(2);
    const pending = metrics.flush();
    const failures = async () =>
      (await metrics.registry.collect()).find((f) => f.name === 'omnimeter_exporter_failures')?.series[0]?.value ?? 0;
    while ((await failures()) === 0) await new Promise((r) => setTimeout(r, 20)); // at least one attempt refused
    receiver.status = 200;
    await pending;
    c.inc(1);
    await metrics.shutdown();

    const deltas = receiver.requests.map((r) => r.metrics.find((m) => m.name === 'events')?.points[0]?.asDouble ?? 0);
    expect(deltas.reduce((a, b) => a + b, 0)).toBe(8);
    expect(receiver.requests.every((r) => r.metrics.find((m) => m.name === 'events')?.temporality === 1)).toBe(true);
    const counts = receiver.requests.map((r) => Number(r.metrics.find((m) => m.name === 'work_seconds')?.points[0]?.count ?? 0));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2);
  });
});
