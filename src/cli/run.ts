/**
 * `omnimeter run <component.wasm | folder> [--invoke <export> --args ...]`:
 * transpiles the component (cached), runs it under the host aggregator with
 * the configured exporters, and serves /metrics (127.0.0.1:9464 unless
 * configured). Arguments are converted by the export's WIT signature; an
 * unknown export is answered with the list of exports and their
 * signatures. WASI imports are served by preview2-shim in a sandbox
 * (stdout and stderr only: no preopened directories, environment or network).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { transpileCached } from '../build/transpile.js';
import { loadConfig } from '../config/load.js';
import type { MetricsConfigInput } from '../config/schema.js';
import { ComponentHost, type ComponentInstance, readComponent } from '../host/index.js';
import { type NodeMetrics, createMetrics } from '../node/index.js';
import { type Out, RUNNING, UsageError } from './command.js';
import { type WitFunction, convertArguments, signature, worldExports } from './wit-signature.js';

export interface RunOptions {
  /** A component (.wasm), a folder transpiled with `--instantiation sync`, or a build-guest output folder. */
  component: string;
  invoke?: string;
  /** Arguments as typed on the command line, converted by the export's WIT signature. */
  args?: string[];
  repeat?: number;
  instances?: number;
  /** A config file; default: Prometheus on 127.0.0.1:9464 (OMNIMETER_PORT overrides). */
  configPath?: string;
  config?: MetricsConfigInput;
  cacheDir?: string;
}

export interface RunningComponent {
  metrics: NodeMetrics;
  instances: ComponentInstance[];
  results: unknown[];
  stop(): Promise<void>;
}

export const RUN_DEFAULT_CONFIG: MetricsConfigInput = { enabled: true, exporters: [{ type: 'prometheus', host: '127.0.0.1', port: 9464 }] };

/** What the bytes of a file say it is. */
export function wasmKind(bytes: Uint8Array): 'component' | 'core module' | 'not WebAssembly' {
  const magic = bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
  if (!magic) return 'not WebAssembly';
  // Bytes 4-7: version 1 for a core module; a component has layer 1 in bytes 6-7.
  return bytes[6] === 1 && bytes[7] === 0 ? 'component' : 'core module';
}

interface Located {
  /** The transpiled glue folder. */
  dir: string;
  name?: string;
  /** The component's WIT world, when known. */
  wit?: string;
}

/** A transpiled folder: itself, or js/ inside a build-guest output folder; its WIT beside the glue or one level up. */
function locateFolder(path: string): Located {
  const dir = existsSync(join(path, 'js')) ? join(path, 'js') : path;
  const name = readdirSync(dir)
    .find((f) => f.endsWith('.js'))
    ?.replace(/\.js$/, '');
  if (!name)
    throw new Error(`${path}: no component here (neither a .wasm file nor a folder with transpiled glue <name>.js or js/<name>.js)`);
  const wit = [join(dir, `${name}.wit`), join(dir, '..', `${name}.wit`)].find((f) => existsSync(f));
  return { dir, name, ...(wit ? { wit: readFileSync(wit, 'utf8') } : {}) };
}

async function locate(component: string, cacheDir: string): Promise<Located> {
  const path = resolve(component);
  if (!existsSync(path)) throw new Error(`no such file or folder: ${component}`);
  if (statSync(path).isDirectory()) return locateFolder(path);
  const kind = wasmKind(readFileSync(path));
  if (kind === 'core module')
    throw new Error(
      `${component} is a core WebAssembly module, not a component: make it a component first (omnimeter build-guest for AssemblyScript, or jco new / wasm-tools component new)`,
    );
  if (kind === 'not WebAssembly') throw new Error(`${component} is not a WebAssembly file (it does not start with the \\0asm header)`);
  const transpiled = await transpileCached(path, cacheDir, 'omnimeter run <component.wasm>');
  return { dir: transpiled.dir, name: transpiled.name, wit: readFileSync(transpiled.wit, 'utf8') };
}

