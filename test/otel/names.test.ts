/**
 * OpenTelemetry names end to end: recorded as written, kept as written in
 * OTLP (decoded by the OpenTelemetry project's generated protobuf code), and
 * translated for Prometheus as the OpenTelemetry specification (v1.60.0,
 * "Prometheus and OpenMetrics Compatibility") says, judged by the strict
 * OpenMetrics parser and promtool.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/node/index.js';
import {
  escapeMetricName,
  prometheusLabelName,
  prometheusNaming,
  prometheusUnit,
  ucumUnit,
} from '../../src/exposition/prometheus-names.js';
import { LABEL_NAME, METRIC_NAME } from '../../src/core/names.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { describeWithTools } from '../support/tools.js';
import { parseStrict, promtoolCheck } from '../support/validators.js';

describe('the translation table', () => {
  it.each([
    // name, unit, type, Prometheus family name, # UNIT
    ['mcp.server.operation.duration', 's', 'histogram', 'mcp_server_operation_duration_seconds', 'seconds'],
    ['http.server.request.body.size', 'By', 'histogram', 'http_server_request_body_size_bytes', 'bytes'],
    ['http.server.active_requests', '{request}', 'gauge', 'http_server_active_requests', ''],
    ['system.cpu.utilization', '1', 'gauge', 'system_cpu_utilization_ratio', 'ratio'],
    ['items.processed', '1', 'counter', 'items_processed', ''],
    ['network.io', 'By/s', 'gauge', 'network_io_bytes_per_second', 'bytes_per_second'],
    ['packets', '{packet}/s', 'counter', 'packets_per_second', 'per_second'],
    ['db.client.connections.create_time', 'ms', 'histogram', 'db_client_connections_create_time_milliseconds', 'milliseconds'],
    ['heat', 'Cel', 'gauge', 'heat_celsius', 'celsius'],
    ['disk.usage', '%', 'gauge', 'disk_usage_percent', 'percent'],
    ['jobs.total', '', 'counter', 'jobs', ''],
    ['a..b--c', '', 'gauge', 'a_b_c', ''],
    ['request_duration_seconds', 's', 'histogram', 'request_duration_seconds', 'seconds'],
    // today's API: valid Prometheus names and unit words pass unchanged
    ['http_requests', '', 'counter', 'http_requests', ''],
    ['latency_seconds', 'seconds', 'histogram', 'latency_seconds', 'seconds'],
    ['a__b', '', 'gauge', 'a__b', ''],
    ['load_ratio', 'ratio', 'gauge', 'load_ratio', 'ratio'],
  ] as const)('%s [%s] %s → %s', (name, unit, type, exposed, word) => {
    expect(prometheusNaming(name, unit, type)).toEqual({ name: exposed, unit: word });
  });

  it('gives OTLP the UCUM unit: words of the table become abbreviations, UCUM stays as written', () => {
    expect([ucumUnit('seconds'), ucumUnit('bytes'), ucumUnit('ratio'), ucumUnit('percent')]).toEqual(['s', 'By', '1', '%']);
    expect([ucumUnit('s'), ucumUnit('{request}'), ucumUnit('By/s'), ucumUnit('widgets')]).toEqual(['s', '{request}', 'By/s', 'widgets']);
  });

  it('an UpDownCounter (additive gauge) with unit 1 is a count, not a ratio', () => {
    expect(prometheusUnit('1', 'gauge', true)).toBe('');
  });

  it('attribute keys become label names (leading digits get key_)', () => {
    expect(['gen_ai.tool.name', 'http.response.status_code', 'a-b/c', '_x', 'ok'].map(prometheusLabelName)).toEqual([
      'gen_ai_tool_name',
      'http_response_status_code',
      'a_b_c',
      '_x',
      'ok',
    ]);
    expect(prometheusLabelName('9.lives')).toBe('key_9_lives');
  });

  it('any accepted name or key translates to a valid Prometheus name (property)', () => {
    const nameChar = fc.constantFrom(...'abcXYZ019_:./-');
    fc.assert(
      fc.property(
        fc.constantFrom('a', 'Z', '_', ':'),
        fc.array(nameChar, { maxLength: 20 }),
        fc.constantFrom('', 's', 'By', '1', '{x}', 'By/s', '%'),
        (first, rest, unit) => {
          const name = first + rest.join('');
          fc.pre(METRIC_NAME.test(name) && !name.startsWith('__'));
          for (const type of ['counter', 'gauge', 'histogram', 'summary'] as const) {
            const exposed = prometheusNaming(name, unit, type).name;
            expect(exposed).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
            if (/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name) && unit === '' && type !== 'counter') expect(exposed).toBe(name);
          }
        },
      ),
    );
    fc.assert(
      fc.property(fc.constantFrom('a', 'Z', '_'), fc.array(fc.constantFrom(...'abZ09_./-'), { maxLength: 20 }), (first, rest) => {
        const key = first + rest.join('');
        fc.pre(LABEL_NAME.test(key));
        const label = prometheusLabelName(key);
        expect(label).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
        expect(prometheusLabelName(label)).toBe(label); // translating twice changes nothing
        expect(escapeMetricName(escapeMetricName(key))).toBe(escapeMetricName(key));
      }),
    );
  });
});

describe('registration', () => {
  it('records the names issues 15 and 16 need', async () => {
    const m = createMetrics({ collectionInterval: '1h' });
    const h = m.histogram('mcp.server.operation.duration', {
      help: 'MCP operations',
      unit: 's',
      labelNames: ['mcp.method.name', 'gen_ai.tool.name'] as const,
    });
    h.observe({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'search' }, 0.2);
    h.labels({ 'mcp.method.name': 'tools/list', 'gen_ai.tool.name': '' }).observe(0.01);
    const [family] = (await m.registry.collect()).filter((f) => f.name === 'mcp.server.operation.duration');
    expect(family!.series.map((s) => s.labels)).toEqual([
      [
        ['mcp.method.name', 'tools/call'],
        ['gen_ai.tool.name', 'search'],
      ],
      [
        ['mcp.method.name', 'tools/list'],
        ['gen_ai.tool.name', ''],
      ],
    ]);
    await m.shutdown();
  });

  it('reports names that translate alike instead of merging them', () => {
    const m = createMetrics();
    m.histogram('http.server.duration', { help: 'a', unit: 's' });
    expect(() => m.histogram('http_server_duration_seconds', { help: 'b' })).toThrowError(
      /metric "http_server_duration_seconds" would write samples named "http_server_duration_seconds", which metric "http.server.duration" already writes/,
    );
    m.counter('jobs.done', { help: 'c' });
    expect(() => m.gauge('jobs_done_total', { help: 'd' })).toThrowError(/samples named "jobs_done_total"/);
    m.gauge('cpu.util', { help: 'e', unit: '1' });
    expect(() => m.gauge('cpu_util_ratio', { help: 'f' })).toThrowError(/exposed|already writes/);
  });

  it('keeps the unit-word suffix rule of today and appends UCUM units', () => {
    const m = createMetrics();
    expect(() => m.gauge('size', { help: 's', unit: 'bytes' })).toThrowError(/unit "bytes" must be the suffix/);
    expect(() => m.gauge('size', { help: 's', unit: 'By' })).not.toThrow();
    expect(() => m.gauge('a.size', { help: 's', unit: 'bad unit' })).toThrowError(/unit "bad unit" is invalid/);
    expect(m.counter('ops_total', { help: 'x' })).toBe(m.counter('ops', { help: 'x' }));
  });

  it('refuses attribute keys that translate to reserved labels', () => {
    const m = createMetrics();
    expect(() => m.counter('x', { help: 'x', labelNames: ['__a.b'] })).toThrowError(/reserved/);
    expect(() => m.histogram('y', { help: 'y', labelNames: ['le'] })).toThrowError(/reserved for histograms/);
    expect(() => m.counter('z', { help: 'z', labelNames: ['a b'] })).toThrowError(/is invalid/);
  });
});

async function otelRegistry() {
  const m = createMetrics({ defaultLabels: { 'service.name': 'shop' } });
  const ops = m.histogram('mcp.server.operation.duration', {
    help: 'MCP server operations',
    unit: 's',
    buckets: [0.01, 0.1, 1],
    labelNames: ['mcp.method.name', 'gen_ai.tool.name'] as const,
  });
  ops.observe({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'search' }, 0.05);
  ops.observe({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'search' }, 2);
  m.counter('http.server.requests', { help: 'Requests', unit: '{request}', labelNames: ['http.request.method'] as const }).inc(
    { 'http.request.method': 'GET' },
    3,
  );
  m.gauge('system.cpu.utilization', { help: 'CPU', unit: '1' }).set(0.25);
  m.counter('network.io', { help: 'Bytes', unit: 'By' }).inc(512);
  // Two keys that translate alike: one label, values joined with ";" by original key order.
  m.gauge('clash', { help: 'c', labelNames: ['a_b', 'a.b'] as const }).set({ a_b: 'second', 'a.b': 'first' }, 1);
  m.counter('legacy_total', { help: 'l' }).inc();
  // Named exactly its unit: no suffix to add, and no UNIT line (OpenMetrics wants the name to end in _<unit>).
  m.gauge('bytes', { help: 'b', unit: 'By' }).set(7);
  return m;
}

describeWithTools(['python3-prometheus-client', 'promtool'], 'OpenTelemetry names in Prometheus exposition', () => {
  it('the strict OpenMetrics parser reads translated names, units and labels', async () => {
    const m = await otelRegistry();
    const families = new Map(parseStrict(await m.registry.expose('openmetrics')).map((f) => [f.name, f]));
    const ops = families.get('mcp_server_operation_duration_seconds')!;
    expect([ops.type, ops.unit]).toEqual(['histogram', 'seconds']);
    const inf = ops.samples.find((s) => s.name.endsWith('_bucket') && s.labels.le === '+Inf')!;
    expect(inf.labels).toEqual({ service_name: 'shop', mcp_method_name: 'tools/call', gen_ai_tool_name: 'search', le: '+Inf' });
    expect(inf.value).toBe(2);
    const requests = families.get('http_server_requests')!;
    expect([requests.type, requests.unit]).toEqual(['counter', '']);
    expect(requests.samples.find((s) => s.name === 'http_server_requests_total')!.value).toBe(3);
    expect(families.get('system_cpu_utilization_ratio')!.unit).toBe('ratio');
    expect(families.get('network_io_bytes')!.samples.find((s) => s.name === 'network_io_bytes_total')!.value).toBe(512);
    expect(families.get('clash')!.samples[0]!.labels).toEqual({ service_name: 'shop', a_b: 'first;second' });
    expect(families.get('legacy')!.samples.find((s) => s.name === 'legacy_total')).toBeDefined();
    expect([families.get('bytes')!.unit, families.get('bytes')!.samples[0]!.value]).toEqual(['', 7]);
    await m.shutdown();
  });

  it('promtool accepts the 0.0.4 body', async () => {
    const m = await otelRegistry();
    const text = await m.registry.expose('prometheus');
    expect(text).toContain('# TYPE mcp_server_operation_duration_seconds histogram');
    expect(text).toContain('# TYPE network_io_bytes_total counter');
    const check = promtoolCheck(text);
    expect(check.status, check.output).toBe(0);
    await m.shutdown();
  });
});

describe('OpenTelemetry names in OTLP, decoded by the OpenTelemetry definitions', () => {
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await receiver?.stop();
    receiver = undefined;
  });

  it('keeps names, attribute keys and UCUM units as written', async () => {
    receiver = await OtlpReceiver.start();
    const m = createMetrics({ collectionInterval: '1h', exporters: [{ type: 'otlp', endpoint: receiver.url }] });
    m.histogram('mcp.server.operation.duration', { help: 'MCP', unit: 's', labelNames: ['gen_ai.tool.name'] as const }).observe(
      { 'gen_ai.tool.name': 'search' },
      0.3,
    );
    m.gauge('system.cpu.utilization', { help: 'CPU', unit: '1' }).set(0.5);
    m.histogram('legacy_latency_seconds', { help: 'legacy', unit: 'seconds' }).observe(1);
    await m.shutdown();
    const request = receiver.requests.at(-1)!;
    const byName = new Map(request.metrics.map((x) => [x.name, x]));
    expect(byName.get('mcp.server.operation.duration')!.unit).toBe('s');
    expect(byName.get('system.cpu.utilization')!.unit).toBe('1');
    expect(byName.get('legacy_latency_seconds')!.unit).toBe('s');
    expect(receiver.point('mcp.server.operation.duration', { 'gen_ai.tool.name': 'search' })!.count).toBe('1');
  });
});
