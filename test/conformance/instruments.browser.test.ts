/// <reference types="vite/client" />
/**
 * The conformance suite in Chromium: the core engine as `omnimeter/browser`
 * ships it, the guest-side recorder backend wired to a host session in the
 * page, and omnimeter's engine as a WebAssembly component fetched and
 * compiled by the page.
 */
import * as engineGlue from '../../.cache/wasm/engine/js/engine.js';
import { type ComponentGlue, type InstantiateCore, engineBackend, fetchComponent, preinstantiate } from '../../src/host/browser.js';
import { type BackendCase, portableBackends } from '../support/backend-cases.js';
import { conformanceSuite } from './suite.js';

const engine = await fetchComponent({
  name: 'engine',
  glue: engineGlue as unknown as ComponentGlue,
  coreUrls: import.meta.glob<string>('../../.cache/wasm/engine/js/*.wasm', { query: '?url', import: 'default', eager: true }),
});

// createMetrics is synchronous and the engine's core module must be instantiated
// asynchronously in a page: each test gets engines instantiated ahead (at most 3 per test).
const ready: InstantiateCore[] = [];
const inPage: BackendCase = {
  name: 'wasm-component (in the page)',
  prepare: async () => {
    while (ready.length < 3) ready.push(await preinstantiate(engine));
  },
  create: (clock) => {
    const instantiateCore = ready.shift();
    if (!instantiateCore) throw new Error('more engines per test than prepared');
    return engineBackend(engine, clock, instantiateCore);
  },
};

conformanceSuite([...portableBackends, inPage]);
