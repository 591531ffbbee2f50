/**
 * The contract is the WIT, not whatever jco accepts: the example guests and
 * the engine component run under Wasmtime (its Python bindings), linked to a
 * recorder host written from wit/metrics.wit alone (recorder_host.py), and
 * what they recorded is asserted exactly.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { ComponentHost, readComponent } from '../../src/host/index.js';
import { createMetrics, render } from '../../src/index.js';
import { componentDir } from '../support/components.js';
import { parseStrict } from '../support/validators.js';
import { WASMTIME_PYTHON, describeWithTools } from '../support/tools.js';

interface HostSeries {
  labels: [string, string][];
  value: number;
  count: number;
  sum: number;
  buckets: number[];
  sketch: [number, number][];
}
interface HostMetric {
  name: string;
  kind: string;
  unit: string;
  labelNames: string[];
  /** The Prometheus names recorder_host.py derives by the WIT's translation rules. */
  prometheus: { name: string; labelNames: string[] };
  series: HostSeries[];
}
interface GuestRun {
  results: unknown[];
  metrics: HostMetric[];
  refused: Record<string, number>;
}

/** What recorder_host.py's guests scenario calls ts-tool's handle with. */
const wasmtimeCalls: [string, number][] = [
  ['/a', 100],
  ['/a', 100],
  ['/a', 100],
  ['/b', 3000],
];

const script = fileURLToPath(new URL('./recorder_host.py', import.meta.url));
const components = fileURLToPath(new URL('../../.cache/wasm', import.meta.url));

