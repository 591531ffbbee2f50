/**
 * Turns a component (.wasm) into the JavaScript the host loads, cached by
 * the component's sha256: what `omnimeter run` does with a .wasm file.
 * Needs jco 1.12 (an optional peer dependency), whose glue makes a numeric
 * guest-to-host call cost ~20 ns here, against ~13 µs with jco 1.35's.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadJco, transpileInto } from './component.js';

export interface TranspiledComponent {
  /** The folder readComponent loads. */
  dir: string;
  name: string;
  sha256: string;
  /** `<dir>/<name>.wit`: the component's world, as wasm-tools prints it. */
  wit: string;
  cached: boolean;
}

/** Transpiles `wasmPath` into `<cacheDir>/<sha256>/` unless already there. */
export async function transpileCached(
  wasmPath: string,
  cacheDir: string,
  feature = 'transpiling a component',
): Promise<TranspiledComponent> {
  const bytes = await readFile(wasmPath);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const name = basename(wasmPath).replace(/(\.component)?\.wasm$/, '');
  const dir = join(cacheDir, sha256);
  const wit = join(dir, `${name}.wit`);
  if (existsSync(join(dir, `${name}.js`)) && existsSync(wit)) return { dir, name, sha256, wit, cached: true };
  const jco = await loadJco(feature);
  // Write to a temporary folder, then rename: a concurrent run never sees half a cache entry.
  const temp = `${dir}.${process.pid}.tmp`;
  await transpileInto(jco, bytes, name, temp);
  await writeFile(join(temp, `${name}.wit`), await jco.componentWit(bytes));
  await writeFile(join(temp, `${name}.component.wasm`), bytes);
  await rm(dir, { recursive: true, force: true });
  await rename(temp, dir);
  return { dir, name, sha256, wit, cached: false };
}
