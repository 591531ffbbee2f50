/**
 * wasi:otel guests: a component that exports OpenTelemetry metrics through
 * `wasi:otel/metrics.export` (wasi:otel@0.2.0-rc.2) lands in the same
 * registry as recorder guests, through the same session and merge port, with
 * the same component attribution. The guest (wasm/examples/otel-tool.ts) is
 * real: componentize-js builds it against the proposal's WIT, and Wasmtime
 * runs it too (test/wasmtime).
 */
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/index.js';
import { DEFAULT_LIMITS, GuestSession } from '../../src/host/guest-session.js';
import { ComponentHost, readComponent } from '../../src/host/index.js';
import { OtelMetricsSink, type OtelMetric, attributeValue } from '../../src/host/wasi-otel.js';
import { componentDir } from '../support/components.js';
import { find } from '../support/read.js';
import { describeWithTools } from '../support/tools.js';
import { parseStrict } from '../support/validators.js';

// StarlingMonkey's runtime reads WASI's clocks: the guest is a WASI guest like any componentize-js one.
const wasi = () => new WASIShim().getImportObject();

describe('a wasi:otel guest under the host', () => {
  it('merges its cumulative sums and histograms, delta sums and gauges, per instance, with component labels', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics, wasiOtel: true, imports: wasi() });
    const tool = host.load(readComponent(await componentDir('otel-tool')));
    const a = tool.instantiate('a');
    const b = tool.instantiate('b');
    for (const size of [10, 100, 5000]) a.call('handle', '/a', size);
    a.call('handle', '/b', 300);
    b.call('handle', '/a', 1);
    a.call('flush');
    a.call('flush'); // cumulative points again: the port diffs them, nothing doubles
    b.call('flush');
    const at = (instance: string, more: Record<string, string> = {}) => ({ component: 'otel-tool', component_instance: instance, ...more });

    expect((await find(metrics, 'otel_tool.requests', at('a', { 'http.route': '/a' })))?.value).toBe(3);
    expect((await find(metrics, 'otel_tool.requests', at('a', { 'http.route': '/b' })))?.value).toBe(1);
    expect((await find(metrics, 'otel_tool.requests', at('b', { 'http.route': '/a' })))?.value).toBe(1);
    const sizes = await find(metrics, 'otel_tool.payload.size', at('a'));
    expect(sizes?.bucketCounts).toEqual([1, 1, 1, 0, 1]);
    expect(sizes?.count).toBe(4);
    expect(sizes?.sum).toBe(5410);
    expect((await find(metrics, 'otel_tool.payload.last', at('a')))?.value).toBe(300);
    // Delta points add: two exports from a, one from b. A JSON number attribute keeps its text.
    expect((await find(metrics, 'otel_tool.exports', at('a', { attempt: '1' })))?.value).toBe(2);
    expect((await find(metrics, 'otel_tool.exports', at('b')))?.value).toBe(1);
    // The export call is timed like any WASI function.
    const calls = await find(metrics, 'omnimeter_wasm_wasi_calls', {
      component: 'otel-tool',
      interface: 'wasi:otel/metrics',
      function: 'export',
    });
    expect(calls?.value).toBe(3);
  });

  it('a host without wasiOtel says which interface is missing', async () => {
    const host = new ComponentHost({ metrics: createMetrics(), imports: wasi() });
    const tool = host.load(readComponent(await componentDir('otel-tool')));
    expect(() => tool.instantiate()).toThrow(/cannot instantiate.*wasi:otel\/metrics/);
  });

  describeWithTools(['python3-prometheus-client'], 'exposition', () => {
    it('passes the strict OpenMetrics parser, OpenTelemetry names translated', async () => {
      const metrics = createMetrics();
      const host = new ComponentHost({ metrics, wasiOtel: true, imports: wasi() });
      const x = host.load(readComponent(await componentDir('otel-tool'))).instantiate('x');
      x.call('handle', '/a', 70);
      x.call('flush');
      const families = parseStrict(await metrics.registry.expose('openmetrics'));
      const requests = families.find((f) => f.type === 'counter' && f.name.startsWith('otel_tool_requests'))!;
      expect(requests.samples[0]!.labels).toEqual({ component: 'otel-tool', component_instance: 'x', http_route: '/a' });
      expect(requests.samples[0]!.value).toBe(1);
      const sizes = families.find((f) => f.type === 'histogram' && f.name.startsWith('otel_tool_payload_size'))!;
      expect(sizes.samples.find((s) => s.name.endsWith('_bucket') && s.labels.le === '256.0')!.value).toBe(1);
    });
  });
});

