/**
 * Where omnimeter's own prebuilt components are: the engine behind
 * `backend: 'wasm-component'` and the demo's example tools. In the
 * repository they are built from source into .cache/wasm/ (wasm/build.mjs);
 * an installed package carries them in components/, built at pack time.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: dist/build/ and src/build/ are both two levels below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** True in a checkout of the repository (it has the build script), false in an installed package. */
export const IN_REPOSITORY = existsSync(join(PACKAGE_ROOT, 'wasm', 'build.mjs'));

/** The transpiled glue folder of one of omnimeter's components (engine, json-tool, cpu-tool). */
export function builtComponentDir(name: string): string {
  return IN_REPOSITORY ? join(PACKAGE_ROOT, '.cache', 'wasm', name, 'js') : join(PACKAGE_ROOT, 'components', name, 'js');
}

/** Why a component of ours is not where builtComponentDir says, and what to do. */
export function missingComponentMessage(name: string): string {
  const dir = builtComponentDir(name);
  return IN_REPOSITORY
    ? `the ${name} component is not built (${dir} is missing): run npm run build:wasm`
    : `the ${name} component is missing from this omnimeter install (${dir}); it is built when the package is packed: reinstall omnimeter`;
}
