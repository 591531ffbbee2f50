/**
 * What every loader produces and the host consumes: a component transpiled
 * by `jco transpile --instantiation sync`, its core modules compiled. Node
 * reads it from a folder (load-node.ts), a page fetches it (load-browser.ts);
 * everything after loading is the same code on both.
 */

/** The ES module jco generates with `--instantiation sync`. */
export interface ComponentGlue {
  instantiate(
    getCoreModule: (path: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
    instantiateCore?: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
  ): Record<string, unknown>;
}

export interface CompiledComponent {
  readonly name: string;
  /** Of the component's bytes: logs and spans name the exact build. */
  readonly sha256: string;
  readonly glue: ComponentGlue;
  /** Compiled core modules by the file name the glue asks for. */
  readonly cores: ReadonlyMap<string, WebAssembly.Module>;
  readonly compileSeconds: number;
}

/** The file name part of a path or URL: the glue asks for core modules by it. */
export const fileName = (path: string): string => path.slice(path.lastIndexOf('/') + 1).split(/[?#]/)[0]!;

/** The glue's `getCoreModule`: a missing module is named, not handed over as undefined. */
export function coreModules(component: CompiledComponent): (path: string) => WebAssembly.Module {
  return (path) => {
    const module = component.cores.get(fileName(path));
    if (!module) throw new Error(`${component.name}: no core module "${fileName(path)}" among ${[...component.cores.keys()].join(', ')}`);
    return module;
  };
}

export const toHex = (digest: ArrayBuffer): string => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
