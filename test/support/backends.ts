/** Every backend the conformance suite runs against in Node. */
import { wasmComponentBackend } from '../../src/host/load-node.js';
import { type BackendCase, portableBackends } from './backend-cases.js';

export { type BackendCase, ManualClock, metricsOn } from './backend-cases.js';

const engineDir = new URL('../../.cache/wasm/engine/js', import.meta.url).pathname;

export const backends: BackendCase[] = [
  ...portableBackends,
  { name: 'wasm-component', create: (clock) => wasmComponentBackend({ dir: engineDir, clock }) },
];
