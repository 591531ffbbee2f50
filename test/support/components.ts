import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** The transpiled folder of an example component, building every missing one first if needed. */
export async function componentDir(name: string): Promise<string> {
  const dir = join(root, '.cache', 'wasm', name, 'js');
  if (!existsSync(join(dir, `${name}.js`))) {
    // @ts-expect-error the build script is plain JavaScript
    const { buildMissing } = (await import('../../wasm/build.mjs')) as { buildMissing: () => Promise<unknown> };
    await buildMissing();
  }
  return dir;
}
