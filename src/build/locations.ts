/**
 * Where omnimeter's own prebuilt components are: the engine behind
 * `backend: 'wasm-component'` and the demo's example tools. In the
 * repository they are built from source into .cache/wasm/ (wasm/build.mjs);
 * an installed package carries them in components/, built at pack time.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Empty when an application bundles this module as CommonJS: then the package is looked up from the app's folder.
const moduleUrl = import.meta.url as string | undefined;
let root: string | undefined;

/**
 * The package root: dist/build/ and src/build/ are both two levels below it.
 * Computed on first use, so that importing omnimeter never fails on it.
 */
export function packageRoot(): string {
  root ??= moduleUrl
    ? fileURLToPath(new URL('../..', moduleUrl))
    : dirname(createRequire(join(process.cwd(), 'index.js')).resolve('omnimeter/package.json'));
  return root;
}

/** True in a checkout of the repository (it has the build script), false in an installed package. */
export function inRepository(): boolean {
  return existsSync(join(packageRoot(), 'wasm', 'build.mjs'));
}

/** The transpiled glue folder of one of omnimeter's components (engine, json-tool, cpu-tool). */
export function builtComponentDir(name: string): string {
  return join(packageRoot(), ...(inRepository() ? ['.cache', 'wasm'] : ['components']), name, 'js');
}

/** Why a component of ours is not where builtComponentDir says, and what to do. */
export function missingComponentMessage(name: string): string {
  const dir = builtComponentDir(name);
  return inRepository()
    ? `the ${name} component is not built (${dir} is missing): run npm run build:wasm`
    : `the ${name} component is missing from this omnimeter install (${dir}); it is built when the package is packed: reinstall omnimeter`;
}
