/**
 * AssemblyScript source → core WebAssembly module, through asc's API in this
 * process (no child process, no path into node_modules). Exports are renamed
 * to kebab-case inside the compilation (asc cannot emit `-` in names; the
 * Component Model wants them), `abort` becomes a trap (no `env.abort`
 * import for the component to satisfy), and every file the compiler read is
 * reported so a rebuild can tell whether anything changed.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import { importPeer } from './peers.js';
import { sha256 } from './stamp.js';

/** The part of binaryen's module API the export renaming uses. */
interface BinaryenModule {
  getNumExports(): number;
  getExportByIndex(index: number): number;
  removeExport(name: string): void;
  addFunctionExport(internalName: string, externalName: string): void;
}

interface BinaryenStatics {
  getExportInfo(ref: number): { kind: number; name: string; value: string };
  ExternalFunction: number;
}

/** The part of asc's API this module uses (assemblyscript/asc). */
interface Asc {
  main(
    argv: string[],
    options: {
      stdout?: { write(chunk: string | Uint8Array): void };
      stderr?: { write(chunk: string | Uint8Array): void };
      readFile?: (filename: string, baseDir: string) => Promise<string | null>;
      writeFile?: (filename: string, contents: Uint8Array | string, baseDir: string) => void;
      transforms?: unknown[];
    },
  ): Promise<{ error: Error | null; stderr: { toString(): string } }>;
}

/** Names a function export the way the Component Model spells it: `fan_out` → `fan-out`. */
export const kebabName = (name: string): string => name.replace(/_/g, '-');

/**
 * An asc transform (asc instantiates the class and gives it `binaryen`):
 * after compilation, function exports with `_` get kebab-case names and an
 * exported `abort` is dropped. `cabi_realloc` keeps its name: the canonical
 * ABI looks for it by that name.
 */
class KebabExports {
  declare readonly binaryen: BinaryenStatics;
  afterCompile(module: BinaryenModule): void {
    for (let i = module.getNumExports() - 1; i >= 0; i--) {
      const info = this.binaryen.getExportInfo(module.getExportByIndex(i));
      if (info.kind !== this.binaryen.ExternalFunction || info.name === 'cabi_realloc') continue;
      if (info.name === 'abort') {
        module.removeExport(info.name);
      } else if (info.name.includes('_')) {
        module.removeExport(info.name);
        module.addFunctionExport(info.value, kebabName(info.name));
      }
    }
  }
}

export interface AssemblyScriptResult {
  /** The optimized core module. */
  wasm: Uint8Array;
  /** Every source file the compiler read (the guest, the SDK, their imports): absolute path → sha256 of what it read. */
  inputs: Record<string, string>;
}

/**
 * Compiles `source` with `-O3 --runtime incremental`: the incremental
 * collector, because the SDK and guests allocate a little per call, which
 * the bump-only stub runtime never reclaims.
 */
export async function compileAssemblyScript(source: string, feature: string): Promise<AssemblyScriptResult> {
  const asc = await importPeer<Asc>('assemblyscript', feature, 'assemblyscript/asc');
  const path = resolve(source);
  // asc resolves imports and packages (node_modules) from its base folder: the
  // working directory when the source is inside it (a project's root), else
  // the source's own folder.
  const inside = relative(process.cwd(), path);
  const baseDir = inside.startsWith('..') || resolve(inside) !== path ? dirname(path) : process.cwd();
  const inputs: Record<string, string> = {};
  let wasm: Uint8Array | undefined;
  const stderr: string[] = [];
  const result = await asc.main(
    [relative(baseDir, path), '--baseDir', baseDir, '-O3', '--runtime', 'incremental', '--use', 'abort=', '--outFile', 'guest.wasm'],
    {
      stdout: { write: () => {} },
      stderr: { write: (chunk) => void stderr.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk)) },
      readFile: async (name, baseDir) => {
        // A project's asconfig.json describes its own builds, not this one.
        if (basename(name) === 'asconfig.json') return null;
        const file = resolve(baseDir, name);
        try {
          const text = await readFile(file, 'utf8');
          inputs[file] = sha256(text);
          return text;
        } catch {
          return null; // asc probes several candidate paths per import
        }
      },
      writeFile: (name, contents) => {
        if (name.endsWith('.wasm') && typeof contents !== 'string') wasm = contents;
      },
      transforms: [KebabExports],
    },
  );
  if (result.error || !wasm) {
    const diagnostics = stderr.join('').trim();
    throw new Error(`${source}: AssemblyScript compilation failed${diagnostics ? `\n${diagnostics}` : `: ${result.error?.message}`}`);
  }
  return { wasm, inputs };
}
