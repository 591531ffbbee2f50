/**
 * Bundlers that honour package.json `sideEffects` (esbuild, webpack, rollup)
 * drop a module none of whose exports are used unless it is listed there.
 * `omnimeter` and the entries that install opt-in features on import
 * (core/features.ts) must be listed, or a bundled Node app loses native
 * histograms, exemplars and the merge port. Bundles the built package the
 * way an application bundler would and runs the result, as an ES module and
 * as CommonJS (where esbuild leaves `import.meta` empty: importing omnimeter
 * must not depend on it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const OUT = join(ROOT, '.cache/bundlers');

// The Node entry takes the config (exemplars: { enabled }); the core entry takes the span source itself.
const script = (from: string, node: boolean) => `
import { createMetrics } from '${from}';
const m = createMetrics(${node ? '{ exemplars: { enabled: true } }' : '{ exemplars: { spanContext: () => undefined } }'});
m.histogram('h_seconds', { help: 'h', native: true }).observe(1);
m.counter('c_total', { help: 'c' }).inc();
const session = m.merge.open();
const metric = session.register({ name: 'merged_total', kind: 'counter', help: 'm', unit: '', labelNames: [] });
session.apply(session.series(metric, []), 'add', 0, 2);
m.registry.expose('prometheus').then(async (text) => {
  const all = ['h_seconds_count 1', 'c_total 1', 'merged_total 2'].every((line) => text.includes(line));
  console.log(all ? 'features installed' : text);
  await m.shutdown();
});
`;

describe('an application bundle of the built package (sideEffects honoured)', () => {
  for (const [name, from] of [
    ['omnimeter/node', `${ROOT}/dist/node/index.js`],
    ['omnimeter', `${ROOT}/dist/index.js`],
  ] as const) {
    for (const format of ['esm', 'cjs'] as const) {
      it(`${name} (${format}): native histograms, exemplars and the merge port survive tree shaking`, async () => {
        expect(existsSync(join(ROOT, 'dist/node/index.js')), 'dist/ is missing: run npm run build').toBe(true);
        mkdirSync(OUT, { recursive: true });
        const entry = join(OUT, `${name.replace('/', '-')}.mjs`);
        writeFileSync(entry, script(from, name === 'omnimeter/node'));
        const outfile = entry.replace(/\.mjs$/, format === 'esm' ? '.bundle.mjs' : '.bundle.cjs');
        // packages: 'external' keeps dependencies out; omnimeter's own modules, reached by path, are bundled and shaken.
        await build({ entryPoints: [entry], bundle: true, platform: 'node', format, packages: 'external', outfile, logLevel: 'error' });
        const ran = spawnSync(process.execPath, [outfile], { encoding: 'utf8', timeout: 60_000 });
        expect(ran.stdout.trim(), ran.stderr).toBe('features installed');
      });
    }
  }
});