function sink(settings: { exclude?: string[] } = {}) {
  const metrics = createMetrics();
  const rejected: Record<string, number> = {};
  const session = new GuestSession({
    metrics,
    component: 'c',
    instance: '1',
    componentLabel: 'component',
    instanceLabel: undefined,
    limits: DEFAULT_LIMITS,
    rejected: {
      inc: (labels, n = 1) => {
        const reason = String((labels as { reason: string }).reason);
        rejected[reason] = (rejected[reason] ?? 0) + n;
      },
    },
    settings,
  });
  return { metrics, rejected, otel: new OtelMetricsSink(session) };
}

const sum = (name: string, points: [Record<string, string>, number][], temporality = 'cumulative', isMonotonic = true): OtelMetric => ({
  name,
  description: '',
  unit: '',
  data: {
    tag: 'f64-sum',
    val: {
      dataPoints: points.map(([attrs, v]) => ({
        attributes: Object.entries(attrs).map(([key, value]) => ({ key, value: JSON.stringify(value) })),
        value: { tag: 'f64', val: v },
      })),
      temporality: temporality as 'cumulative',
      isMonotonic,
    },
  },
});
const rm = (...metrics: OtelMetric[]) => ({ scopeMetrics: [{ metrics }] });

describe('the wasi:otel metrics sink', () => {
  it('a cumulative counter that goes down is a restart; an up-down sum is a gauge', async () => {
    const { metrics, otel } = sink();
    otel.export(rm(sum('jobs', [[{}, 5]]), sum('queue', [[{}, 4]], 'cumulative', false)));
    otel.export(rm(sum('jobs', [[{}, 2]]), sum('queue', [[{}, 1]], 'cumulative', false)));
    expect((await find(metrics, 'jobs'))?.value).toBe(7);
    expect((await find(metrics, 'queue'))?.value).toBe(1);
  });

  it('refuses, counts and reports what it cannot merge; what it could merge stays', async () => {
    const { metrics, rejected, otel } = sink({ exclude: ['secret*'] });
    const expo: OtelMetric = {
      name: 'latency',
      description: '',
      unit: 's',
      data: { tag: 'f64-exponential-histogram', val: { dataPoints: [{}] } },
    };
    const call = () =>
      otel.export(
        rm(
          sum('ok', [[{ k: 'v' }, 1]]),
          sum('late_keys', [
            [{ a: 'x' }, 1],
            [{ a: 'y' }, 1],
          ]),
          expo,
          sum('secret_total', [[{}, 1]]),
          sum('omnimeter_up', [[{}, 1]]),
          sum('neg', [[{}, -1]], 'delta'),
        ),
      );
    expect(call).toThrow();
    // A key the metric did not arrive with is refused; its label set is fixed at registration.
    expect(() => otel.export(rm(sum('late_keys', [[{ b: 'new' }, 1]])))).toThrow(/1 data point/);
    expect((await find(metrics, 'ok', { k: 'v' }))?.value).toBe(1);
    expect(rejected).toEqual({ not_mergeable: 1, excluded: 1, reserved_name: 1, invalid_update: 1, invalid_series: 1 });
  });

  it('excludes a guest metric by the name Prometheus shows for it, as config filters do', async () => {
    const { metrics, rejected, otel } = sink({ exclude: ['tool_calls_total'] });
    expect(() => otel.export(rm(sum('tool.calls', [[{}, 1]]), sum('tool.errors', [[{}, 1]])))).toThrow(/1 data point/);
    expect(await find(metrics, 'tool.calls')).toBeUndefined();
    expect((await find(metrics, 'tool.errors'))?.value).toBe(1);
    expect(rejected).toEqual({ excluded: 1 });
  });

  it('throws the WIT error (a string) for a malformed export', () => {
    const { otel } = sink();
    expect(() => otel.export({} as never)).toThrow(/scope-metrics/);
  });

  it('attribute values: JSON strings unquoted, other JSON kept as text (property)', () => {
    fc.assert(fc.property(fc.string(), (s) => attributeValue(JSON.stringify(s)) === s));
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => typeof v !== 'string'),
        (v) => attributeValue(JSON.stringify(v)) === JSON.stringify(v),
      ),
    );
    fc.assert(fc.property(fc.string(), (s) => typeof attributeValue(s) === 'string'));
  });
});
