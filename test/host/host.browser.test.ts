/// <reference types="vite/client" />
/**
 * The host aggregator in a page (Chromium): transpiled components are
 * fetched and compiled by the page, instantiated against the recorder, and
 * their metrics aggregated and exposed in the page.
 */
import { describe, expect, it } from 'vitest';
import * as cpuGlue from '../../.cache/wasm/cpu-tool/js/cpu-tool.js';
import * as hostileGlue from '../../.cache/wasm/hostile/js/hostile.js';
import * as jsonGlue from '../../.cache/wasm/json-tool/js/json-tool.js';
import * as tsGlue from '../../.cache/wasm/ts-tool/js/ts-tool.js';
import * as wasiGlue from '../../.cache/wasm/wasi-tool/js/wasi-tool.js';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { find } from '../support/read.js';
import { createMetrics } from '../../src/browser/index.js';
import type { GuardOptions } from '../../src/component/index.js';
import { ComponentHost, type ComponentGlue, type LogRecord, fetchComponent } from '../../src/host/browser.js';

const wasm = import.meta.glob<string>('../../.cache/wasm/{cpu-tool,json-tool,hostile,wasi-tool,ts-tool}/**/*.wasm', {
  query: '?url',
  import: 'default',
  eager: true,
});
const urls = (name: string, pattern: RegExp) =>
  Object.fromEntries(Object.entries(wasm).filter(([path]) => path.includes(`/${name}/`) && pattern.test(path)));
const load = (name: string, glue: unknown, guard: GuardOptions = {}) =>
  fetchComponent({
    name,
    glue: glue as ComponentGlue,
    coreUrls: urls(name, /\.core\d*\.wasm$/),
    componentUrl: Object.values(urls(name, /\.component\.wasm$/))[0],
    ...guard,
  });

const read = find;

