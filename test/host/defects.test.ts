/**
 * Regression tests for the host's confirmed defects (issue 11): each failed
 * before the merge port and the fixes that came with it.
 */
import { describe, expect, it } from 'vitest';
import type { Metrics, MetricsOptions } from '../../src/api/metrics.js';
import { type Recorder, recorderBackend } from '../../src/backends/recorder/index.js';
import { engineBackend } from '../../src/backends/wasm-component/index.js';
import { coreModules } from '../../src/component/index.js';
import { DEFAULT_LIMITS, type GuestDescriptor, GuestSession, type GuestLimits } from '../../src/host/guest-session.js';
import { ComponentHost, readComponent } from '../../src/host/index.js';
import { createMetrics, render } from '../../src/index.js';
import { componentDir } from '../support/components.js';
import { find } from '../support/read.js';
import { parseStrict } from '../support/validators.js';

/** A session of component `g` on `metrics`, counting refusals in rejected_total{component, reason}. */
function sessionOn(metrics: Metrics, overrides: Partial<ConstructorParameters<typeof GuestSession>[0]> = {}) {
  return new GuestSession({
    metrics,
    component: 'g',
    instance: '1',
    componentLabel: 'component',
    instanceLabel: undefined,
    limits: DEFAULT_LIMITS,
    rejected: metrics.counter('rejected_total', { help: 'r', labelNames: ['component', 'reason'] as const }),
    ...overrides,
  });
}

function guest(options: MetricsOptions = {}, limits: Partial<GuestLimits> = {}) {
  const metrics = createMetrics(options);
  const session = sessionOn(metrics, { limits: { ...DEFAULT_LIMITS, ...limits } });
  const refused = async (reason: string) => (await find(metrics, 'rejected', { reason }))?.value ?? 0;
  return { metrics, session, refused };
}

const descriptor = (d: Partial<GuestDescriptor> & Pick<GuestDescriptor, 'name' | 'kind'>): GuestDescriptor => ({
  help: 'h',
  unit: '',
  labelNames: [],
  buckets: [],
  quantiles: [],
  ...d,
});

const names = async (metrics: Metrics) => (await metrics.registry.collect()).map((f) => f.name);

describe("a guest never writes the SDK's omnimeter_ namespace (filter bypass)", () => {
  it('refuses the registration, whatever the host filter says, and counts it', async () => {
    const { metrics, session, refused } = guest({ filter: (name) => (name.includes('secret') ? null : name) });
    expect(session.registerMetric(descriptor({ name: 'omnimeter_secret_total', kind: 'counter' }))).toBe(0);
    expect(await refused('reserved_name')).toBe(1);
    expect(await names(metrics)).not.toContain('omnimeter_secret');
  });

  it('judges the Prometheus name: a dotted omnimeter.secret would be exposed as omnimeter_secret', async () => {
    const { metrics, session, refused } = guest();
    for (const name of ['omnimeter.secret', 'omnimeter-secret', 'omnimeter..secret.total'])
      expect(session.registerMetric(descriptor({ name, kind: 'counter' }))).toBe(0);
    expect(await refused('reserved_name')).toBe(3);
    expect((await names(metrics)).filter((n) => n.includes('secret'))).toEqual([]);
    // Not the namespace: `omnimeter` as a word of an OpenTelemetry name elsewhere.
    expect(session.registerMetric(descriptor({ name: 'tool.omnimeter.calls', kind: 'counter' }))).toBeGreaterThan(0);
  });

  it("refuses a label key whose Prometheus form is one of the host's labels (component.instance)", async () => {
    const metrics = createMetrics();
    const session = sessionOn(metrics, { instanceLabel: 'component_instance' });
    for (const [i, label] of ['component.instance', 'component-instance', 'component'].entries()) {
      expect(session.registerMetric(descriptor({ name: `spoof_${i}`, kind: 'counter', labelNames: [label] }))).toBe(0);
    }
    expect((await find(metrics, 'rejected', { reason: 'invalid_metric' }))?.value).toBe(3);
    expect(session.registerMetric(descriptor({ name: 'fine', kind: 'counter', labelNames: ['component.kind'] }))).toBeGreaterThan(0);
  });

  it('from a component too', async () => {
    const metrics = createMetrics({ filter: (name) => (name.includes('secret') ? null : name) });
    const hostile = new ComponentHost({ metrics }).load(readComponent(await componentDir('hostile'))).instantiate('h');
    hostile.call('misbehave', 5);
    expect(await names(metrics)).not.toContain('omnimeter_secret');
    expect((await find(metrics, 'omnimeter_wasm_guest_rejected', { reason: 'reserved_name' }))?.value).toBe(1);
  });
});

