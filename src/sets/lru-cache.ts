/**
 * An `lru-cache` (v10/v11, an optional peer this module never imports: pass
 * its `LRUCache` class) that reports the cache set. The cache's own
 * `dispose` callback tells why each entry left: `evict` is an eviction by
 * capacity, `expire` by age, `delete` and `set` (a replaced value) are
 * invalidations, and `clear()` is counted as cause `clear`. `get` counts
 * hits and misses; `fetch` does too and times the fetches that load, which
 * is what a hit is said to save. Entries and `calculatedSize` (when the
 * cache measures sizes: `maxSize` or `sizeCalculation`) are read after every change.
 */
import { cacheMetrics } from './cache.js';
import type { SetOptions } from './instruments.js';

export type LruDisposeReason = 'evict' | 'set' | 'delete' | 'expire' | 'fetch';

export interface LruCacheOptionsLike<K, V> {
  dispose?: (value: V, key: K, reason: LruDisposeReason) => void;
}

/** The part of lru-cache's `LRUCache` this adapter relies on. */
export interface LruCacheLike<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
  delete(key: K): boolean;
  has(key: K): boolean;
  clear(): void;
  readonly size: number;
  readonly calculatedSize?: number;
  fetch?(key: K): Promise<V | undefined>;
}

export interface MeteredLruOptions extends SetOptions {
  /** The `cache.name` attribute. */
  readonly name: string;
  readonly missCostSeconds?: number;
}

/** `new LRUCache(cacheOptions)`, reporting the cache set. */
export function meteredLruCache<O extends object, C extends LruCacheLike<never, unknown>>(
  LRUCache: new (options: O) => C,
  cacheOptions: NoInfer<O>,
  options: MeteredLruOptions,
): C {
  const metrics = cacheMetrics(options);
  let clearing = false;
  const userDispose = (cacheOptions as LruCacheOptionsLike<unknown, unknown>).dispose;
  const dispose = (value: unknown, key: unknown, reason: LruDisposeReason) => {
    if (clearing) metrics.invalidated('clear');
    else if (reason === 'evict') metrics.evicted('capacity');
    else if (reason === 'expire') metrics.evicted('expired');
    else if (reason === 'set') metrics.invalidated('replace');
    else if (reason === 'delete') metrics.invalidated('delete');
    userDispose?.(value, key, reason);
  };
  const cache = new LRUCache({ ...cacheOptions, dispose });
  // The cache's own methods, called with its arguments unchanged.
  type Method = (...args: unknown[]) => unknown;
  const own = cache as unknown as Record<'get' | 'set' | 'delete' | 'has' | 'clear', Method> & { fetch?: Method };
  // calculatedSize reads 0 unless the cache was told how to measure entries.
  const { maxSize, sizeCalculation } = cacheOptions as { maxSize?: number; sizeCalculation?: unknown };
  const measured = maxSize !== undefined || sizeCalculation !== undefined;
  const report = () => {
    metrics.entries(cache.size);
    if (measured) metrics.memory(cache.calculatedSize ?? 0);
  };
  const { get, set, delete: del, clear, fetch } = own;
  Object.assign(cache, {
    get(...args: unknown[]) {
      const value = get.apply(cache, args);
      if (value === undefined) metrics.miss();
      else metrics.hit();
      report(); // a read may have dropped an expired entry
      return value;
    },
    set(...args: unknown[]) {
      const result = set.apply(cache, args);
      report();
      return result;
    },
    delete(...args: unknown[]) {
      const result = del.apply(cache, args);
      report();
      return result;
    },
    clear() {
      clearing = true;
      try {
        clear.call(cache);
      } finally {
        clearing = false;
      }
      report();
    },
    ...(fetch && {
      async fetch(...args: unknown[]) {
        const hit = own.has(args[0]);
        if (hit) metrics.hit();
        else metrics.miss();
        const start = metrics.clock();
        const value = await fetch.apply(cache, args);
        if (!hit) metrics.loaded(metrics.clock() - start);
        report();
        return value;
      },
    }),
  });
  return cache;
}
