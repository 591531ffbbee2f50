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
import { guardCore, limitCore } from '../component/guard.js';
import type { ComponentGlue, CompiledComponent, GuardOptions } from '../component/index.js';
import { engineBackend } from '../backends/wasm-component/index.js';

export interface ReadComponentOptions extends GuardOptions {
  name?: string;
  /** The component's own file, hashed for logs; default `<name>.component.wasm` in or beside the folder. */
  componentWasm?: string;
}

/** The folder's glue, core module bytes and hash, not yet compiled. */
function readFolder(folder: string, options: ReadComponentOptions) {
  const dir = resolve(folder); // require() would read a relative path as a package name
  const files = readdirSync(dir);
  const name = options.name ?? files.find((f) => f.endsWith('.js') && !f.endsWith('.d.js'))?.replace(/\.js$/, '');
  if (!name) throw new Error(`${dir}: no transpiled component (<name>.js) in this folder`);
  // A require() rooted at the glue itself: no import.meta, which a CommonJS bundle of this module leaves empty.
  const gluePath = join(dir, `${name}.js`);
  const glue = createRequire(gluePath)(gluePath) as ComponentGlue;
  const candidates = [options.componentWasm, join(dir, `${name}.component.wasm`), join(dir, '..', `${name}.component.wasm`)];
  const wasmPath = candidates.find((c): c is string => c !== undefined && existsSync(c)) ?? join(dir, `${name}.core.wasm`);
  const cores = files.filter((f) => /\.core\d*\.wasm$/.test(f)).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))] as const);
  return { name, glue, cores, sha256: createHash('sha256').update(readFileSync(wasmPath)).digest('hex') };
}

/**
 * Reads and compiles a folder written by `jco transpile --instantiation sync`
 * (`<name>.js` and its `*.core*.wasm`), optionally with its memory capped.
 */
export function readComponent(folder: string, options: ReadComponentOptions = {}): CompiledComponent {
  const { cores, ...read } = readFolder(folder, options);
  const start = performance.now();
  const modules = new Map(cores.map(([f, bytes]) => [f, new WebAssembly.Module(limitCore(bytes, options))]));
  return { ...read, cores: modules, compileSeconds: (performance.now() - start) / 1000 };
}

/** The same, with every guard (metering included: the host's budgets then stop a runaway guest). */
export async function readComponentAsync(folder: string, options: ReadComponentOptions = {}): Promise<CompiledComponent> {
  const { cores, ...read } = readFolder(folder, options);
  const start = performance.now();
  const modules = new Map<string, WebAssembly.Module>();
  for (const [f, bytes] of cores) modules.set(f, await WebAssembly.compile(await guardCore(bytes, options)));
  return { ...read, cores: modules, compileSeconds: (performance.now() - start) / 1000, metered: options.meter === true };
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
