/**
 * The cache set's helpers, bound to one cache name. The latency a hit saved
 * is the mean time a miss took to load (`loaded()`), or `missCostSeconds`
 * until a load was timed; with neither, hits save nothing measurable and
 * add nothing.
 */
import { type Clock, counterOf, gaugeOf, lazy, monotonicSeconds, type SetOptions } from './instruments.js';
import { CACHE_SET as C } from './spec.js';

/** Why the cache removed entries itself. */
export type EvictionCause = 'capacity' | 'expired' | (string & {});
/** Why the application removed or replaced entries. */
export type InvalidationCause = 'delete' | 'replace' | 'clear' | (string & {});

export interface CacheMetricsOptions extends SetOptions {
  /** The `cache.name` attribute. */
  readonly name: string;
  /** What a miss costs before any load was timed, in seconds. */
  readonly missCostSeconds?: number;
}

export interface CacheMetrics {
  readonly clock: Clock;
  hit(): void;
  miss(): void;
  /** A miss was filled in `seconds`: the mean of these is what each later hit saves. */
  loaded(seconds: number): void;
  evicted(cause: EvictionCause, count?: number): void;
  invalidated(cause: InvalidationCause, count?: number): void;
  entries(count: number): void;
  memory(bytes: number): void;
}

export function cacheMetrics(options: CacheMetricsOptions): CacheMetrics {
  const { metrics, name } = options;
  const at = { 'cache.name': name };
  const requests = counterOf(metrics, C.requests);
  const hits = requests.labels({ ...at, 'cache.result': 'hit' });
  const misses = requests.labels({ ...at, 'cache.result': 'miss' });
  const evictions = counterOf(metrics, C.evictions);
  const invalidations = counterOf(metrics, C.invalidations);
  const entries = gaugeOf(metrics, C.entries).labels(at);
  const memory = lazy(() => gaugeOf(metrics, C.memoryUsed).labels(at));
  const saved = counterOf(metrics, C.latencySaved).labels(at);
  let loads = 0;
  let loadSeconds = 0;
  return {
    clock: options.clock ?? monotonicSeconds,
    hit() {
      hits.inc();
      const cost = loads > 0 ? loadSeconds / loads : options.missCostSeconds;
      if (cost !== undefined && cost > 0) saved.inc(cost);
    },
    miss: () => misses.inc(),
    loaded(seconds) {
      loads++;
      loadSeconds += seconds;
    },
    evicted(cause, count = 1) {
      if (count > 0) evictions.inc({ ...at, cause }, count);
    },
    invalidated(cause, count = 1) {
      if (count > 0) invalidations.inc({ ...at, cause }, count);
    },
    entries: (count) => entries.set(count),
    memory: (bytes) => memory().set(bytes),
  };
}
