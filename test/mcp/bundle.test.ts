/**
 * omnimeter/mcp serves MCP clients in pages too: it bundles for the browser
 * with no Node module, and never imports the MCP SDK (an optional peer).
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('bundles omnimeter/mcp for the browser without Node modules or the SDK', async () => {
  const result = await build({
    entryPoints: [join(new URL('../../src/mcp/index.ts', import.meta.url).pathname)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((i) => i.startsWith('node:'))).toEqual([]);
  expect(inputs.filter((i) => i.includes('@modelcontextprotocol') || i.includes('zod'))).toEqual([]);
  expect(result.errors).toEqual([]);
});
