/** `omnimeter/host` in Node: runs WebAssembly components and aggregates their metrics. */
export * from './browser.js';
export {
  readComponent,
  readComponentAsync,
  wasmComponentBackend,
  type EngineBackendOptions,
  type ReadComponentOptions,
} from './load-node.js';
export { transpileCached, type TranspiledComponent } from '../build/transpile.js';
