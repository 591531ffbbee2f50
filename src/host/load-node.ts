/**
 * Node loaders: a transpiled component from its folder, and the
 * `wasm-component` backend (omnimeter's engine as a component) from its.
 * Synchronous on purpose: Node >= 20.19 can require() the ES module glue,
 * so createMetrics({ backend: 'wasm-component' }) stays synchronous.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { MetricsBackend } from '../api/backend.js';
import { builtComponentDir, missingComponentMessage } from '../build/locations.js';
import type { Clock } from '../core/clock.js';
import type { ComponentGlue, CompiledComponent } from '../component/index.js';
import { engineBackend } from '../backends/wasm-component/index.js';

const requireModule = createRequire(import.meta.url);

/**
 * Reads and compiles a folder written by `jco transpile --instantiation sync`
 * (`<name>.js` and its `*.core*.wasm`). `componentWasm`, hashed for logs,
 * defaults to `<name>.component.wasm` in or beside the folder.
 */
export function readComponent(folder: string, options: { name?: string; componentWasm?: string } = {}): CompiledComponent {
  const dir = resolve(folder); // require() would read a relative path as a package name
  const files = readdirSync(dir);
  const name = options.name ?? files.find((f) => f.endsWith('.js') && !f.endsWith('.d.js'))?.replace(/\.js$/, '');
  if (!name) throw new Error(`${dir}: no transpiled component (<name>.js) in this folder`);
  const glue = requireModule(join(dir, `${name}.js`)) as ComponentGlue;
  const candidates = [options.componentWasm, join(dir, `${name}.component.wasm`), join(dir, '..', `${name}.component.wasm`)];
  const wasmPath = candidates.find((c): c is string => c !== undefined && existsSync(c)) ?? join(dir, `${name}.core.wasm`);
  const start = performance.now();
  const cores = new Map<string, WebAssembly.Module>();
  for (const file of files.filter((f) => /\.core\d*\.wasm$/.test(f)))
    cores.set(file, new WebAssembly.Module(readFileSync(join(dir, file))));
  return {
    name,
    glue,
    cores,
    sha256: createHash('sha256').update(readFileSync(wasmPath)).digest('hex'),
    compileSeconds: (performance.now() - start) / 1000,
  };
}

export interface EngineBackendOptions {
  /** The transpiled engine component; default: the one omnimeter ships (components/engine, or .cache/wasm/engine in the repository). */
  dir?: string;
  /** The clock the engine's summary windows follow; pass createMetrics's. */
  clock?: Clock;
}

/** Compiled once per process (11 MB of StarlingMonkey); each backend gets its own instance. */
const engines = new Map<string, CompiledComponent>();

/** A backend whose series live in omnimeter's engine compiled to a WebAssembly component. */
export function wasmComponentBackend(options: EngineBackendOptions = {}): MetricsBackend {
  const dir = options.dir ?? builtComponentDir('engine');
  if (!existsSync(dir)) throw new Error(options.dir ? `no transpiled engine component in ${dir}` : missingComponentMessage('engine'));
  let engine = engines.get(dir);
  if (!engine) engines.set(dir, (engine = readComponent(dir, { name: 'engine' })));
  return engineBackend(engine, options.clock);
}
