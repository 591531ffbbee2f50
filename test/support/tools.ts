/**
 * External validators (promtool, Prometheus, the strict OpenMetrics parser,
 * Chromium).
 * Locally a missing tool skips its tests with a loud warning; under CI
 * (CI=true) it fails them: a green CI run always means the tools ran.
 */
import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { chromiumAvailable } from './chromium.js';

export { IN_CI } from './ci.js';
import { IN_CI } from './ci.js';
export const PYTHON = '/usr/bin/python3';
/** The virtualenv scripts/test-all.sh installs Wasmtime's Python bindings into. */
export const WASMTIME_PYTHON = new URL('../../.cache/venv-wasmtime/bin/python', import.meta.url).pathname;

const probes = {
  promtool: () => spawnSync('promtool', ['--version']).status === 0,
  prometheus: () => spawnSync('prometheus', ['--version']).status === 0,
  alertmanager: () => spawnSync('prometheus-alertmanager', ['--version']).status === 0,
  pushgateway: () => spawnSync('prometheus-pushgateway', ['--version']).status === 0,
  'python3-prometheus-client': () => spawnSync(PYTHON, ['-c', 'import prometheus_client.openmetrics.parser']).status === 0,
  chromium: chromiumAvailable,
  wasmtime: () => spawnSync(WASMTIME_PYTHON, ['-c', 'import wasmtime.component']).status === 0,
} as const;

export type Tool = keyof typeof probes;
const cache = new Map<Tool, boolean>();

export function toolAvailable(tool: Tool): boolean {
  if (!cache.has(tool)) cache.set(tool, probes[tool]());
  return cache.get(tool)!;
}

export function missingTools(): Tool[] {
  return (Object.keys(probes) as Tool[]).filter((t) => !toolAvailable(t));
}

/** A describe block that needs `tools`: runs, fails (CI) or is skipped loudly. */
export function describeWithTools(tools: Tool[], title: string, body: () => void): void {
  const missing = tools.filter((t) => !toolAvailable(t));
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const why = `${missing.join(', ')} not installed (npm run test:all installs them as root)`;
  if (IN_CI) {
    describe(title, () => {
      it(`requires ${missing.join(', ')}`, () => {
        throw new Error(`${why}; CI=true forbids skipping validator tests`);
      });
    });
    return;
  }
  console.warn(`\n!!! SKIPPING "${title}": ${why}\n`);
  describe.skip(`${title} [SKIPPED: ${why}]`, body);
}