/** The export to call and its arguments, checked against the component's WIT (or its export list when there is none). */
function resolveCall(exports: readonly string[], wit: string | undefined, name: string, texts: readonly string[], component: string) {
  const functions = wit ? worldExports(wit) : undefined;
  const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const known = functions
    ? functions.find((f) => f.name === name || camel(f.name) === name)
    : exports.includes(camel(name))
      ? ({ name, params: [] } satisfies WitFunction)
      : undefined;
  if (!known) {
    const list = functions ? functions.map((f) => `  ${signature(f)}`) : exports.map((e) => `  ${e}`);
    throw new Error(`${component} has no export "${name}"; its exports:\n${list.join('\n') || '  (none callable)'}`);
  }
  // Without a WIT (a folder transpiled elsewhere) arguments are JSON when they parse, else strings.
  const args = functions ? convertArguments(known, texts) : texts.map(jsonOrString);
  return { name: known.name, args };
}

function jsonOrString(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Where transpiled components are cached: node_modules/.cache/omnimeter (the usual place for tools' caches), else the temp folder. */
export function defaultCacheDir(cwd = process.cwd()): string {
  const modules = join(cwd, 'node_modules');
  return existsSync(modules) ? join(modules, '.cache', 'omnimeter', 'transpiled') : join(tmpdir(), 'omnimeter', 'transpiled');
}

export async function runComponent(options: RunOptions): Promise<RunningComponent> {
  const located = await locate(options.component, options.cacheDir ?? defaultCacheDir());
  const config = options.config ?? (options.configPath ? loadConfig({ path: options.configPath }) : RUN_DEFAULT_CONFIG);
  const metrics = createMetrics(config);
  try {
    await metrics.ready();
    // Components that import WASI get preview2-shim's, sandboxed: no files, no environment, no network.
    const { WASIShim } = await import('@bytecodealliance/preview2-shim/instantiation');
    const wasi = new WASIShim({ sandbox: { preopens: {}, env: {}, args: [basename(options.component)], enableNetwork: false } });
    const host = new ComponentHost({ metrics, components: metrics.config.components, imports: wasi.getImportObject() });
    const loaded = host.load(readComponent(located.dir, located.name ? { name: located.name } : {}));
    const instances = Array.from({ length: options.instances ?? 1 }, () => loaded.instantiate());
    const results: unknown[] = [];
    if (options.invoke) {
      const call = resolveCall(instances[0]!.exports, located.wit, options.invoke, options.args ?? [], options.component);
      for (let i = 0; i < (options.repeat ?? 1); i++) {
        for (const instance of instances) results.push(instance.call(call.name, ...call.args));
      }
    }
    return { metrics, instances, results, stop: () => metrics.shutdown() };
  } catch (error) {
    await metrics.shutdown();
    throw error;
  }
}

/** Parses `run` arguments: <component> [--invoke e] [--args a b ...] [--repeat n] [--instances n] [--config f] [--once]. */
export function parseRunArgs(argv: readonly string[]): RunOptions & { once: boolean } {
  const out: RunOptions & { once: boolean } = { component: '', once: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--invoke') out.invoke = value();
    else if (a === '--args') {
      out.args = [];
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) out.args.push(argv[++i]!);
    } else if (a === '--repeat') out.repeat = Number(value());
    else if (a === '--instances') out.instances = Number(value());
    else if (a === '--config') out.configPath = value();
    else if (a === '--once') out.once = true;
    else if (!out.component && !a.startsWith('--')) out.component = a;
    else throw new UsageError(`unknown argument ${a}`);
  }
  if (!out.component) throw new UsageError('run needs a component (.wasm file or transpiled folder)');
  if (out.args && !out.invoke) throw new UsageError('--args needs --invoke <export>');
  for (const [flag, n] of [
    ['--repeat', out.repeat],
    ['--instances', out.instances],
  ] as const) {
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new UsageError(`${flag}: expected an integer >= 1, got ${n}`);
  }
  return out;
}

const show = (v: unknown) => (typeof v === 'bigint' ? v.toString() : JSON.stringify(v));

/** `omnimeter run`: prints the results and where metrics are served; serves until a signal unless --once. */
export async function runCommand(args: string[], out: Out): Promise<number> {
  const options = parseRunArgs(args);
  const running = await runComponent(options);
  if (options.invoke) out.write(`${options.invoke} -> ${running.results.map(show).join(', ')}\n`);
  for (const e of running.metrics.config.exporters)
    if (e.type === 'prometheus') out.write(`metrics: http://${e.host}:${e.port}${e.path}\n`);
  if (options.once) {
    await running.stop();
    return 0;
  }
  out.write('serving; Ctrl-C flushes and stops\n');
  const stop = () => void running.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return RUNNING;
}
