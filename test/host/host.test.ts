import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ComponentHost, type LogRecord, readComponent } from '../../src/host/index.js';
import { GuestSession, DEFAULT_LIMITS, type GuestUpdate } from '../../src/host/guest-session.js';
import { find } from '../support/read.js';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { createMetrics } from '../../src/index.js';
import { componentDir } from '../support/components.js';
import { describeWithTools } from '../support/tools.js';
import { parseStrict } from '../support/validators.js';

const read = find;

describe('AssemblyScript guests under the host aggregator', () => {
  it('records through the recorder with component and instance labels', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics });
    const cpu = host.load(readComponent(await componentDir('cpu-tool')));
    const a = cpu.instantiate('a');
    const b = cpu.instantiate('b');
    expect(a.call('fib', 20, 2)).toBe(6765n);
    expect(a.call('spin', 1000)).toBe(1000);
    expect(b.call('spin', 250)).toBe(250);
    expect((await read(metrics, 'cpu_tool_spins', { component_instance: 'a' }))?.value).toBe(1000);
    expect((await read(metrics, 'cpu_tool_spins', { component_instance: 'b' }))?.value).toBe(250);
    expect((await read(metrics, 'cpu_tool_calls', { component_instance: 'a', export: 'fib', component: 'cpu-tool' }))?.value).toBe(1);
    const input = await read(metrics, 'cpu_tool_fib_input', { component_instance: 'a' });
    expect(input?.bucketCounts).toEqual([0, 0, 1, 0, 0]); // 20 falls in le=20
    expect(input?.sum).toBe(20);
    expect((await read(metrics, 'cpu_tool_fib_seconds', { component_instance: 'a' }))?.count).toBe(1);
  });

  it('merges instances when the instance label is off: counters add, summaries merge sketches', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics, labels: { instance: false } });
    const json = host.load(readComponent(await componentDir('json-tool')));
    const one = json.instantiate();
    const two = json.instantiate();
    const doc = (n: number) => JSON.stringify({ items: Array.from({ length: n }, (_, i) => i), name: 'x' });
    for (let n = 1; n <= 50; n++) one.call('count-values', doc(n));
    for (let n = 51; n <= 100; n++) expect(two.call('count-values', doc(n))).toBe(n + 1);
    expect(two.call('count-values', '{"broken": [1, 2}')).toBe(-1);
    expect((await read(metrics, 'json_tool_documents', { status: 'ok' }))?.value).toBe(100);
    expect((await read(metrics, 'json_tool_documents', { status: 'invalid' }))?.value).toBe(1);
    const values = await read(metrics, 'json_tool_values');
    expect(values?.count).toBe(100);
    // Values 2..101 from two guests' sketches merged: the median within 1%.
    expect(Math.abs(values!.quantileValues![0]! - 51) / 51).toBeLessThan(0.01);
    expect(values?.sum).toBe(Array.from({ length: 100 }, (_, i) => i + 2).reduce((a, b) => a + b, 0));
  });

  describeWithTools(['python3-prometheus-client'], 'exposition of guest metrics', () => {
    it('passes the strict OpenMetrics parser with component labels', async () => {
      const metrics = createMetrics();
      const host = new ComponentHost({ metrics });
      const json = host.load(readComponent(await componentDir('json-tool')));
      json.instantiate('x').call('count-values', '[1, "two", true, null]');
      const families = parseStrict(await metrics.registry.expose('openmetrics'));
      const docs = families.find((f) => f.name === 'json_tool_documents')!;
      expect(docs.samples.find((s) => s.name === 'json_tool_documents_total')!.labels).toEqual({
        component: 'json-tool',
        component_instance: 'x',
        status: 'ok',
      });
    });
  });

  it('reports runtime telemetry, spans from an injected provider, and logs without payloads', async () => {
    const metrics = createMetrics();
    const spans: string[] = [];
    const provider = {
      getTracer: () => ({
        startSpan: (name: string) => {
          spans.push(name);
          return {
            end() {},
            setAttribute() {},
            recordException() {},
            setStatus() {},
            spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
            isRecording: () => true,
          };
        },
      }),
    };
    const logs: LogRecord[] = [];
    const host = new ComponentHost({ metrics, tracerProvider: provider as never, log: (r) => logs.push(r) });
    const json = host.load(readComponent(await componentDir('json-tool')));
    const secret = '{"password": "hunter2"}';
    json.instantiate('i').call('count-values', secret);
    expect((await read(metrics, 'omnimeter_wasm_invocations', { export: 'count-values', status: 'success' }))?.value).toBe(1);
    expect((await read(metrics, 'omnimeter_wasm_host_calls', { import: 'apply-batch' }))?.value).toBe(1);
    expect((await read(metrics, 'omnimeter_wasm_memory_bytes', { component_instance: 'i' }))?.value).toBeGreaterThan(0);
    expect((await read(metrics, 'omnimeter_wasm_metric_operations', { export: 'count-values' }))?.count).toBe(1);
    expect((await read(metrics, 'omnimeter_wasm_compile_seconds'))?.count).toBe(1);
    expect(spans).toContain('json-tool count-values');
    expect(spans).toContain('host apply-batch');
    const finish = logs.find((l) => l.event === 'invocation.finish')!;
    expect(finish).toMatchObject({ component: 'json-tool', status: 'success', hostCalls: expect.any(Number) });
    expect(finish.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(logs)).not.toContain('hunter2');
  });

  it('instantiates asynchronously too (what pages need for large components), with the same telemetry', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics });
    const json = await host.load(readComponent(await componentDir('json-tool'))).instantiateAsync('async');
    expect(json.call('count-values', '[1, 2, 3]')).toBe(3);
    expect((await read(metrics, 'json_tool_documents', { component_instance: 'async', status: 'ok' }))?.value).toBe(1);
    expect((await read(metrics, 'omnimeter_wasm_memory_bytes', { component_instance: 'async' }))?.value).toBeGreaterThan(0);
  });

  it('keeps guest memory flat over many calls (nothing leaks per call)', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics });
    const json = host.load(readComponent(await componentDir('json-tool'))).instantiate('j');
    const cpu = host.load(readComponent(await componentDir('cpu-tool'))).instantiate('c');
    const doc = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => `value-${i}`) });
    const memory = async (component: string) => (await read(metrics, 'omnimeter_wasm_memory_bytes', { component }))!.value!;
    const calls = (n: number) => {
      for (let i = 0; i < n; i++) {
        json.call('count-values', doc);
        cpu.call('fib', 10, 1);
      }
    };
    calls(2_000); // the collector's steady state
    const settled = { json: await memory('json-tool'), cpu: await memory('cpu-tool') };
    calls(20_000); // ~110 MB of documents lowered into the guest
    expect(await memory('json-tool')).toBe(settled.json);
    expect(await memory('cpu-tool')).toBe(settled.cpu);
  });
});

