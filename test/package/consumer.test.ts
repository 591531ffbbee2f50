/**
 * The consumer test: what `npm install omnimeter` gives a new project.
 * setup.ts packed the repository and installed the tarball into an empty
 * project; this file checks that install (warnings, `npm ls`, size, what the
 * tarball carries), compiles and runs the README's `Use` snippet as ESM and
 * as CommonJS under `tsc --strict`, runs the CLI the way users reach it, and
 * uses the prebuilt engine (`backend: 'wasm-component'`). The commands the
 * docs show, the docs/wasm.md walkthrough included, run in docs.test.ts.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { mb } from './measure.js';
import { ROOT, commandEnv, copyProject, serveAndStop, sh, tsc } from './project.js';

/** The production install's budget, the prebuilt engine component not counted (issue 9). */
const BUDGET_BYTES = 25e6;

const fixture = () => inject('consumer');

describe('npm install <tarball> into an empty project', () => {
  it('finishes without a warning, and npm ls --all is clean', () => {
    const { install } = fixture();
    expect(install.output).not.toMatch(/\bwarn/i);
    expect(install.lsStatus, install.lsOutput).toBe(0);
    expect(install.lsOutput).not.toMatch(/UNMET DEPENDENCY|invalid|extraneous|missing/i);
  });

  it(`stays within ${mb(BUDGET_BYTES)} on disk without the prebuilt engine component (sizes printed)`, () => {
    const { install } = fixture();
    const withoutEngine = install.total.disk - install.engine.disk;
    const top = install.byPackage
      .slice(0, 6)
      .map((p) => `${p.name} ${mb(p.size.disk)}`)
      .join(', ');
    console.log(
      `consumer install: ${install.packages.length} packages in ${install.seconds.toFixed(1)} s; ` +
        `${mb(install.total.disk)} on disk (${mb(install.total.bytes)} of files), of which the engine component ${mb(install.engine.disk)}; ` +
        `${mb(withoutEngine)} without it (budget ${mb(BUDGET_BYTES)}); tarball ${mb(install.tarballBytes)}; largest: ${top}`,
    );
    expect(withoutEngine).toBeLessThanOrEqual(BUDGET_BYTES);
    expect(install.engine.bytes).toBeGreaterThan(1e6); // the engine really is there
    // No build tooling in a production install: those are optional peers.
    for (const tool of ['@bytecodealliance/jco', '@bytecodealliance/componentize-js', 'assemblyscript', 'binaryen', 'typescript'])
      expect(install.packages).not.toContain(tool);
  });

  it('carries what the docs promise, built from source, and nothing of the repository’s own', () => {
    const { files } = fixture();
    for (const file of [
      'dist/index.js',
      'dist/node/index.d.ts',
      'dist/cjs/node/index.js',
      'dist/cjs/node/index.d.ts',
      'dist/cli/bin.js',
      'components/engine/js/engine.js',
      'components/json-tool/js/json-tool.js',
      'components/cpu-tool/cpu-tool.wit',
      'wit/metrics.wit',
      'guest/index.ts',
      'wasm/sdk/metrics.ts',
      'README.md',
      'docs/wasm.md',
    ])
      expect(files).toContain(file);
    expect(files.filter((f) => /^(src|test|wasm\/examples|scripts)\/|\.map$|stamp\.json$/.test(f))).toEqual([]);
  });
});

/** The README's `Use` snippet, as written. */
function readmeUseSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Use'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README.md has no ```ts block under ## Use');
  return match[1]!;
}

/** The same code as a CommonJS module: its imports become require()s (tsc), the rest runs in an async function. */
function asCommonJs(snippet: string): string {
  const lines = snippet.split('\n');
  const imports = lines.filter((l) => /^import /.test(l));
  const body = lines.filter((l) => !/^import /.test(l));
  return `${imports.join('\n')}\n\nasync function main(): Promise<void> {\n${body.join('\n')}\n}\n\nmain().catch((error) => {\n  console.error(error);\n  process.exit(1);\n});\n`;
}

