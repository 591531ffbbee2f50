import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { parse as parseYaml } from 'yaml';
import { DEMO_CONFIG, startDemo } from '../../src/cli/demo.js';
import { parseConfig } from '../../src/config/load.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { StatsdDaemon } from '../support/statsd-daemon.js';

const callsIn = (text: string) => [...text.matchAll(/^mcp_tool_calls_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);

describe('npm start demo', () => {
  it('serves live, changing metrics on 127.0.0.1 with the embedded defaults', async () => {
    const port = await freePort();
    const demo = await startDemo({ config: { ...DEMO_CONFIG, exporters: [{ type: 'prometheus', port }] }, rate: 200 });
    try {
      const url = `http://127.0.0.1:${port}/metrics`;
      // Poll (bounded) until every tool has run at least once.
      let text = '';
      for (let i = 0; i < 100 && !(/^mcp_json_tool_documents_total/m.test(text) && /^mcp_cpu_tool_calls_total/m.test(text)); i++) {
        await new Promise((r) => setTimeout(r, 50));
        text = await (await fetch(url)).text();
      }
      expect(callsIn(text)).toBeGreaterThan(0);
      expect(text).toContain('process_cpu_seconds_total');
      expect(text).toContain('mcp_tool_execution_seconds_bucket');
      // The tools are WebAssembly components: their own metrics and the host's runtime metrics show.
      expect(text).toMatch(
        /^mcp_json_tool_documents_total\{service="omnimeter-demo",component="json-tool",component_instance="demo",status="ok"\} \d+/m,
      );
      expect(text).toMatch(
        /^mcp_cpu_tool_calls_total\{service="omnimeter-demo",component="cpu-tool",component_instance="demo",export="fib"\} \d+/m,
      );
      expect(text).toMatch(
        /^omnimeter_wasm_invocations_total\{service="omnimeter-demo",component="json-tool",export="count-values",status="success"\} \d+/m,
      );
    } finally {
      await demo.stop();
    }
  });

  it('the example config with all five exporters is valid', () => {
    const config = parseConfig(parseYaml(readFileSync(new URL('../../examples/omnimeter.config.yaml', import.meta.url), 'utf8')));
    expect(config.exporters.map((e) => e.type).sort()).toEqual(['console', 'json', 'otlp', 'prometheus', 'statsd']);
  });

  it('runs end to end with all five exporters, each receiver seeing the same totals', async () => {
    const statsd = await StatsdDaemon.start();
    const otlp = await OtlpReceiver.start();
    const port = await freePort();
    const jsonPath = join(mkdtempSync(join(tmpdir(), 'omnimeter-demo-')), 'metrics.json');
    let consoleText = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      consoleText += String(chunk);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stderr.write;
    try {
      const demo = await startDemo({
        rate: 200,
        config: {
          ...DEMO_CONFIG,
          collectionInterval: '200ms',
          exporters: [
            { type: 'prometheus', port },
            { type: 'statsd', port: statsd.port },
            { type: 'json', path: jsonPath },
            { type: 'console', stream: 'stderr', format: 'logfmt' },
            { type: 'otlp', endpoint: otlp.url },
          ],
        },
      });
      await new Promise((r) => setTimeout(r, 1000));
      expect(callsIn(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())).toBeGreaterThan(0);
      await demo.stop(); // stops the load, then flushes every push exporter
      const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
      const jsonCalls = json.metrics
        .find((m: { name: string }) => m.name === 'mcp_tool_calls')
        .series.reduce((n: number, s: { value: number }) => n + s.value, 0);
      expect(jsonCalls).toBeGreaterThan(0);
      const otlpCalls = otlp.requests
        .at(-1)!
        .metrics.find((m) => m.name === 'mcp_tool_calls')!
        .points.reduce((n, p) => n + p.asDouble!, 0);
      expect(otlpCalls).toBe(jsonCalls);
      const sum = () => [...statsd.totals.counters].filter(([k]) => k.startsWith('mcp_tool_calls;')).reduce((n, [, v]) => n + v, 0);
      await statsd.until(() => sum() === jsonCalls);
      expect(sum()).toBe(jsonCalls);
      const lastConsole = [...consoleText.matchAll(/metric=mcp_tool_calls_total .* value=(\d+)/g)].map((m) => Number(m[1]));
      expect(lastConsole.length).toBeGreaterThan(0);
    } finally {
      process.stderr.write = write;
      await statsd.stop();
      await otlp.stop();
    }
  });
});
