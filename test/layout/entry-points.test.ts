/**
 * Architecture rules, checked rather than promised: the core entry point
 * bundles for browsers with no Node module, and inner layers never import
 * outer ones.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('entry points', () => {
  it.each([
    ['omnimeter (core)', 'index.ts'],
    ['omnimeter/sets', 'sets/index.ts'],
  ])('bundles `%s` for the browser platform without any Node module or dependency', async (_, entry) => {
    const result = await build({
      entryPoints: [join(SRC, entry)],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => i.startsWith('node:') || i.includes('node_modules'))).toEqual([]);
    expect(result.errors).toEqual([]);
  });
});

describe('layering', () => {
  const layerOf = (file: string) => relative(SRC, file).split('/')[0]!;
  // Which folders each layer may import from. Inner layers know nothing of outer ones.
  const allowed: Record<string, string[]> = {
    api: ['api'],
    core: ['api', 'core', 'exposition'],
    exposition: ['api', 'exposition'],
    backends: ['api', 'core', 'exposition', 'backends', 'component'],
    component: ['api', 'component'],
    config: ['api', 'core', 'exposition', 'config'],
    exporters: ['api', 'core', 'exposition', 'config', 'exporters', 'build'],
    node: [
      'api',
      'core',
      'exposition',
      'backends',
      'config',
      'exporters',
      'host',
      'ingest',
      'alerting',
      'health',
      'node',
      'otel',
      'build',
      'index.ts',
    ],
    ingest: ['api', 'core', 'exposition', 'config', 'ingest'],
    host: ['api', 'core', 'exposition', 'backends', 'component', 'host', 'build', 'sets'],
    // Building components (Node only; its tools are optional peers loaded on use).
    build: ['build'],
    otel: ['api', 'core', 'exposition', 'otel'],
    mcp: ['api', 'core', 'exposition', 'config', 'otel', 'mcp'],
    // Metric sets and their wrappers: platform-neutral, on the facade only (servers and caches are duck-typed).
    sets: ['api', 'sets'],
    // Script execution: its telemetry decorator, and the WebAssembly engine (Node: worker threads) on the host.
    execution: ['api', 'core', 'exposition', 'host', 'build', 'execution'],
    // Cluster and worker-thread aggregation (Node): workers on the recorder backend, the primary on the merge port.
    cluster: ['api', 'backends', 'index.ts', 'cluster'],
    alerting: ['api', 'core', 'exposition', 'config', 'alerting'],
    health: ['api', 'core', 'exposition', 'config', 'alerting', 'health'],
    cli: ['api', 'core', 'config', 'exporters', 'node', 'host', 'build', 'alerting', 'health', 'cli'],
    // The facade every entry re-exports; index.ts adds the opt-in features (core/features.ts), browser/ does not.
    'facade.ts': ['api', 'core', 'exposition', 'backends'],
    'index.ts': ['api', 'core', 'exposition', 'backends', 'facade.ts'],
    browser: ['api', 'core', 'exposition', 'backends', 'facade.ts', 'browser', 'config', 'exporters'],
  };

  it.each(sources(SRC).map((f) => [relative(SRC, f), f]))('%s imports only inward', (_, file) => {
    const layer = layerOf(file);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) {
        const nodeOnly = ['node', 'cli', 'config', 'exporters', 'host', 'build', 'alerting', 'execution', 'cluster'];
        if (!nodeOnly.includes(layer)) expect(spec, `${file} imports a Node module`).not.toMatch(/^node:/);
        continue;
      }
      const target = layerOf(join(file, '..', spec).replace(/\.js$/, '.ts'));
      expect(allowed[layer] ?? [], `${relative(SRC, file)} → ${spec}`).toContain(target);
    }
  });
});