describe('the README Use snippet in a TypeScript project', () => {
  let project = '';
  beforeAll(() => {
    project = copyProject(fixture().project);
  });

  it('compiles under tsc --strict as an ES module and runs', async () => {
    writeFileSync(join(project, 'use.ts'), readmeUseSnippet());
    tsc(project, ['use.ts'], { outDir: 'out/esm', skipLibCheck: false }); // our declarations checked too
    const ran = await sh('node out/esm/use.js', project, commandEnv(await freePort()));
    expect(ran.status, ran.stderr).toBe(0);
  });

  it('compiles under tsc --strict as CommonJS (require) with the CommonJS declarations, and runs', async () => {
    writeFileSync(join(project, 'use.cts'), asCommonJs(readmeUseSnippet()));
    // node16 resolution refuses an ES module's declarations from a require(): this passes only with dist/cjs/*.d.ts.
    tsc(project, ['use.cts'], { outDir: 'out/cjs', module: 'node16', moduleResolution: 'node16', skipLibCheck: false });
    const compiled = readFileSync(join(project, 'out/cjs/use.cjs'), 'utf8');
    expect(compiled).toContain('require("omnimeter")');
    const ran = await sh('node out/cjs/use.cjs', project, commandEnv(await freePort()));
    expect(ran.status, ran.stderr).toBe(0);
  });

  it('require() and import give the same module: one MetricsError class, one registry per instance', async () => {
    writeFileSync(
      join(project, 'same.cjs'),
      `const cjs = require('omnimeter');
import('omnimeter').then((esm) => {
  if (cjs.MetricsError !== esm.MetricsError || cjs.createMetrics !== esm.createMetrics) throw new Error('two copies');
  for (const entry of ['omnimeter/core', 'omnimeter/node', 'omnimeter/host', 'omnimeter/browser', 'omnimeter/recorder', 'omnimeter/build', 'omnimeter/otel'])
    if (typeof require(entry) !== 'object') throw new Error(entry);
  console.log('same');
});
`,
    );
    const ran = await sh('node same.cjs', project, commandEnv(await freePort()));
    expect(ran.stdout.trim(), ran.stderr).toBe('same');
  });

  it("backend: 'wasm-component' uses the engine the package ships", async () => {
    writeFileSync(
      join(project, 'engine.mjs'),
      `import { createMetrics } from 'omnimeter';
const metrics = createMetrics({ backend: 'wasm-component' });
const calls = metrics.counter('calls_total', { help: 'Calls.', labelNames: ['tool'] });
calls.inc({ tool: 'search' }, 3);
metrics.histogram('size_bytes', { help: 'Sizes.', buckets: [10, 100] }).observe(42);
process.stdout.write(await metrics.registry.expose('prometheus'));
await metrics.shutdown();
`,
    );
    const ran = await sh('node engine.mjs', project, commandEnv(await freePort()));
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('calls_total{tool="search"} 3');
    expect(ran.stdout).toContain('size_bytes_bucket{le="100.0"} 1');
  });
});

