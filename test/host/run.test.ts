import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunArgs, runComponent } from '../../src/cli/run.js';
import { componentDir } from '../support/components.js';
import { freePort } from '../support/ports.js';
import { startPrometheus } from '../support/prometheus.js';
import { describeWithTools } from '../support/tools.js';

const componentWasm = async (name: string) => join(await componentDir(name), '..', `${name}.component.wasm`);

describe('omnimeter run', () => {
  it('parses its arguments, JSON where it parses', () => {
    expect(parseRunArgs(['c.wasm', '--invoke', 'fib', '--args', '20', '"x"', 'raw', '--repeat', '3', '--once'])).toMatchObject({
      component: 'c.wasm',
      invoke: 'fib',
      args: [20, 'x', 'raw'],
      repeat: 3,
      once: true,
    });
    expect(() => parseRunArgs([])).toThrow(/needs a component/);
    expect(() => parseRunArgs(['c.wasm', '--repeat', '0'])).toThrow('--repeat: expected an integer >= 1, got 0');
    expect(() => parseRunArgs(['c.wasm', '--bogus'])).toThrow(/unknown argument/);
  });

  it('transpiles a component once (cached by sha256) and invokes it', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'omnimeter-run-'));
    const wasm = await componentWasm('cpu-tool');
    const config = { enabled: true, exporters: [] };
    const first = await runComponent({ component: wasm, invoke: 'fib', args: [10, 1], instances: 2, cacheDir, config });
    expect(first.results).toEqual([55n, 55n]);
    await first.stop();
    const second = await runComponent({ component: wasm, invoke: 'spin', args: [3], cacheDir, config });
    expect(second.results).toEqual([3]);
    await second.stop();
  });

  it("runs a component that imports WASI, on preview2-shim's sandboxed WASI", async () => {
    const running = await runComponent({
      component: await componentWasm('wasi-tool'),
      invoke: 'work',
      args: [1000],
      cacheDir: mkdtempSync(join(tmpdir(), 'omnimeter-run-')),
      config: { enabled: true, exporters: [] },
    });
    expect(running.results[0]).toBeGreaterThan(0n);
    const iterations = (await running.metrics.registry.collect()).find((f) => f.name === 'wasi_tool_iterations');
    expect(iterations?.series[0]?.value).toBe(1000);
    await running.stop();
  });

  describeWithTools(['prometheus'], 'under a real Prometheus', () => {
    it('serves component-labelled metrics that a Prometheus scrape reads back', async () => {
      const port = await freePort();
      const running = await runComponent({
        component: await componentWasm('json-tool'),
        invoke: 'count-values',
        args: ['{"a": [1, 2, 3], "b": "x"}'],
        repeat: 3,
        config: { enabled: true, exporters: [{ type: 'prometheus', port }] },
        cacheDir: mkdtempSync(join(tmpdir(), 'omnimeter-run-')),
      });
      const prometheus = await startPrometheus([{ job: 'run', port }]);
      try {
        const docs = await prometheus.query('json_tool_documents_total{job="run"}');
        expect(docs.map((s) => [s.metric.component, s.metric.component_instance, s.metric.status, s.value[1]])).toEqual([
          ['json-tool', '1', 'ok', '3'],
        ]);
        expect(docs[0]!.metric.exported_instance).toBeUndefined(); // no clash with Prometheus's own instance label
        const invocations = await prometheus.query('omnimeter_wasm_invocations_total{component="json-tool"}');
        expect(invocations[0]!.value[1]).toBe('3');
      } finally {
        await prometheus.stop();
        await running.stop();
      }
    }, 60_000);
  });
});
