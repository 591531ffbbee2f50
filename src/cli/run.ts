/**
 * `omnimeter run <component.wasm> [--invoke <export> --args ...]`: transpiles
 * the component (cached), runs it under the host aggregator with the
 * configured exporters, and serves /metrics (127.0.0.1:9464 unless configured).
 * WASI imports are served by preview2-shim in a sandbox (stdout and stderr
 * only: no preopened directories, environment or network).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { MetricsConfigInput } from '../config/schema.js';
import { ComponentHost, type ComponentInstance, readComponent, transpileCached } from '../host/index.js';
import { type NodeMetrics, createMetrics } from '../node/index.js';

export interface RunOptions {
  /** A component (.wasm) or a folder transpiled with `--instantiation sync`. */
  component: string;
  invoke?: string;
  args?: unknown[];
  repeat?: number;
  instances?: number;
  /** A config file; default: Prometheus on 127.0.0.1:9464 (OMNIMETER_PROMETHEUS_PORT overrides). */
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

/** A command-line argument as the export expects it: JSON when it parses, else the raw string. */
export function parseArgument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function runComponent(options: RunOptions): Promise<RunningComponent> {
  const config = options.config ?? (options.configPath ? loadConfig({ path: options.configPath }) : RUN_DEFAULT_CONFIG);
  const metrics = createMetrics(config);
  await metrics.ready();
  const path = resolve(options.component);
  if (!existsSync(path)) throw new Error(`no such component: ${options.component}`);
  // Components that import WASI get preview2-shim's, sandboxed: no files, no environment, no network.
  const { WASIShim } = await import('@bytecodealliance/preview2-shim/instantiation');
  const wasi = new WASIShim({ sandbox: { preopens: {}, env: {}, args: [basename(path)], enableNetwork: false } });
  const host = new ComponentHost({ metrics, components: metrics.config.components, imports: wasi.getImportObject() });
  const dir = statSync(path).isDirectory()
    ? { dir: path, name: undefined }
    : await transpileCached(path, options.cacheDir ?? join(process.cwd(), '.cache', 'omnimeter', 'transpiled'));
  const loaded = host.load(readComponent(dir.dir, { name: dir.name }));
  const instances = Array.from({ length: options.instances ?? 1 }, () => loaded.instantiate());
  const results: unknown[] = [];
  if (options.invoke) {
    for (let i = 0; i < (options.repeat ?? 1); i++) {
      for (const instance of instances) results.push(instance.call(options.invoke, ...(options.args ?? [])));
    }
  }
  return { metrics, instances, results, stop: () => metrics.shutdown() };
}

/** Parses `run` arguments: <component> [--invoke e] [--args a b ...] [--repeat n] [--instances n] [--config f] [--once]. */
export function parseRunArgs(argv: readonly string[]): RunOptions & { once: boolean } {
  const out: RunOptions & { once: boolean } = { component: '', once: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--invoke') out.invoke = value();
    else if (a === '--args') {
      out.args = [];
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) out.args.push(parseArgument(argv[++i]!));
    } else if (a === '--repeat') out.repeat = Number(value());
    else if (a === '--instances') out.instances = Number(value());
    else if (a === '--config') out.configPath = value();
    else if (a === '--once') out.once = true;
    else if (!out.component && !a.startsWith('--')) out.component = a;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!out.component) throw new Error('run needs a component (.wasm file or transpiled folder)');
  for (const [flag, n] of [
    ['--repeat', out.repeat],
    ['--instances', out.instances],
  ] as const) {
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new Error(`${flag}: expected an integer >= 1, got ${n}`);
  }
  return out;
}