describe('components that import WASI', () => {
  it("run with preview2-shim's WASIShim passed as imports, sandboxed", async () => {
    const metrics = createMetrics();
    const wasi = new WASIShim({ sandbox: { preopens: {}, env: {}, args: ['wasi-tool'], enableNetwork: false } });
    const host = new ComponentHost({ metrics, imports: wasi.getImportObject() });
    const tool = host.load(readComponent(await componentDir('wasi-tool'))).instantiate('w');
    const before = process.hrtime.bigint();
    const took = tool.call('work', 100_000) as bigint;
    const wall = process.hrtime.bigint() - before;
    expect(took).toBeGreaterThan(0n);
    expect(took).toBeLessThanOrEqual(wall); // the guest timed itself with the host's monotonic clock
    expect((await read(metrics, 'wasi_tool_iterations'))?.value).toBe(100_000);
    const work = await read(metrics, 'wasi_tool_work_seconds');
    expect(work?.count).toBe(1);
    expect(work?.sum).toBeCloseTo(Number(took) / 1e9, 12);
    // Its WASI calls are counted and timed per interface and function, like omnimeter's own imports.
    const clock = { component: 'wasi-tool', interface: 'wasi:clocks/monotonic-clock', function: 'now' };
    expect((await read(metrics, 'omnimeter_wasm_wasi_calls', clock))?.value).toBe(2);
    const seconds = await read(metrics, 'omnimeter_wasm_wasi_call_seconds', clock);
    expect(seconds?.count).toBe(2);
    expect(seconds?.sum).toBeGreaterThan(0);
    expect(seconds?.sum).toBeLessThan(Number(wall) / 1e9);
  });

  it('name the missing interface when the host was not given it', async () => {
    const host = new ComponentHost({ metrics: createMetrics() });
    const tool = host.load(readComponent(await componentDir('wasi-tool')));
    expect(() => tool.instantiate('w')).toThrowError(
      /wasi-tool: cannot instantiate: .*Pass it in HostOptions\.imports \(WASI: preview2-shim's WASIShim\)/,
    );
  });
});

describe('guards against hostile guests', () => {
  it('refuses invalid metrics, floods, garbage batches and bad values, counting each, and keeps working', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics, limits: { maxSeries: 100 } });
    const hostile = host.load(readComponent(await componentDir('hostile'))).instantiate('h');
    const cpu = host.load(readComponent(await componentDir('cpu-tool'))).instantiate('good');
    for (const mode of [0, 4, 2, 1]) expect(hostile.call('misbehave', mode)).toBe(mode); // the flood last: it uses up the series limit
    const rejected = async (reason: string) =>
      (await read(metrics, 'omnimeter_wasm_guest_rejected', { component: 'hostile', reason }))?.value;
    expect(await rejected('invalid_metric')).toBe(2);
    expect(await rejected('series_limit')).toBeGreaterThan(4000);
    expect(await rejected('unknown_series')).toBe(1000);
    expect(await rejected('invalid_update')).toBe(1);
    expect((await read(metrics, 'le_gauge', { component: 'hostile' }))?.value).toBe(1); // its valid metric still works
    expect(cpu.call('spin', 10)).toBe(10);
    expect((await read(metrics, 'cpu_tool_spins', { component_instance: 'good' }))?.value).toBe(10);
  });

  it('isolates an instance that traps; other instances and components carry on', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics });
    const loaded = host.load(readComponent(await componentDir('hostile')));
    const bad = loaded.instantiate('bad');
    const fine = loaded.instantiate('fine');
    expect(() => bad.call('misbehave', 3)).toThrow(WebAssembly.RuntimeError);
    expect(bad.healthy).toBe(false);
    expect(() => bad.call('misbehave', 0)).toThrow(/unhealthy/);
    expect(fine.call('misbehave', 0)).toBe(0);
    expect((await read(metrics, 'omnimeter_wasm_invocations', { component: 'hostile', status: 'trap' }))?.value).toBe(1);
    expect((await read(metrics, 'omnimeter_wasm_instance_healthy', { component_instance: 'bad' }))?.value).toBe(0);
  });

  it('survives any fuzzed batch without throwing or touching another guest', () => {
    const metrics = createMetrics({ mode: 'strict' });
    const rejected = metrics.counter('rejected_total', { help: 'r', labelNames: ['component', 'reason'] as const });
    const session = (name: string) =>
      new GuestSession({
        metrics,
        component: name,
        instance: '1',
        componentLabel: 'component',
        instanceLabel: 'instance',
        limits: DEFAULT_LIMITS,
        rejected,
      });
    const victim = session('victim');
    const v = victim.registerSeries(
      victim.registerMetric({ name: 'victim_total', help: 'v', unit: '', kind: 'counter', labelNames: [], buckets: [], quantiles: [] }),
      [],
    );
    victim.apply(v, 'add', 0, 5);
    const attacker = session('attacker');
    const kinds = ['counter', 'gauge', 'histogram', 'summary'] as const;
    kinds.forEach((kind, i) =>
      attacker.registerSeries(
        attacker.registerMetric({ name: `a${i}`, help: 'a', unit: '', kind, labelNames: [], buckets: [1, 2], quantiles: [0.5] }),
        [],
      ),
    );
    const update = fc.record({
      series: fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constant(2 ** 32 - 1), fc.double()),
      op: fc.oneof(fc.constantFrom('add', 'set', 'observe', 'bucket', 'sketch', 'sum'), fc.string()),
      index: fc.oneof(fc.integer({ min: -5, max: 2 ** 20 }), fc.double()),
      value: fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308)),
    });
    fc.assert(
      fc.property(fc.array(update, { maxLength: 200 }), (updates) => {
        expect(() => attacker.applyBatch(updates as unknown as GuestUpdate[])).not.toThrow();
      }),
      { numRuns: 300 },
    );
    return metrics.registry.collect().then((families) => {
      const victimFamily = families.find((f) => f.name === 'victim')!;
      expect(victimFamily.series).toHaveLength(1);
      expect(victimFamily.series[0]!.value).toBe(5);
      expect(() => metrics.registry.expose('openmetrics')).not.toThrow();
    });
  });
});

