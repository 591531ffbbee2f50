import { describe, expect, it } from 'vitest';
import { startDemo } from '../../src/cli/demo.js';

describe('npm start demo', () => {
  it('serves live, changing metrics on 127.0.0.1', async () => {
    const demo = await startDemo({ port: 0, rate: 200 });
    try {
      expect(demo.server.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      const read = async () => {
        const text = await (await fetch(demo.server.url)).text();
        return [...text.matchAll(/^mcp_tool_calls_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      };
      let total = 0;
      for (let i = 0; i < 100 && total === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        total = await read();
      }
      expect(total).toBeGreaterThan(0);
      const text = await (await fetch(demo.server.url)).text();
      expect(text).toContain('process_cpu_seconds_total');
      expect(text).toContain('mcp_tool_execution_seconds_bucket');
    } finally {
      await demo.stop();
    }
  });
});
