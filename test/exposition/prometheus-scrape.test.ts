/**
 * A real Prometheus server (Debian's, on 127.0.0.1 with temporary storage)
 * scrapes our endpoint as OpenMetrics, as 0.0.4 text and negotiated, and
 * PromQL must return exactly what was recorded.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PrometheusServer, startPrometheus } from '../support/prometheus.js';
import { type NodeMetrics, createMetrics } from '../../src/node/index.js';
import { describeWithTools } from '../support/tools.js';

const TRICKY = 'sea"rch\\path ✓ 🚀';

describeWithTools(['prometheus'], 'a real Prometheus scrape', () => {
  let prometheus: PrometheusServer | undefined;
  let metrics: NodeMetrics;
  const query = (promql: string) => prometheus!.query(promql);

  beforeAll(async () => {
    metrics = createMetrics({ prefix: 'om_', defaultLabels: { service: 'scrape-test' } });
    metrics.counter('tool_calls_total', { help: 'Tool calls "quoted"', labelNames: ['tool'] as const }).inc({ tool: TRICKY }, 42);
    metrics.gauge('temperature_celsius', { help: 'Temp', unit: 'celsius' }).set(-3.5);
    const size = metrics.histogram('request_size_bytes', { help: 'Sizes', buckets: [64, 256, 1024], unit: 'bytes' });
    for (const v of [10, 100, 300, 5000]) size.observe(v);
    const latency = metrics.summary('latency_seconds', { help: 'Latency', quantiles: [0.5, 0.99], unit: 'seconds' });
    for (let i = 1; i <= 100; i++) latency.observe(i / 100);
    metrics.summary('empty_seconds', { help: 'Never observed', quantiles: [0.5], unit: 'seconds' });
    const targets = {
      openmetrics: await metrics.serve({ port: 0, format: 'openmetrics' }),
      text: await metrics.serve({ port: 0, format: 'prometheus' }),
      negotiated: await metrics.serve({ port: 0, format: 'auto' }),
    };
    prometheus = await startPrometheus(Object.entries(targets).map(([job, server]) => ({ job, port: server.port })));
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await metrics?.shutdown();
  });

  it('reports every target healthy, with no scrape error', async () => {
    const targets = await prometheus!.targets();
    expect(targets.map((t) => [t.labels.job, t.health, t.lastError]).sort()).toEqual([
      ['negotiated', 'up', ''],
      ['openmetrics', 'up', ''],
      ['text', 'up', ''],
    ]);
  });

  it.each(['openmetrics', 'text', 'negotiated'])('returns the recorded values through PromQL (%s)', async (job) => {
    const calls = await query(`om_tool_calls_total{job="${job}"}`);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.metric.tool).toBe(TRICKY);
    expect(calls[0]!.metric.service).toBe('scrape-test');
    expect(calls[0]!.value[1]).toBe('42');
    expect((await query(`om_temperature_celsius{job="${job}"}`))[0]!.value[1]).toBe('-3.5');
    const buckets = await query(`om_request_size_bytes_bucket{job="${job}"}`);
    const byLe = Object.fromEntries(buckets.map((b) => [b.metric.le === '+Inf' ? Infinity : Number(b.metric.le), b.value[1]]));
    expect(byLe).toEqual({ 64: '1', 256: '2', 1024: '3', [Infinity]: '4' });
    expect((await query(`om_request_size_bytes_count{job="${job}"}`))[0]!.value[1]).toBe('4');
    expect((await query(`om_request_size_bytes_sum{job="${job}"}`))[0]!.value[1]).toBe('5410');
    const median = Number((await query(`om_latency_seconds{job="${job}",quantile="0.5"}`))[0]!.value[1]);
    expect(Math.abs(median - 0.5) / 0.5).toBeLessThan(0.01);
    expect((await query(`om_empty_seconds{job="${job}"}`))[0]!.value[1]).toBe('NaN');
  });

  it('computes histogram_quantile over our buckets', async () => {
    const q = await query('histogram_quantile(0.5, om_request_size_bytes_bucket{job="openmetrics"})');
    expect(Number(q[0]!.value[1])).toBeCloseTo(256, 6);
  });
});
