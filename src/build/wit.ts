/**
 * The WIT folder a guest is embedded with: the guest's own world (a .wit
 * file, or a folder with its .wit files and deps/), plus omnimeter's WIT
 * package (`omnimeter:metrics`, shipped in the package's wit/) under deps/
 * unless the guest brought its own, plus any extra dependency folders.
 * wasm-tools resolves `import omnimeter:metrics/recorder@0.1.0;` through
 * exactly this layout, which users should not have to know.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** omnimeter's WIT package: wit/ at the package root (two levels above dist/build and src/build). */
export const OMNIMETER_WIT = fileURLToPath(new URL('../../wit/', import.meta.url));

export interface WitFolder {
  dir: string;
  /** The original .wit files laid out there: inputs of the rebuild check. */
  files: string[];
  dispose(): Promise<void>;
}

/** The .wit files under `dir`, sorted. */
export async function witFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await witFiles(path)));
    else if (entry.name.endsWith('.wit')) found.push(path);
  }
  return found.sort();
}

/** The `package a:b@v;` a WIT folder declares (first declaration found). */
async function packageName(dir: string): Promise<string | undefined> {
  for (const file of await witFiles(dir)) {
    const match = /^\s*package\s+([a-z0-9-]+:[a-z0-9-]+)/m.exec(await readFile(file, 'utf8'));
    if (match) return match[1];
  }
  return undefined;
}

/**
 * Lays out `wit` (file or folder) with its dependencies in a temporary
 * folder. `deps` are extra WIT folders (for example a WASI subset) placed
 * under deps/ by their folder name.
 */
export async function prepareWit(wit: string, deps: readonly string[] = []): Promise<WitFolder> {
  const source = resolve(wit);
  const info = await stat(source).catch(() => {
    throw new Error(`no such WIT file or folder: ${wit}`);
  });
  const dir = await mkdtemp(join(tmpdir(), 'omnimeter-wit-'));
  const files = info.isDirectory() ? await witFiles(source) : [source];
  await (info.isDirectory() ? cp(source, dir, { recursive: true }) : cp(source, join(dir, basename(source))));
  await mkdir(join(dir, 'deps'), { recursive: true });
  for (const dep of deps.map((d) => resolve(d))) {
    await cp(dep, join(dir, 'deps', basename(dep)), { recursive: true });
    files.push(...(await witFiles(dep)));
  }
  const present = await Promise.all((await readdir(join(dir, 'deps'))).map((d) => packageName(join(dir, 'deps', d))));
  if (!present.includes('omnimeter:metrics')) {
    await cp(OMNIMETER_WIT, join(dir, 'deps', 'omnimeter-metrics'), { recursive: true });
    files.push(...(await witFiles(OMNIMETER_WIT)));
  }
  return { dir, files, dispose: () => rm(dir, { recursive: true, force: true }) };
}
