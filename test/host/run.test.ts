import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
  it('parses its arguments, keeping them as typed until the export’s signature is known', () => {
    expect(parseRunArgs(['c.wasm', '--invoke', 'fib', '--args', '20', '"x"', 'raw', '--repeat', '3', '--once'])).toMatchObject({
      component: 'c.wasm',
      invoke: 'fib',
      args: ['20', '"x"', 'raw'],
      repeat: 3,
      once: true,
    });
    expect(() => parseRunArgs([])).toThrow(/needs a component/);
    expect(() => parseRunArgs(['c.wasm', '--repeat', '0'])).toThrow('--repeat: expected an integer >= 1, got 0');
    expect(() => parseRunArgs(['c.wasm', '--bogus'])).toThrow(/unknown argument/);
    expect(() => parseRunArgs(['c.wasm', '--args', '1'])).toThrow('--args needs --invoke <export>');
  });

  it('passes a string parameter the text as typed, even when it is JSON (the WIT says string)', async () => {
    const running = await runComponent({
      component: await componentWasm('json-tool'),
      invoke: 'count-values',
      args: ['{"a":1}'],
      cacheDir: mkdtempSync(join(tmpdir(), 'omnimeter-run-')),
      config: { enabled: true, exporters: [] },
    });
    expect(running.results).toEqual([1]);
    await running.stop();
  });

  it('names the problem: an unknown export (listing the exports with their signatures), arguments, files', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'omnimeter-run-'));
    const config = { enabled: true, exporters: [] };
    const wasm = await componentWasm('cpu-tool');
    await expect(runComponent({ component: wasm, invoke: 'nope', cacheDir, config })).rejects.toThrow(
      `${wasm} has no export "nope"; its exports:\n  fib(n: u32, rounds: u32) -> u64\n  spin(count: u32) -> u32\n  fan-out(series: u32) -> u32`,
    );
    await expect(runComponent({ component: wasm, invoke: 'fib', args: ['10'], cacheDir, config })).rejects.toThrow(
      'fib(n: u32, rounds: u32) -> u64 takes 2 argument(s), got 1',
    );
    await expect(runComponent({ component: wasm, invoke: 'fib', args: ['-1', '1'], cacheDir, config })).rejects.toThrow(
      'n: expected an integer 0..4294967295 (WIT u32), got "-1"',
    );
    const dir = mkdtempSync(join(tmpdir(), 'omnimeter-run-'));
    const core = join(dir, 'core.wasm');
    writeFileSync(core, readFileSync(join(await componentDir('cpu-tool'), 'cpu-tool.core.wasm')));
    await expect(runComponent({ component: core, cacheDir, config })).rejects.toThrow(
      /core\.wasm is a core WebAssembly module, not a component/,
    );
    const text = join(dir, 'notes.wasm');
    writeFileSync(text, 'hello, not wasm');
    await expect(runComponent({ component: text, cacheDir, config })).rejects.toThrow(/notes\.wasm is not a WebAssembly file/);
    await expect(runComponent({ component: join(dir, 'absent.wasm'), cacheDir, config })).rejects.toThrow(/no such file or folder/);
  });

  it('transpiles a component once (cached by sha256) and invokes it', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'omnimeter-run-'));
    const wasm = await componentWasm('cpu-tool');
    const config = { enabled: true, exporters: [] };
    const first = await runComponent({ component: wasm, invoke: 'fib', args: ['10', '1'], instances: 2, cacheDir, config });
    expect(first.results).toEqual([55n, 55n]);
    await first.stop();
    const second = await runComponent({ component: wasm, invoke: 'spin', args: ['3'], cacheDir, config });
    expect(second.results).toEqual([3]);
    await second.stop();
  });

  it("runs a component that imports WASI, on preview2-shim's sandboxed WASI", async () => {
    const running = await runComponent({
      component: await componentWasm('wasi-tool'),
      invoke: 'work',
      args: ['1000'],
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