describe('the omnimeter command, however it is reached', () => {
  let project = '';
  beforeAll(() => {
    project = copyProject(fixture().project);
    writeFileSync(join(project, 'good.yaml'), 'enabled: true\nexporters:\n  - type: prometheus\n    port: 9464\n');
    writeFileSync(join(project, 'bad.yaml'), 'enabled: true\nexporters:\n  - type: statsd\n    port: abc\nsamplingRate: 2\n');
  });
  const run = async (command: string) => sh(command, project, commandEnv(await freePort()));

  it('npx, node_modules/.bin and a global-style symlink all run it: --help on stdout, exit 0', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'omnimeter-bin-'));
    symlinkSync(join(project, 'node_modules', '.bin', 'omnimeter'), join(bin, 'omnimeter'));
    for (const command of ['npx omnimeter --help', './node_modules/.bin/omnimeter --help', `${join(bin, 'omnimeter')} --help`]) {
      const ran = await run(command);
      expect(ran.status, `${command}: ${ran.stderr}`).toBe(0);
      expect(ran.stdout).toMatch(/^usage: omnimeter <command>/);
      expect(ran.stdout).toContain('build-guest');
    }
    expect((await run('npx omnimeter --version')).stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('a global install (npm install -g) runs it too', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'omnimeter-global-'));
    const installed = await run(`npm install -g --prefix ${prefix} ${fixture().tarball}`);
    expect(installed.status, installed.stderr).toBe(0);
    const help = await run(`${join(prefix, 'bin', 'omnimeter')} --help`);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: omnimeter <command>/);
    const bad = await run(`${join(prefix, 'bin', 'omnimeter')} validate-config bad.yaml`);
    expect(bad.status).toBe(1);
  });

  it('exits non-zero for every failure, printing each error once', async () => {
    const none = await run('npx omnimeter');
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('usage: omnimeter');
    expect((await run('npx omnimeter frobnicate')).status).toBe(2);

    expect((await run('npx omnimeter validate-config good.yaml')).status).toBe(0);
    const bad = await run('npx omnimeter validate-config bad.yaml');
    expect(bad.status).toBe(1);
    expect(bad.stderr.match(/exporters\[0\]\.port: expected an integer 1-65535, got "abc"/g)).toHaveLength(1);
    expect(bad.stderr).toContain('samplingRate: expected a number in (0, 1], got 2');
    expect((await run('npx omnimeter validate-config missing.yaml')).status).toBe(1);

    const unknown = await run('npx omnimeter run node_modules/omnimeter/components/json-tool --invoke nope --once');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('has no export "nope"; its exports:\n  count-values(json: string) -> s32');
    expect(unknown.stderr.match(/has no export/g)).toHaveLength(1);
    expect(unknown.stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace

    writeFileSync(join(project, 'notes.wasm'), 'not a component');
    const notWasm = await run('npx omnimeter run notes.wasm --once');
    expect(notWasm.status).toBe(1);
    expect(notWasm.stderr).toContain('notes.wasm is not a WebAssembly file');
  });

  it('names the optional peer to install when a command needs one', async () => {
    const wasm = await run('npx omnimeter run node_modules/omnimeter/components/cpu-tool/js/cpu-tool.core.wasm --once');
    expect(wasm.stderr).toContain('is a core WebAssembly module, not a component');
    writeFileSync(join(project, 'c.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]));
    const transpile = await run('npx omnimeter run c.wasm --once');
    expect(transpile.status).toBe(1);
    expect(transpile.stderr).toContain(
      'needs the package @bytecodealliance/jco, an optional peer dependency of omnimeter that is not installed',
    );
    expect(transpile.stderr).toContain('npm install -D @bytecodealliance/jco@1.12.0');
    writeFileSync(join(project, 'g.ts'), 'export function f(): u32 { return 1; }\n');
    writeFileSync(join(project, 'g.wit'), 'package a:b;\nworld g { export f: func() -> u32; }\n');
    const build = await run('npx omnimeter build-guest g.ts --wit g.wit');
    expect(build.status).toBe(1);
    expect(build.stderr).toMatch(/needs the package (assemblyscript|@bytecodealliance\/jco), an optional peer dependency/);
  });

  it('runs a shipped component with typed arguments, and the demo serves until Ctrl-C', async () => {
    const ran = await run(
      `npx omnimeter run node_modules/omnimeter/components/json-tool --invoke count-values --args '{"a":[1,2]}' --once`,
    );
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('count-values -> 2');
    const port = await freePort();
    // The executable itself (npx would add npm's own handling of Ctrl-C): the demo must exit 0 after flushing.
    const toolCalls = /^mcp_tool_calls_total\{/m;
    const demo = await serveAndStop('./node_modules/.bin/omnimeter demo', project, commandEnv(port), port, 240_000, (m) =>
      toolCalls.test(m),
    );
    expect(demo.metrics).toMatch(toolCalls);
    expect(demo.stdout).toContain(`http://127.0.0.1:${port}/metrics`);
    expect(demo.stdout).toContain('port from OMNIMETER_PORT');
    expect(demo.status, demo.stderr).toBe(0);
  });
});
