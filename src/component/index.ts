/**
 * What every loader produces and the host consumes: a component transpiled
 * by `jco transpile --instantiation sync`, its core modules compiled. Node
 * reads it from a folder (load-node.ts), a page fetches it (load-browser.ts);
 * everything after loading is the same code on both, including the
 * asynchronous instantiation large modules need in pages (preinstantiate).
 */

/** The ES module jco generates with `--instantiation sync`. */
export interface ComponentGlue {
  instantiate(
    getCoreModule: (path: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
    instantiateCore?: InstantiateCore,
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
  /** Its core modules count their steps (meter.ts): budgets stop it mid-invocation. */
  readonly metered?: boolean;
}

/** Guards a loader applies to core modules before compiling them. */
export interface GuardOptions {
  /** Cap on each linear memory, in bytes (whole 64 KiB pages): growth beyond it fails inside the guest. */
  maxMemoryBytes?: number;
  /**
   * Count steps, so the host's time and step budgets stop a runaway guest
   * (needs the optional "binaryen" package; about 1 s per MB of module to rewrite).
   */
  meter?: boolean;
  /** Where binaryen comes from; default a dynamic import bundlers do not follow. In pages: `() => import('binaryen')`. */
  binaryen?: import('./meter.js').BinaryenLoader;
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

/** What jco's glue calls to instantiate a core module; the glue's default is `new WebAssembly.Instance`. */
export type InstantiateCore = (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance;

/**
 * Instantiates a component's core modules ahead of time, asynchronously, for
 * the synchronous glue to use later: Chromium refuses to instantiate a module
 * over 8 MB synchronously on the main thread (componentize-js output is
 * 11 MB). Each import forwards to the one the glue supplies when it links,
 * which works for modules whose imports are all functions and which call none
 * while instantiating (no start function), as componentize-js output. Modules
 * that import a table or memory (jco's small fix-up shims) are instantiated at
 * link time as usual. One use.
 */
export async function preinstantiate(component: CompiledComponent): Promise<InstantiateCore> {
  const linked = new Map<WebAssembly.Module, WebAssembly.Imports>();
  const ready = new Map<WebAssembly.Module, WebAssembly.Instance>();
  for (const module of component.cores.values()) {
    const imports = WebAssembly.Module.imports(module);
    if (imports.some((i) => i.kind !== 'function')) continue;
    const forwarding: Record<string, Record<string, (...args: unknown[]) => unknown>> = {};
    for (const { module: space, name } of imports) {
      (forwarding[space] ??= {})[name] = (...args) =>
        (linked.get(module)![space] as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
    }
    ready.set(module, await WebAssembly.instantiate(module, forwarding as WebAssembly.Imports));
  }
  return (module, imports) => {
    const instance = ready.get(module);
    if (!instance) return new WebAssembly.Instance(module, imports);
    ready.delete(module); // one instance per link
    linked.set(module, imports);
    return instance;
  };
}
