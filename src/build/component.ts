/**
 * Core module → component → the JavaScript glue hosts load, with jco 1.12
 * (an optional peer): its wasm-tools embeds the world and makes the
 * component, its transpiler writes the glue (sync instantiation; jco 1.12's
 * glue makes a numeric guest-to-host call ~19x cheaper than later releases',
 * see docs/wasm.md). Also writes the component's WIT beside it, which
 * `omnimeter run` reads to type command-line arguments.
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { importPeer } from './peers.js';

/** The part of jco 1.12's API omnimeter uses. */
export interface Jco {
  componentEmbed(options: { binary: Uint8Array; witPath: string; world?: string; stringEncoding?: 'utf8' | 'utf16' }): Promise<Uint8Array>;
  componentNew(binary: Uint8Array, adapters: [string, Uint8Array][]): Promise<Uint8Array>;
  componentWit(binary: Uint8Array): Promise<string>;
  transpile(
    component: Uint8Array,
    options: { name: string; instantiation: 'sync' | 'async'; quiet?: boolean },
  ): Promise<{ files: Record<string, Uint8Array> }>;
}

export const JCO = '@bytecodealliance/jco';

export const loadJco = (feature: string): Promise<Jco> => importPeer<Jco>(JCO, feature);

/**
 * Embeds `world` of the WIT folder `witDir` in a core module and makes the
 * component. UTF-16 strings: AssemblyScript strings cross without copying.
 */
export async function makeComponent(
  jco: Jco,
  core: Uint8Array,
  witDir: string,
  world: string | undefined,
  stringEncoding: 'utf8' | 'utf16' = 'utf16',
): Promise<Uint8Array> {
  const embedded = await jco.componentEmbed({ binary: core, witPath: witDir, ...(world ? { world } : {}), stringEncoding });
  return jco.componentNew(embedded, []);
}

/**
 * Transpiles `component` into `dir` (replaced): `<name>.js`, its core
 * modules and types. Every core module must compile, or nothing is left.
 */
export async function transpileInto(jco: Jco, component: Uint8Array, name: string, dir: string): Promise<void> {
  const { files } = await jco.transpile(component, { name, instantiation: 'sync', quiet: true });
  await rm(dir, { recursive: true, force: true });
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), content);
  }
  for (const file of await readdir(dir)) {
    if (file.endsWith('.wasm') && !WebAssembly.validate(await readFile(join(dir, file)))) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`${name}: the transpiled core module ${file} is not valid WebAssembly`);
    }
  }
}

export interface WrittenComponent {
  /** `<dir>/<name>.component.wasm` */
  component: string;
  /** `<dir>/js`: what readComponent loads. */
  js: string;
  /** `<dir>/<name>.wit`: the component's imports and exports. */
  wit: string;
  bytes: number;
}

/** Writes a built component into `dir`: the .wasm, its WIT, and its transpiled glue in js/. */
export async function writeComponent(jco: Jco, component: Uint8Array, name: string, dir: string): Promise<WrittenComponent> {
  await mkdir(dir, { recursive: true });
  const written = {
    component: join(dir, `${name}.component.wasm`),
    js: join(dir, 'js'),
    wit: join(dir, `${name}.wit`),
    bytes: component.length,
  };
  await writeFile(written.component, component);
  await writeFile(written.wit, await jco.componentWit(component));
  await transpileInto(jco, component, name, written.js);
  return written;
}
