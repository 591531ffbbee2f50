/**
 * The example components, transpiled by `npm run build:wasm` (jco
 * `--instantiation sync`) and fetched and compiled by this page. Vite gives
 * the URLs of their core modules; the glue is an ordinary ES module import.
 */
import { type ComponentGlue, type CompiledComponent, fetchComponent } from 'omnimeter/host';
import * as cpuGlue from '../../.cache/wasm/cpu-tool/js/cpu-tool.js';
import * as jsonGlue from '../../.cache/wasm/json-tool/js/json-tool.js';

const wasm = import.meta.glob<string>('../../.cache/wasm/{cpu-tool,json-tool}/**/*.wasm', {
  query: '?url',
  import: 'default',
  eager: true,
});

function urlsOf(name: string, pattern: RegExp): Record<string, string> {
  return Object.fromEntries(Object.entries(wasm).filter(([path]) => path.includes(`/${name}/`) && pattern.test(path)));
}

function load(name: string, glue: unknown): Promise<CompiledComponent> {
  return fetchComponent({
    name,
    glue: glue as ComponentGlue,
    coreUrls: urlsOf(name, /\.core\d*\.wasm$/),
    componentUrl: Object.values(urlsOf(name, /\.component\.wasm$/))[0],
  });
}

export const loadExamples = async () => ({ jsonTool: await load('json-tool', jsonGlue), cpuTool: await load('cpu-tool', cpuGlue) });