describe('the host aggregator in a page', () => {
  it('runs fetched components and aggregates their metrics by component and instance', async () => {
    const metrics = createMetrics();
    const logs: LogRecord[] = [];
    const host = new ComponentHost({ metrics, log: (r) => logs.push(r) });
    const cpu = host.load(await load('cpu-tool', cpuGlue));
    const json = host.load(await load('json-tool', jsonGlue));
    expect(cpu.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(cpu.sha256).not.toBe(json.sha256);
    const a = cpu.instantiate('a');
    const b = cpu.instantiate('b');
    expect(a.call('spin', 1000)).toBe(1000);
    expect(b.call('spin', 250)).toBe(250);
    expect(a.call('fib', 20, 1)).toBe(6765n);
    const parser = json.instantiate('p');
    expect(parser.call('count-values', '{"a": [1, 2, "x"], "b": null}')).toBe(4);
    expect(parser.call('count-values', '{"broken": [1,')).toBe(-1);

    expect((await read(metrics, 'cpu_tool_spins', { component_instance: 'a' }))?.value).toBe(1000);
    expect((await read(metrics, 'cpu_tool_spins', { component_instance: 'b' }))?.value).toBe(250);
    expect((await read(metrics, 'json_tool_documents', { status: 'ok', component: 'json-tool' }))?.value).toBe(1);
    expect((await read(metrics, 'json_tool_documents', { status: 'invalid' }))?.value).toBe(1);
    expect((await read(metrics, 'omnimeter_wasm_invocations', { component: 'cpu-tool', export: 'spin', status: 'success' }))?.value).toBe(
      2,
    );
    expect((await read(metrics, 'omnimeter_wasm_host_calls', { component: 'json-tool', import: 'apply-batch' }))?.value).toBeGreaterThan(0);
    expect(logs.filter((l) => l.event === 'component.load').map((l) => l.component)).toEqual(['cpu-tool', 'json-tool']);

    const text = await metrics.registry.expose('openmetrics');
    expect(text).toContain('cpu_tool_spins_total{component="cpu-tool",component_instance="a"} 1000');
    expect(text.trimEnd().endsWith('# EOF')).toBe(true);
  });

  it('isolates a component that traps; the others carry on', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics });
    const hostile = host.load(await load('hostile', hostileGlue)).instantiate('h');
    const cpu = host.load(await load('cpu-tool', cpuGlue)).instantiate('good');
    expect(() => hostile.call('misbehave', 3)).toThrow(WebAssembly.RuntimeError);
    expect(hostile.healthy).toBe(false);
    expect(() => hostile.call('misbehave', 0)).toThrow(/unhealthy/);
    expect(cpu.call('spin', 10)).toBe(10);
    expect((await read(metrics, 'omnimeter_wasm_instance_healthy', { component: 'hostile' }))?.value).toBe(0);
    expect((await read(metrics, 'omnimeter_wasm_invocations', { component: 'hostile', status: 'trap' }))?.value).toBe(1);
    expect((await read(metrics, 'cpu_tool_spins', { component_instance: 'good' }))?.value).toBe(10);
  });

  it('stops a metered runaway guest in the page (time and step budgets), binaryen from the bundle', async () => {
    const metrics = createMetrics();
    const metered = await load('hostile', hostileGlue, { meter: true, binaryen: () => import('binaryen') });
    expect(metered.metered).toBe(true);
    const timed = new ComponentHost({ metrics, invocationBudgetMs: 200, recovery: false }).load(metered).instantiate('time');
    const started = performance.now();
    expect(() => timed.call('loop-forever')).toThrow(/stopped after 200 ms/);
    expect(performance.now() - started).toBeLessThan(10_000); // stopped, not left to spin
    expect(timed.healthState()).toMatchObject({ state: 'stopped', lastStatus: 'timeout' });
    const stepped = new ComponentHost({ metrics, stepBudget: 1_000_000, recovery: false }).load(metered).instantiate('steps');
    expect(() => stepped.call('loop-forever')).toThrow(/stopped after 1000000 steps/);
    expect((await read(metrics, 'omnimeter_wasm_invocations', { component: 'hostile', status: 'timeout' }))?.value).toBe(1);
    expect((await read(metrics, 'omnimeter_wasm_invocations', { component: 'hostile', status: 'step_limit' }))?.value).toBe(1);
    expect((await read(metrics, 'omnimeter_wasm_instance_healthy', { component_instance: 'steps' }))?.value).toBe(0);
  });

  it("runs a component that imports WASI, with preview2-shim's browser build", async () => {
    const metrics = createMetrics();
    const wasi = new WASIShim({ sandbox: { preopens: {}, env: {}, args: ['wasi-tool'], enableNetwork: false } });
    const host = new ComponentHost({ metrics, imports: wasi.getImportObject() });
    const tool = host.load(await load('wasi-tool', wasiGlue)).instantiate('w');
    const took = tool.call('work', 100_000) as bigint;
    expect(took).toBeGreaterThanOrEqual(0n); // performance.now() in nanoseconds, coarsened by the browser
    expect((await read(metrics, 'wasi_tool_iterations'))?.value).toBe(100_000);
    expect((await read(metrics, 'wasi_tool_work_seconds'))?.sum).toBeCloseTo(Number(took) / 1e9, 12);
  });

  it('says what is wrong when a module is missing or cannot be fetched', async () => {
    const host = new ComponentHost({ metrics: createMetrics() });
    const cores = urls('json-tool', /\.core\d*\.wasm$/);
    const partial = Object.fromEntries(Object.entries(cores).filter(([path]) => !path.endsWith('core2.wasm')));
    const incomplete = host.load(
      await fetchComponent({ name: 'json-tool', glue: jsonGlue as unknown as ComponentGlue, coreUrls: partial }),
    );
    expect(() => incomplete.instantiate()).toThrowError(
      /json-tool: cannot instantiate: json-tool: no core module "json-tool.core2.wasm" among json-tool.core.wasm, json-tool.core3.wasm/,
    );
    await expect(
      fetchComponent({
        name: 'gone',
        glue: jsonGlue as unknown as ComponentGlue,
        coreUrls: { 'gone.core.wasm': '/no/such/gone.core.wasm' },
      }),
    ).rejects.toThrowError(/gone: GET \/no\/such\/gone.core.wasm answered 404/);
  });

  it('runs the 11 MB TypeScript component (componentize-js) with instantiateAsync', async () => {
    const metrics = createMetrics();
    const host = new ComponentHost({ metrics });
    const loaded = host.load(await load('ts-tool', tsGlue));
    expect(() => loaded.instantiate('sync')).toThrowError(/disallowed on the main thread, if the buffer size is larger than 8MB/);
    const tool = await loaded.instantiateAsync('t');
    for (let i = 1; i <= 3; i++) expect(tool.call('handle', '/a', 100)).toBe(i);
    expect(tool.call('handle', '/b', 3000)).toBe(4);
    expect((await read(metrics, 'ts_tool_requests', { route: '/a', component: 'ts-tool' }))?.value).toBe(3);
    expect((await read(metrics, 'ts_tool_payload_bytes'))?.bucketCounts).toEqual([0, 3, 0, 1, 0]);
    expect((await read(metrics, 'omnimeter_wasm_memory_bytes', { component_instance: 't' }))?.value).toBeGreaterThan(0);
  }, 60_000);
});
