/**
 * The host records the component-runtime set of omnimeter/sets
 * (HostOptions.componentRuntimeSet): the set's Prometheus names, read back by
 * the strict OpenMetrics parser, carry the same numbers as the host's own
 * omnimeter_wasm_* families.
 */
import { describe, expect, it } from 'vitest';
import type { Metrics } from '../../src/api/metrics.js';
import { ComponentHost, readComponent } from '../../src/host/index.js';
import { createMetrics, render } from '../../src/index.js';
import { componentDir } from '../support/components.js';
import { type ParsedFamily, parseStrict } from '../support/validators.js';

async function scrape(metrics: Metrics) {
  const families = parseStrict(render(await metrics.registry.collect(), 'openmetrics'));
  /** Sum of the samples named `sample` whose labels include `labels`. */
  return (sample: string, labels: Record<string, string> = {}) =>
    families
      .flatMap((f: ParsedFamily) => f.samples)
      .filter((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((n, s) => n + s.value, 0);
}

describe('HostOptions.componentRuntimeSet', () => {
  it("records load, calls, memory, CPU and unload under the set's names, agreeing with omnimeter_wasm_*", async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics, componentRuntimeSet: true, recovery: false });
    const compiled = readComponent(await componentDir('cpu-tool'));
    const loaded = host.load(compiled);
    const a = loaded.instantiate('a');
    const b = loaded.instantiate('b');
    expect(a.call('fib', 20, 2)).toBe(6765n);
    expect(b.call('spin', 1000)).toBe(1000);
    expect(() => a.call('fib', 10_000_000, 1)).toThrow(); // a stack overflow: a trap, the instance stops

    let read = await scrape(metrics);
    const component = { component_name: 'cpu-tool' };
    // Two loads; the compile time counts once, with the first instantiation.
    expect(read('component_load_duration_seconds_count', component)).toBe(2);
    expect(read('component_load_duration_seconds_sum', component)).toBeCloseTo(
      compiled.compileSeconds + read('omnimeter_wasm_instantiate_seconds_sum', { component: 'cpu-tool' }),
      9,
    );
    // Each invocation is a call from the host into the component.
    const call = { component_name: 'host', component_target: 'cpu-tool' };
    expect(read('component_call_duration_seconds_count', { ...call, outcome: 'success' })).toBe(2);
    expect(read('component_call_duration_seconds_count', { ...call, outcome: 'error' })).toBe(1);
    expect(read('component_call_duration_seconds_sum', call)).toBeCloseTo(read('omnimeter_wasm_invocation_seconds_sum'), 9);
    expect(read('component_cpu_time_seconds_total', component)).toBeCloseTo(read('omnimeter_wasm_cpu_seconds_total'), 9);
    expect(read('component_cpu_time_seconds_total', component)).toBeGreaterThan(0);
    // Memory per component: the sum over its instances (the stopped one holds none).
    const memory = read('component_memory_used_bytes', component);
    expect(memory).toBe(read('omnimeter_wasm_memory_bytes', { component: 'cpu-tool' }));
    expect(memory).toBe(read('omnimeter_wasm_memory_bytes', { component_instance: 'b' }));
    expect(memory).toBeGreaterThan(0);

    b.close();
    b.close(); // once only
    read = await scrape(metrics);
    expect(read('component_unload_duration_seconds_count', component)).toBe(1);
    expect(read('component_memory_used_bytes', component)).toBe(0);
    host.close();
  }, 120_000);

  it('is off by default: no component_* family', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics });
    host
      .load(readComponent(await componentDir('cpu-tool')))
      .instantiate()
      .call('spin', 10);
    expect((await metrics.registry.collect()).map((f) => f.name).filter((n) => n.startsWith('component'))).toEqual([]);
    host.close();
  }, 120_000);
});
