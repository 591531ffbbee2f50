/**
 * `omnimeter`: the platform-neutral core. Imports no `node:` module, so it
 * bundles for browsers and WASM hosts as is. Node extras: `omnimeter/node`.
 * Browser bundles resolve `omnimeter` to `omnimeter/browser`, which leaves
 * out what this entry installs: the merge port, native histograms,
 * exemplars, the scrape text cache, series as rows of columns
 * (core/features.ts) and shared histogram columns (backends/native/columns.ts).
 */
import { enableHistogramColumns } from './backends/native/columns.js';
import { enableExemplars, enableNativeHistograms, enableTextCache, enableValueColumns } from './core/enable.js';
import { enableMergePort } from './core/merge/enable.js';

export * from './facade.js';

enableMergePort();
enableNativeHistograms();
enableExemplars();
enableHistogramColumns();
enableTextCache();
enableValueColumns();
