// Builds the example guest components from source into .cache/wasm/ (never
// committed): AssemblyScript -> core module -> kebab-case exports (binaryen)
// -> embed (WIT, UTF-16 strings) -> component -> transpiled glue, all with
// the pinned jco 1.12 (its glue makes a guest-to-host call ~19x cheaper
// than jco 1.35's; see docs/wasm.md) -> validated.
//
//   node wasm/build.mjs            all guests
//   node wasm/build.mjs cpu-tool   one guest
//   node wasm/build.mjs --missing  only those not built yet
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile, copyFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import binaryen from 'binaryen';
// jco 1.12.0 (npm alias jco-transpiler) does every step: its wasm-tools embed and
// make the component, its transpiler writes the glue we ship.
import { componentEmbed, componentNew, transpile } from 'jco-transpiler';
import { componentize } from '@bytecodealliance/componentize-js';
import { build as esbuild } from 'esbuild';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.cache', 'wasm');
const bin = (p) => join(root, 'node_modules', p);
const ASC = bin('assemblyscript/bin/asc.js');

export const GUESTS = [
  { name: 'cpu-tool', world: 'cpu-tool', source: 'wasm/examples/cpu-tool.ts' },
  { name: 'json-tool', world: 'json-tool', source: 'wasm/examples/json-tool.ts' },
  { name: 'hostile', world: 'hostile', source: 'wasm/examples/hostile.ts' },
  { name: 'wasi-tool', world: 'wasi-tool', source: 'wasm/examples/wasi-tool.ts' },
  { name: 'ts-tool', world: 'ts-tool', source: 'wasm/examples/ts-tool.ts', typescript: true },
  { name: 'engine', world: 'engine', source: 'wasm/examples/engine.ts', typescript: true },
];

/** asc cannot emit '-' in export names; the component model wants kebab-case. */
function kebabExports(bytes) {
  const module = binaryen.readBinary(bytes);
  for (let i = module.getNumExports() - 1; i >= 0; i--) {
    const info = binaryen.getExportInfo(module.getExportByIndex(i));
    if (info.name === 'cabi_realloc' || info.name === 'memory' || !info.name.includes('_')) continue;
    if (info.name === 'abort') {
      module.removeExport(info.name);
      continue;
    }
    module.removeExport(info.name);
    module.addFunctionExport(info.value, info.name.replace(/_/g, '-'));
  }
  const renamed = module.emitBinary();
  module.dispose();
  return renamed;
}

async function witDir() {
  const dir = join(out, 'wit');
  await mkdir(join(dir, 'deps', 'metrics'), { recursive: true });
  await copyFile(join(root, 'wasm', 'examples', 'examples.wit'), join(dir, 'examples.wit'));
  await copyFile(join(root, 'wit', 'metrics.wit'), join(dir, 'deps', 'metrics', 'metrics.wit'));
  await mkdir(join(dir, 'deps', 'wasi-clocks'), { recursive: true });
  await copyFile(join(root, 'wasm', 'examples', 'wasi', 'clocks.wit'), join(dir, 'deps', 'wasi-clocks', 'clocks.wit'));
  return dir;
}

/**
 * A TypeScript guest: esbuild bundles it with the omnimeter core it imports,
 * componentize-js (StarlingMonkey) makes the component, with every optional
 * WASI feature disabled so it imports as little as possible.
 */
async function componentizeGuest(guest, wit, dir) {
  const bundle = join(dir, `${guest.name}.bundle.js`);
  await esbuild({
    entryPoints: [join(root, guest.source)],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    outfile: bundle,
    external: ['omnimeter:*'],
    logLevel: 'silent',
  });
  const { component } = await componentize({
    sourcePath: bundle,
    witPath: wit,
    worldName: guest.world,
    disableFeatures: ['stdio', 'random', 'clocks', 'http', 'fetch-event'],
  });
  await rm(bundle);
  return component;
}

async function buildGuest(guest, wit) {
  const dir = join(out, guest.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  if (guest.typescript) return finish(guest, dir, await componentizeGuest(guest, wit, dir));
  const core = join(dir, `${guest.name}.core.wasm`);
  const abort = `${guest.source.replace(/\.ts$/, '')}/abort`;
  await run(process.execPath, [ASC, guest.source, '-O3', '--runtime', 'incremental', '--use', `abort=${abort}`, '-o', core], { cwd: root });
  const kebab = join(dir, `${guest.name}.kebab.wasm`);
  await writeFile(kebab, kebabExports(await readFile(core)));
  const embedded = await componentEmbed({ binary: await readFile(kebab), witPath: wit, world: guest.world, stringEncoding: 'utf16' });
  await Promise.all([rm(core), rm(kebab)]);
  return finish(guest, dir, await componentNew(embedded, []));
}

/** Writes the component, transpiles it with the pinned jco 1.12 and validates what we ship. */
async function finish(guest, dir, componentBytes) {
  const component = join(dir, `${guest.name}.component.wasm`);
  await writeFile(component, componentBytes);
  const js = join(dir, 'js');
  const { files } = await transpile(componentBytes, { name: guest.name, instantiation: 'sync', quiet: true });
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(js, file)), { recursive: true });
    await writeFile(join(js, file), content);
  }
  // Validate what we ship: every core module of the component must compile.
  for (const file of await readdir(js)) {
    if (file.endsWith('.wasm') && !WebAssembly.validate(await readFile(join(js, file))))
      throw new Error(`${guest.name}: ${file} is not valid WebAssembly`);
  }
  return { name: guest.name, component, bytes: componentBytes.length };
}

export async function build(names = []) {
  const started = performance.now();
  const wit = await witDir();
  const selected = names.length ? GUESTS.filter((g) => names.includes(g.name)) : GUESTS;
  const built = await Promise.all(selected.map((g) => buildGuest(g, wit)));
  for (const b of built) console.log(`built ${b.name}: ${b.bytes} bytes -> ${b.component}`);
  console.log(`wasm build: ${built.length} component(s) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return built;
}

/** Builds those of `names` (default all) whose transpiled output is missing: a fresh checkout's first run. */
export async function buildMissing(names = []) {
  const wanted = names.length ? names : GUESTS.map((g) => g.name);
  const missing = wanted.filter((name) => !existsSync(join(out, name, 'js', `${name}.js`)));
  return missing.length ? build(missing) : [];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const onlyMissing = args.includes('--missing');
  const names = args.filter((a) => a !== '--missing');
  await (onlyMissing ? buildMissing(names) : build(names)).catch((error) => {
    console.error(error.stderr || error.message);
    process.exit(1);
  });
}
