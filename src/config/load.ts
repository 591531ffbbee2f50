/**
 * Where a configuration comes from: an object, `omnimeter.config.json` /
 * `.yaml` in the working directory, or the file named by OMNIMETER_CONFIG;
 * then the few environment overrides operators change at deploy time.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';
import type { MetricsConfig, MetricsConfigInput } from './schema.js';

export const CONFIG_FILES = ['omnimeter.config.json', 'omnimeter.config.yaml', 'omnimeter.config.yml'];

export { parseConfig } from './parse.js';

/** Larger than any configuration: a file this size is a mistake, not a config. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads a JSON or YAML file into a plain value (not yet validated). Only a
 * regular file of at most 1 MiB: reading a FIFO or a device would block or
 * never end.
 */
export function readConfigFile(path: string): unknown {
  const stat = existsSync(path) ? statSync(path) : undefined;
  if (stat && !stat.isFile())
    throw new ConfigError(path, ['not a regular file (a FIFO, device or directory cannot be read as a configuration)']);
  if (stat && stat.size > MAX_CONFIG_BYTES) throw new ConfigError(path, [`larger than ${MAX_CONFIG_BYTES} bytes (${stat.size})`]);
  const text = readFileSync(path, 'utf8');
  try {
    return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [`cannot parse ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`]);
  }
}

export interface Environment {
  readonly [name: string]: string | undefined;
}

/** The variables that set the Prometheus exporter's port: the short one `npm start` documents, and the long one. */
export const PORT_VARIABLES = ['OMNIMETER_PORT', 'OMNIMETER_PROMETHEUS_PORT'] as const;

/** The port the environment asks for and the variable that said so; both set, they must agree. */
export function portFromEnvironment(env: Environment): { variable: string; port: number } | undefined {
  const set = PORT_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '');
  if (set.length === 0) return undefined;
  if (set.length > 1 && env[set[0]!] !== env[set[1]!])
    throw new ConfigError('environment', [
      `${set[0]} and ${set[1]}: both set, to different values (${JSON.stringify(env[set[0]!])}, ${JSON.stringify(env[set[1]!])}); set one`,
    ]);
  const variable = set[0]!;
  const text = env[variable]!;
  // Digits only: Number() also reads "1e3", "0x50", " 80" and "80.0".
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConfigError('environment', [`${variable}: expected an integer 1-65535, got ${JSON.stringify(text)}`]);
  return { variable, port };
}

/**
 * OMNIMETER_ENABLED (true/false/1/0) and OMNIMETER_PORT (or its long form
 * OMNIMETER_PROMETHEUS_PORT) override the configuration, whatever its
 * source; a bad value is a configuration error like any other. The port
 * moves the configured Prometheus exporters (and is serve()'s default); it
 * never opens an endpoint the configuration did not ask for.
 */
export function applyEnvironment(config: MetricsConfigInput, env: Environment): MetricsConfigInput {
  const out: MetricsConfigInput = { ...config };
  const enabled = env.OMNIMETER_ENABLED;
  if (enabled !== undefined && enabled !== '') {
    const value = { true: true, '1': true, false: false, '0': false }[enabled.toLowerCase()];
    if (value === undefined)
      throw new ConfigError('environment', [`OMNIMETER_ENABLED: expected true, false, 1 or 0, got ${JSON.stringify(enabled)}`]);
    out.enabled = value;
  }
  const override = portFromEnvironment(env);
  if (override && out.exporters) out.exporters = out.exporters.map((e) => (e.type === 'prometheus' ? { ...e, port: override.port } : e));
  return out;
}

export interface LoadOptions {
  /** A file to read; default: OMNIMETER_CONFIG, then omnimeter.config.{json,yaml,yml} in `cwd`. */
  path?: string;
  cwd?: string;
  env?: Environment;
}

/** Finds, reads, overrides from the environment and validates the configuration. No file: the defaults (disabled). */
export function loadConfig(options: LoadOptions = {}): MetricsConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const path = options.path ?? env.OMNIMETER_CONFIG ?? CONFIG_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  const raw = path ? readConfigFile(resolve(cwd, path)) : {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(path ?? 'config', ['(root): expected an object']);
  return parseConfig(applyEnvironment(raw as MetricsConfigInput, env), path ?? 'defaults');
}
