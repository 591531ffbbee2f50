// Builds the example guest components from source into .cache/wasm/ (never
// committed): AssemblyScript -> core module -> kebab-case exports (binaryen)
// -> embed (WIT, UTF-16 strings) -> component (jco 1.35's wasm-tools) -> `jco
// transpile` with the pinned jco 1.12 glue (numeric calls cost ~20 ns there,
// ~13 µs with 1.35's; see docs/wasm.md) -> validated.
//
//   node wasm/build.mjs            all guests
//   node wasm/build.mjs cpu-tool   one guest
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile, copyFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import binaryen from 'binaryen';
import './tools/preopens.mjs'; // before jco's wasm-tools reads WIT from disk
import { componentEmbed, componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.cache', 'wasm');
const bin = (p) => join(root, 'node_modules', p);
const JCO_TRANSPILE = bin('jco-transpiler/src/jco.js'); // jco 1.12.0: the glue we ship
const ASC = bin('assemblyscript/bin/asc.js');

export const GUESTS = [
  { name: 'cpu-tool', world: 'cpu-tool', source: 'wasm/examples/cpu-tool.ts' },
  { name: 'json-tool', world: 'json-tool', source: 'wasm/examples/json-tool.ts' },
  { name: 'hostile', world: 'hostile', source: 'wasm/examples/hostile.ts' },
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
  return dir;
}

async function buildGuest(guest, wit) {
  const dir = join(out, guest.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const core = join(dir, `${guest.name}.core.wasm`);
  const abort = `${guest.source.replace(/\.ts$/, '')}/abort`;
  await run(process.execPath, [ASC, guest.source, '-O3', '--runtime', 'stub', '--use', `abort=${abort}`, '-o', core], { cwd: root });
  const kebab = join(dir, `${guest.name}.kebab.wasm`);
  await writeFile(kebab, kebabExports(await readFile(core)));
  // jco 1.35's CLI drops --world-name (it passes `worldName`, wasm-tools reads `world`): use the API.
  const embedded = await componentEmbed({ binary: await readFile(kebab), witPath: wit, world: guest.world, stringEncoding: 'utf16' });
  const component = join(dir, `${guest.name}.component.wasm`);
  await writeFile(component, await componentNew(embedded, []));
  const js = join(dir, 'js');
  await run(process.execPath, [JCO_TRANSPILE, 'transpile', component, '--instantiation', 'sync', '--name', guest.name, '-o', js], { cwd: root });
  // Validate what we ship: every core module of the component must compile.
  for (const file of await readdir(js)) {
    if (file.endsWith('.wasm') && !WebAssembly.validate(await readFile(join(js, file)))) throw new Error(`${guest.name}: ${file} is not valid WebAssembly`);
  }
  await Promise.all([rm(core), rm(kebab)]);
  return { name: guest.name, component, bytes: (await readFile(component)).length };
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build(process.argv.slice(2)).catch((error) => {
    console.error(error.stderr || error.message);
    process.exit(1);
  });
}