describe("a guest's overflow series (handoff-11)", () => {
  it('keeps its component label: each source overflows into a series of its own', async () => {
    const metrics = createMetrics();
    const sessions = ['a', 'b'].map((component) => sessionOn(metrics, { component }));
    sessions.forEach((session, i) => {
      const jobs = session.registerMetric(descriptor({ name: 'jobs_total', kind: 'counter', labelNames: ['queue'] }));
      const overflow = session.registerSeries(jobs, []);
      expect(overflow).toBeGreaterThan(0);
      expect(session.registerSeries(jobs, [])).toBe(overflow); // the same id again
      session.apply(overflow, 'add', 0, i + 2);
      session.apply(session.registerSeries(jobs, ['q']), 'add', 0, 1);
    });
    const family = parseStrict(render(await metrics.registry.collect(), 'openmetrics')).find((f) => f.name === 'jobs')!;
    expect(family.samples.filter((x) => x.name === 'jobs_total').map((x) => [x.labels, x.value])).toEqual([
      [{ component: 'a', queue: 'q' }, 1],
      [{ component: 'b', queue: 'q' }, 1],
      [{ component: 'a', omnimeter_overflow: 'true' }, 2],
      [{ component: 'b', omnimeter_overflow: 'true' }, 3],
    ]);
  });
});

describe('a metric the host filter denies', () => {
  it('is refused at registration (reason "filtered"), not accepted and then refused update by update', async () => {
    const { metrics, session, refused } = guest({ filter: (name) => (name.startsWith('debug_') ? null : name) });
    const id = session.registerMetric(descriptor({ name: 'debug_sizes', kind: 'histogram', buckets: [1, 2] }));
    expect(id).toBe(0);
    expect(await refused('filtered')).toBe(1);
    session.applyBatch([
      { series: 1, op: 'bucket', index: 0, value: 1 },
      { series: 1, op: 'sum', index: 0, value: 0.5 },
    ]);
    expect(await refused('invalid_update')).toBe(0);
    expect(await names(metrics)).not.toContain('debug_sizes');
  });
});

describe('registration is idempotent', () => {
  it('gives the same id for the same descriptor and the same label values, without using up the limits', async () => {
    const { session, refused } = guest({}, { maxMetrics: 2, maxSeries: 2 });
    const calls = descriptor({ name: 'calls_total', kind: 'counter', labelNames: ['tool'] });
    const first = session.registerMetric(calls);
    expect(first).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect(session.registerMetric({ ...calls })).toBe(first);
    expect(session.registerMetric({ ...calls, name: 'calls' })).toBe(first); // x and x_total are one counter
    const a = session.registerSeries(first, ['a']);
    for (let i = 0; i < 5; i++) expect(session.registerSeries(first, ['a'])).toBe(a);
    expect(session.registerSeries(first, ['b'])).not.toBe(a);
    expect(session.registerMetric(descriptor({ name: 'other', kind: 'gauge' }))).toBeGreaterThan(0);
    expect(await refused('metric_limit')).toBe(0);
    expect(await refused('series_limit')).toBe(0);
    expect(session.registerMetric(descriptor({ name: 'third', kind: 'gauge' }))).toBe(0); // the limit still holds
    expect(await refused('metric_limit')).toBe(1);
  });
});

describe('a histogram bucket update past +Inf', () => {
  it('is refused, not counted in +Inf', async () => {
    const { metrics, session, refused } = guest();
    const h = session.registerSeries(session.registerMetric(descriptor({ name: 'sizes', kind: 'histogram', buckets: [1, 2] })), []);
    session.applyBatch([
      { series: h, op: 'bucket', index: 2, value: 1 }, // +Inf: fine
      { series: h, op: 'bucket', index: 3, value: 7 }, // past it
    ]);
    expect((await find(metrics, 'sizes'))?.bucketCounts).toEqual([0, 0, 1]);
    expect(await refused('invalid_update')).toBe(1);
  });

  it('from a component too', async () => {
    const metrics = createMetrics();
    new ComponentHost({ metrics })
      .load(readComponent(await componentDir('hostile')))
      .instantiate('h')
      .call('misbehave', 6);
    expect((await find(metrics, 'past_inf'))?.bucketCounts).toEqual([0, 0, 0]);
    expect((await find(metrics, 'omnimeter_wasm_guest_rejected', { reason: 'invalid_update' }))?.value).toBe(1);
  });
});

