// `npm pack` / `npm publish` (prepack): the package is built from source,
// never from committed output. dist/ (tsc, if stale), omnimeter's own
// components (if stale: the engine behind `backend: 'wasm-component'` and
// the demo's two tools), then those components' glue and WIT copied into
// components/, which the package ships and postpack removes again.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from '../wasm/build.mjs';
import { buildDist } from './build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The components the package carries, built into .cache/wasm/ by wasm/build.mjs. */
export const SHIPPED = ['engine', 'json-tool', 'cpu-tool'];

buildDist({ ifStale: true });
await build(SHIPPED);
const target = join(root, 'components');
rmSync(target, { recursive: true, force: true });
for (const name of SHIPPED) {
  const from = join(root, '.cache', 'wasm', name);
  cpSync(join(from, 'js'), join(target, name, 'js'), { recursive: true });
  cpSync(join(from, `${name}.wit`), join(target, name, `${name}.wit`));
  if (!existsSync(join(target, name, 'js', `${name}.js`))) throw new Error(`prepack: ${name} has no transpiled glue`);
}
console.log(`prepack: dist/ and components/ (${SHIPPED.join(', ')}) ready`);
