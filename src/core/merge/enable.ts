/**
 * Installs the merge port (core/features.ts): `omnimeter` and `omnimeter/host`
 * call this on import, since guests, /ingest and cluster workers reach the
 * core through it; `omnimeter/browser` does not, and leaves the store out.
 */
import { features } from '../features.js';
import { MergeStore } from './store.js';

/** `metrics.merge`: the merge store over the engine's families. */
export function enableMergePort(): void {
  features.mergePort ??= (families) => new MergeStore(families);
}
