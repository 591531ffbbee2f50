/**
 * The page's loader: fetches and compiles a transpiled component's core
 * modules (asynchronously, as browsers require for large modules) and hashes
 * the component with Web Crypto. The glue module itself is imported by the
 * page's bundler, which also gives the URLs of the `.wasm` files.
 */
import { guardCore } from '../component/guard.js';
import { type ComponentGlue, type CompiledComponent, type GuardOptions, fileName, toHex } from '../component/index.js';

export interface FetchComponentOptions extends GuardOptions {
  name: string;
  /** The glue jco generated with `--instantiation sync`, imported by the page. */
  glue: ComponentGlue;
  /**
   * URLs of its core modules by the file name the glue asks for
   * (`<name>.core.wasm`, `<name>.core2.wasm`, …): a bundler may rename the URLs.
   */
  coreUrls: Readonly<Record<string, string | URL>>;
  /** URL of the component itself, hashed for logs; default the first core module. */
  componentUrl?: string | URL;
  fetch?: typeof fetch;
}

export async function fetchComponent(options: FetchComponentOptions): Promise<CompiledComponent> {
  const get = options.fetch ?? fetch;
  const bytes = async (url: string | URL) => {
    const response = await get(url);
    if (!response.ok) throw new Error(`${options.name}: GET ${url} answered ${response.status}`);
    return response.arrayBuffer();
  };
  const entries = Object.entries(options.coreUrls);
  if (entries.length === 0) throw new Error(`${options.name}: coreUrls is empty`);
  const start = performance.now();
  const cores = new Map<string, WebAssembly.Module>();
  let first: ArrayBuffer | undefined;
  for (const [file, url] of entries) {
    const wasm = await bytes(url);
    first ??= wasm;
    cores.set(fileName(file), await WebAssembly.compile(await guardCore(new Uint8Array(wasm), options)));
  }
  const compileSeconds = (performance.now() - start) / 1000;
  const digest = await crypto.subtle.digest('SHA-256', options.componentUrl === undefined ? first! : await bytes(options.componentUrl));
  return { name: options.name, glue: options.glue, cores, sha256: toHex(digest), compileSeconds, metered: options.meter === true };
}