function run<T>(scenario: 'guests' | 'engine' | 'otel'): T {
  const out = spawnSync(WASMTIME_PYTHON, [script, components, scenario], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (out.status !== 0) throw new Error(`recorder_host.py ${scenario} failed:\n${out.stderr}`);
  return JSON.parse(out.stdout) as T;
}

const metric = (r: GuestRun, name: string) => {
  const m = r.metrics.find((x) => x.name === name);
  if (!m) throw new Error(`${name} was not registered (have ${r.metrics.map((x) => x.name).join(', ')})`);
  return m;
};
const series = (r: GuestRun, name: string, value?: string) =>
  metric(r, name).series.find((s) => value === undefined || s.labels.some(([, v]) => v === value))!;

describeWithTools(['wasmtime'], 'under Wasmtime, with a recorder host written from the WIT', () => {
  beforeAll(async () => {
    for (const name of ['cpu-tool', 'json-tool', 'hostile', 'ts-tool', 'wasi-tool', 'engine', 'otel-tool']) await componentDir(name);
  }, 600_000);

  it('the example guests record exactly what they were asked to', () => {
    const runs = run<Record<string, GuestRun>>('guests');

    const cpu = runs['cpu-tool']!;
    expect(cpu.results).toEqual([6765, 1000, 500, 3]);
    expect(series(cpu, 'cpu_tool_spins_total').value).toBe(1500);
    expect(series(cpu, 'cpu_tool_calls_total', 'spin').value).toBe(2);
    expect(series(cpu, 'cpu_tool_calls_total', 'fib').value).toBe(1);
    expect(metric(cpu, 'cpu_tool_fanned_total').series.map((s) => [s.labels, s.value])).toEqual([
      [[['shard', '0']], 1],
      [[['shard', '1']], 1],
      [[['shard', '2']], 1],
    ]);
    expect(series(cpu, 'cpu_tool_fib_input')).toMatchObject({ count: 1, sum: 20, buckets: [0, 0, 1, 0, 0] });
    expect(cpu.refused).toEqual({});

    const json = runs['json-tool']!;
    expect(json.results).toEqual([4, 1, -1]);
    const sizes = series(json, 'json_tool_document_bytes');
    // As recorder_host.py wrote them (Python's json.dumps puts a space after separators).
    const docs = ['{"items": [0, 1, 2], "name": "x"}', '{"name": "h\u00e9llo \u2713 \u{1F600}"}', '[1 2]'];
    expect(sizes.sum).toBe(docs.reduce((n, d) => n + new TextEncoder().encode(d).length, 0)); // UTF-8 bytes
    expect(series(json, 'json_tool_documents_total', 'ok').value).toBe(2);
    expect(series(json, 'json_tool_documents_total', 'invalid').value).toBe(1);
    expect(series(json, 'json_tool_values')).toMatchObject({ count: 2, sum: 5 });

    const hostile = runs.hostile!;
    expect(hostile.results.at(-1)).toEqual({ trap: expect.any(String) }); // mode 3 traps in Wasmtime too
    expect(hostile.refused).toEqual({ invalid_metric: 2, unknown_series: 1000, invalid_update: 2, reserved_name: 1 });
    expect(series(hostile, 'le_gauge').value).toBe(1);
    expect(series(hostile, 'past_inf').buckets).toEqual([0, 0, 0]);

    const ts = runs['ts-tool']!;
    expect(ts.results).toEqual([1, 2, 3, 4]);
    expect(series(ts, 'ts_tool_requests', '/a').value).toBe(3);
    expect(series(ts, 'ts_tool_requests', '/b').value).toBe(1);
    expect(series(ts, 'ts_tool_payload_bytes')).toMatchObject({ count: 4, sum: 3300, buckets: [0, 3, 0, 1, 0] });
    // The summary crosses as sketch buckets: the top 19 bits of each value's IEEE-754 representation.
    const bucket = (v: number) => Number(new BigUint64Array(new Float64Array([v]).buffer)[0]! >> 45n);
    expect(series(ts, 'ts_tool_payload_summary_bytes').sketch).toEqual(
      [
        [bucket(100), 3],
        [bucket(3000), 1],
      ].sort((a, b) => a[0]! - b[0]!),
    );
    // OpenTelemetry names cross the boundary as written: a dotted name, an attribute key, a UCUM unit.
    expect(metric(ts, 'ts_tool.payload.received')).toMatchObject({
      kind: 'counter',
      unit: 'By',
      labelNames: ['http.route'],
      prometheus: { name: 'ts_tool_payload_received_bytes_total', labelNames: ['http_route'] },
    });
    expect(series(ts, 'ts_tool.payload.received', '/a').value).toBe(300);
    expect(series(ts, 'ts_tool.payload.received', '/b').value).toBe(3000);
    expect(ts.refused).toEqual({});

    const wasi = runs['wasi-tool']!;
    expect(series(wasi, 'wasi_tool_iterations_total').value).toBe(1000);
    expect(series(wasi, 'wasi_tool_work_seconds').count).toBe(1);
    expect(series(wasi, 'wasi_tool_work_seconds').sum).toBeCloseTo((wasi.results[0] as number) / 1e9, 12);
  }, 120_000);

  it("a dotted name is translated for Prometheus by omnimeter's host as the WIT says (and as the Wasmtime host derives it)", async () => {
    const wasmtime = metric(run<Record<string, GuestRun>>('guests')['ts-tool']!, 'ts_tool.payload.received');
    const metrics = createMetrics();
    const ts = new ComponentHost({ metrics }).load(readComponent(await componentDir('ts-tool'))).instantiate('t');
    for (const [route, size] of wasmtimeCalls) ts.call('handle', route, size);
    const families = parseStrict(render(await metrics.registry.collect(), 'openmetrics'));
    const family = families.find((f) => f.name === 'ts_tool_payload_received_bytes')!;
    expect(family).toMatchObject({ type: 'counter', unit: 'bytes' });
    const samples = family.samples.filter((s) => s.name.endsWith('_total'));
    expect(samples.map((s) => s.name)).toEqual([wasmtime.prometheus.name, wasmtime.prometheus.name]);
    expect(samples.map((s) => [s.labels, s.value])).toEqual(
      wasmtime.series.map((w) => [
        {
          component: 'ts-tool',
          component_instance: 't',
          ...Object.fromEntries(w.labels.map(([k, v]) => [wasmtime.prometheus.labelNames[wasmtime.labelNames.indexOf(k)]!, v])),
        },
        w.value,
      ]),
    );
  }, 120_000);

  it('the engine component implements the contract: idempotent ids, overflow, forget, round-tripped descriptors, refusals', () => {
    const engine = run<{
      ids: Record<string, number>;
      series: Record<string, number>;
      metrics: {
        descriptor: Record<string, unknown>;
        series: {
          labels: [string, string][];
          value: number;
          count: number;
          sum: number;
          'bucket-counts': number[];
          'quantile-values': number[];
        }[];
      }[];
    }>('engine');
    expect(engine.ids).toEqual({
      jobs: 1,
      'jobs again': 1,
      'jobs without _total': 1,
      conflict: 0,
      'bad name': 0,
      'series a again': engine.series.a,
      'b after forget': 6, // a fresh series, not the forgotten one
    });
    const byName = new Map(engine.metrics.map((m) => [m.descriptor.name, m]));
    expect([...byName.keys()]).toEqual(['jobs_total', 'size_bytes', 'latency_seconds', 'depth', 'omnimeter_engine_rejected_total']);
    expect(byName.get('jobs_total')!.series.map((s) => [s.labels, s.value])).toEqual([
      [[['queue', 'a']], 5],
      [[['queue', 'b']], 4],
      [[['omnimeter_overflow', 'true']], 7], // the overflow series last, as the core reports it
    ]);
    expect(byName.get('size_bytes')!.series[0]).toMatchObject({ count: 3, sum: 512.5, 'bucket-counts': [2, 0, 1] });
    expect(byName.get('latency_seconds')!.descriptor).toMatchObject({
      quantiles: [0.5, 0.99],
      'max-age-seconds': 60,
      'age-buckets': 3,
      unit: 'seconds',
    });
    const latency = byName.get('latency_seconds')!.series[0]!;
    expect([latency.count, latency.sum]).toEqual([4, 2.75]);
    expect(Math.abs(latency['quantile-values'][0]! - 0.5) / 0.5).toBeLessThan(0.0079);
    expect(byName.get('depth')!.descriptor['label-names']).toEqual(['queue']);
    expect(Object.fromEntries(byName.get('omnimeter_engine_rejected_total')!.series.map((s) => [s.labels[0]![1], s.value]))).toEqual({
      conflict: 1,
      invalid_metric: 1,
      invalid_update: 2, // a bucket past +Inf and a negative counter increment
      unknown_series: 1,
    });
  }, 120_000);

  it('the wasi:otel guest exports exactly the OpenTelemetry data the proposal describes', () => {
    const out = run<{ results: unknown[]; exports: { resource: Record<string, unknown>; metrics: Record<string, unknown>[] }[] }>('otel');
    expect(out.results).toEqual([1, 2, 3, null]); // null: flush's result is ok
    expect(out.exports).toHaveLength(1);
    const [sent] = out.exports;
    expect(sent!.resource).toEqual({ 'service.name': 'otel-tool' });
    expect(sent!.metrics).toEqual([
      {
        scope: 'otel-tool',
        name: 'otel_tool.requests',
        unit: '{request}',
        data: 'u64-sum',
        temporality: 'cumulative',
        monotonic: true,
        points: [
          { attributes: { 'http.route': '/a' }, value: 2, valueType: 'u64' },
          { attributes: { 'http.route': '/b' }, value: 1, valueType: 'u64' },
        ],
      },
      {
        scope: 'otel-tool',
        name: 'otel_tool.payload.size',
        unit: 'By',
        data: 'f64-histogram',
        temporality: 'cumulative',
        monotonic: null,
        points: [{ attributes: {}, count: 3, bounds: [64, 256, 1024, 4096], bucketCounts: [1, 1, 0, 0, 1], sum: 5110, sumType: 'f64' }],
      },
      {
        scope: 'otel-tool',
        name: 'otel_tool.payload.last',
        unit: 'By',
        data: 'f64-gauge',
        temporality: null,
        monotonic: null,
        points: [{ attributes: {}, value: 5000, valueType: 'f64' }],
      },
      {
        scope: 'otel-tool',
        name: 'otel_tool.exports',
        unit: '{export}',
        data: 's64-sum',
        temporality: 'delta',
        monotonic: true,
        points: [{ attributes: { attempt: 1 }, value: 1, valueType: 's64' }],
      },
    ]);
  }, 300_000);
});
