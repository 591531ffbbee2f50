/** Child Node processes for tests of process-level behaviour (signals, exit codes), bundled from source. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export const ROOT = new URL('../..', import.meta.url).pathname;
/** The Node entry point, for `import { createMetrics } from ${NODE_ENTRY}` in a child's source. */
export const NODE_ENTRY = JSON.stringify(new URL('../../src/node/index.ts', import.meta.url).pathname);

/**
 * Bundles `source` (TypeScript) with esbuild into a script under the repository's
 * git-ignored .cache/, so it resolves the project's packages; returns its path.
 */
export async function bundleChild(prefix: string, source: string): Promise<string> {
  mkdirSync(join(ROOT, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.cache', prefix));
  writeFileSync(join(dir, 'child.ts'), source);
  await build({
    entryPoints: [join(dir, 'child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(dir, 'child.mjs'),
    packages: 'external',
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  return join(dir, 'child.mjs');
}