describe('host policies', () => {
  it('combines a gauge shared by instances by the declared policy', async () => {
    for (const [policy, expected] of [
      ['sum', 2],
      ['max', 1],
      ['last', 1],
    ] as const) {
      const metrics = createMetrics();
      const host = new ComponentHost({ metrics, labels: { instance: false }, gaugePolicy: policy });
      const loaded = host.load(readComponent(await componentDir('hostile')));
      loaded.instantiate('one').call('misbehave', 0); // sets le_gauge to 1
      loaded.instantiate('two').call('misbehave', 0);
      expect((await read(metrics, 'le_gauge', { component: 'hostile' }))?.value, policy).toBe(expected);
    }
  });

  it('limits the update rate of an instance, counting what it drops', async () => {
    const metrics = createMetrics();
    const rejected = metrics.counter('rejected_total', { help: 'r', labelNames: ['component', 'reason'] as const });
    const session = new GuestSession({
      metrics,
      component: 'fast',
      instance: '1',
      componentLabel: 'component',
      instanceLabel: undefined,
      limits: { ...DEFAULT_LIMITS, maxUpdatesPerSecond: 100 },
      rejected,
    });
    const series = session.registerSeries(
      session.registerMetric({ name: 'hits_total', help: 'h', unit: '', kind: 'counter', labelNames: [], buckets: [], quantiles: [] }),
      [],
    );
    session.applyBatch(Array.from({ length: 150 }, () => ({ series, op: 'add' as const, index: 0, value: 1 })));
    expect((await read(metrics, 'hits'))?.value).toBe(100);
    expect((await read(metrics, 'rejected', { reason: 'rate_limit' }))?.value).toBe(50);
  });

  it('times host imports', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics });
    host
      .load(readComponent(await componentDir('cpu-tool')))
      .instantiate('t')
      .call('spin', 5);
    expect((await read(metrics, 'omnimeter_wasm_host_call_seconds', { import: 'apply-batch' }))?.count).toBe(1);
    expect((await read(metrics, 'omnimeter_wasm_host_call_seconds', { import: 'register-series' }))?.count).toBeGreaterThan(0);
  });
});