describe("the engine component's collector", () => {
  async function engine() {
    const compiled = readComponent(await componentDir('engine'), { name: 'engine' });
    const clock = { nowMs: () => performance.now() };
    return compiled.glue.instantiate(coreModules(compiled), {
      'omnimeter:metrics/clock': clock,
      'omnimeter:metrics/clock@0.1.0': clock,
    }) as {
      recorder: Recorder & { applyBatch(u: unknown[]): void };
      collector: { snapshot(): { descriptor: GuestDescriptor; series: { labels: { name: string; value: string }[]; value: number }[] }[] };
    };
  }

  it('round-trips descriptors: counter names, summary windows, label names of a metric with no series', async () => {
    const { recorder, collector } = await engine();
    const jobs = recorder.registerMetric(descriptor({ name: 'jobs_total', kind: 'counter' }));
    recorder.registerMetric(
      descriptor({ name: 'latency_seconds', kind: 'summary', unit: 'seconds', quantiles: [0.5], maxAgeSeconds: 60, ageBuckets: 3 }),
    );
    recorder.registerMetric(descriptor({ name: 'queue_depth', kind: 'gauge', labelNames: ['queue'] }));
    recorder.applyBatch([{ series: recorder.registerSeries(jobs, []), op: 'add', index: 0, value: 2 }]);
    const byName = new Map(collector.snapshot().map((m) => [m.descriptor.name, m]));
    expect(byName.get('jobs_total')?.series[0]?.value).toBe(2);
    expect(byName.get('latency_seconds')?.descriptor).toMatchObject({ maxAgeSeconds: 60, ageBuckets: 3, unit: 'seconds' });
    expect(byName.get('queue_depth')?.descriptor.labelNames).toEqual(['queue']);
  });

  it("reports what it refused in the snapshot, and the wasm-component backend shows it to the backend's user", async () => {
    const { recorder, collector } = await engine();
    recorder.applyBatch([{ series: 999, op: 'add', index: 0, value: 1 }]);
    const rejected = collector.snapshot().find((m) => m.descriptor.name === 'omnimeter_engine_rejected_total');
    expect(rejected?.series).toEqual([expect.objectContaining({ labels: [{ name: 'reason', value: 'unknown_series' }], value: 1 })]);

    const backend = engineBackend(readComponent(await componentDir('engine'), { name: 'engine' }));
    const metrics = createMetrics({ backend });
    (backend as unknown as { engine: { recorder: { applyBatch(u: unknown[]): void } } }).engine.recorder.applyBatch([
      { series: 999, op: 'add', index: 0, value: 1 },
    ]);
    expect((await find(metrics, 'omnimeter_backend_rejected', { backend: 'wasm-component', reason: 'unknown_series' }))?.value).toBe(1);
    await metrics.shutdown();
  }, 60_000);
});

describe("a TypeScript guest's remove() and reset()", () => {
  it('reach the host as forget', async () => {
    const host = createMetrics();
    const session = sessionOn(host, { component: 'ts' });
    const backend = recorderBackend(session.imports() as unknown as Recorder);
    const calls = createMetrics({ backend }).counter('calls_total', { help: 'c', labelNames: ['tool'] as const });
    calls.inc({ tool: 'a' }, 3);
    calls.inc({ tool: 'b' });
    backend.flush();
    calls.remove({ tool: 'a' });
    backend.flush();
    const tools = async () => (await host.registry.collect()).find((f) => f.name === 'calls')!.series.map((s) => s.labels.at(-1)![1]);
    expect(await tools()).toEqual(['b']);
    calls.reset();
    calls.inc({ tool: 'a' });
    backend.flush();
    expect(await tools()).toEqual(['a']);
    expect((await find(host, 'calls', { tool: 'a' }))?.value).toBe(1); // a fresh series, not the forgotten 3 plus 1
  });
});

describe('json-tool', () => {
  it('records document sizes in UTF-8 bytes and counts values only in well-formed JSON', async () => {
    const metrics = createMetrics();
    const json = new ComponentHost({ metrics }).load(readComponent(await componentDir('json-tool'))).instantiate('j');
    const doc = '{"name": "héllo wörld ✓ 😀", "n": 1}';
    const bytes = new TextEncoder().encode(doc).length;
    expect(bytes).toBeGreaterThan(doc.length); // UTF-16 code units would undercount
    expect(json.call('count-values', doc)).toBe(2);
    expect((await find(metrics, 'json_tool_document_bytes'))?.sum).toBe(bytes);
    for (const bad of ['[1 2]', '{"a" 1}', '{"a": 1,}', '[01]', 'tru', '"open', '[1] 2', '{"a": [1, 2}'])
      expect(json.call('count-values', bad), bad).toBe(-1);
    expect(json.call('count-values', ' {"a": [1, -2.5e3, "x\\"y", true, null, {}], "b": {"c": false}} ')).toBe(6);
  });
});

describe('the AssemblyScript SDK', () => {
  it('frees the lists it lowers for registrations', async () => {
    const compiled = readComponent(await componentDir('cpu-tool'));
    const pointers: number[] = [];
    const metrics = createMetrics();
    const session = sessionOn(metrics, { component: 'cpu-tool', componentLabel: undefined });
    const recorder = session.imports();
    const exports = compiled.glue.instantiate(
      coreModules(compiled),
      { 'omnimeter:metrics/recorder': recorder, 'omnimeter:metrics/recorder@0.1.0': recorder },
      (module, imports) => {
        // Watch the core-level import: (metric, list pointer, list length).
        const space = imports?.['omnimeter:metrics/recorder@0.1.0'] as Record<string, (...a: number[]) => number> | undefined;
        const register = space?.['register-series'];
        if (space && register) space['register-series'] = (metric, ptr, len) => (pointers.push(ptr), register(metric, ptr, len));
        return new WebAssembly.Instance(module, imports);
      },
    ) as { fanOut(n: number): number };
    exports.fanOut(5);
    expect(pointers.length).toBeGreaterThanOrEqual(5);
    expect(new Set(pointers).size).toBe(1); // each list freed after its call, so the next reuses the block
  });
});