describe("per-component configuration (the config file's components section)", () => {
  it('applies enabled, extra labels, include/exclude patterns and sampling per component', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({
      metrics,
      components: {
        'cpu-tool': { labels: { team: 'compute' }, exclude: ['cpu_tool_fib_*'], samplingRate: 1 },
        'json-tool': { include: ['json_tool_documents*'] },
        hostile: { enabled: false },
      },
    });
    const cpu = host.load(readComponent(await componentDir('cpu-tool'))).instantiate('c');
    cpu.call('fib', 5, 1);
    cpu.call('spin', 3);
    const json = host.load(readComponent(await componentDir('json-tool'))).instantiate('j');
    json.call('count-values', '[1, 2]');
    host
      .load(readComponent(await componentDir('hostile')))
      .instantiate('h')
      .call('misbehave', 0);
    const names = (await metrics.registry.collect()).filter((f) => f.series.length > 0).map((f) => f.name);
    expect(names).toContain('cpu_tool_spins');
    expect(names).not.toContain('cpu_tool_fib_input'); // excluded
    expect(names).not.toContain('cpu_tool_fib_seconds');
    expect(names).toContain('json_tool_documents');
    expect(names).not.toContain('json_tool_document_bytes'); // not included
    expect(names).not.toContain('le_gauge'); // component disabled
    expect((await read(metrics, 'cpu_tool_spins'))?.labels).toContainEqual(['team', 'compute']);
    expect((await read(metrics, 'omnimeter_wasm_guest_rejected', { component: 'hostile', reason: 'disabled' }))?.value).toBeGreaterThan(0);
    expect((await read(metrics, 'omnimeter_wasm_guest_rejected', { component: 'cpu-tool', reason: 'excluded' }))?.value).toBe(2);
  });

  it('omnimeter run takes the components section from the config', async () => {
    const { runComponent } = await import('../../src/cli/run.js');
    const running = await runComponent({
      component: await componentDir('cpu-tool'),
      invoke: 'spin',
      args: ['2'],
      config: { enabled: true, exporters: [], components: { 'cpu-tool': { labels: { env: 'test' } } } },
    });
    const spins = (await running.metrics.registry.collect()).find((f) => f.name === 'cpu_tool_spins')!;
    expect(spins.series[0]!.labels).toContainEqual(['env', 'test']);
    await running.stop();
  });
});
