/**
 * A `Map` that is a cache and reports the cache set: `get` counts hits and
 * misses, `set`/`delete`/`clear` count invalidations, and the optional
 * bounds evict and count it (`maxEntries`: least recently read or written
 * first; `ttlSeconds`: expired entries are dropped when next touched, and
 * by `prune()`). Everything else is `Map`'s own, so it goes wherever a Map
 * goes. `getOrLoad` times misses, which is what a hit is said to save.
 */
import { type CacheMetrics, cacheMetrics } from './cache.js';
import type { SetOptions } from './instruments.js';

export interface MeteredMapOptions<K, V> extends SetOptions {
  /** The `cache.name` attribute. */
  readonly name: string;
  readonly maxEntries?: number;
  readonly ttlSeconds?: number;
  /** Bytes an entry holds: reported as `cache.memory.used`. */
  readonly sizeOf?: (value: V, key: K) => number;
  /** What a miss costs before `getOrLoad` timed one, in seconds. */
  readonly missCostSeconds?: number;
}

export class MeteredMap<K, V> extends Map<K, V> {
  readonly #cache: CacheMetrics;
  readonly #options: MeteredMapOptions<K, V>;
  readonly #expires = new Map<K, number>();
  readonly #sizes = new Map<K, number>();
  #bytes = 0;

  constructor(options: MeteredMapOptions<K, V>, entries?: Iterable<readonly [K, V]>) {
    super(); // entries are added below, once the fields exist (Map's constructor would call set() before)
    this.#options = options;
    this.#cache = cacheMetrics(options);
    if (entries) for (const [k, v] of entries) this.#store(k, v);
    this.#report();
  }

  override get(key: K): V | undefined {
    if (!this.#live(key)) {
      this.#cache.miss();
      return undefined;
    }
    const value = super.get(key) as V;
    if (this.#options.maxEntries !== undefined) {
      super.delete(key); // most recently used last, so eviction takes the first
      super.set(key, value);
    }
    this.#cache.hit();
    return value;
  }

  override has(key: K): boolean {
    return this.#live(key);
  }

  override set(key: K, value: V): this {
    if (this.#live(key)) this.#cache.invalidated('replace');
    this.#store(key, value);
    const max = this.#options.maxEntries;
    if (max !== undefined) {
      let evicted = 0;
      for (const oldest of super.keys()) {
        if (this.size <= max) break;
        this.#drop(oldest);
        evicted++;
      }
      this.#cache.evicted('capacity', evicted);
    }
    this.#report();
    return this;
  }

  override delete(key: K): boolean {
    if (!this.#live(key)) return false;
    this.#drop(key);
    this.#cache.invalidated('delete');
    this.#report();
    return true;
  }

  override clear(): void {
    this.prune();
    this.#cache.invalidated('clear', this.size);
    super.clear();
    this.#expires.clear();
    this.#sizes.clear();
    this.#bytes = 0;
    this.#report();
  }

  /** The cached value, or `load(key)`'s (timed: the mean is what a hit saves), stored. */
  async getOrLoad(key: K, load: (key: K) => V | Promise<V>): Promise<V> {
    if (this.#live(key)) return this.get(key) as V;
    this.#cache.miss();
    const start = this.#cache.clock();
    const value = await load(key);
    this.#cache.loaded(this.#cache.clock() - start);
    this.set(key, value);
    return value;
  }

  /** Drops every expired entry now (counted as evictions, cause `expired`). */
  prune(): number {
    let dropped = 0;
    for (const key of [...this.#expires.keys()]) if (!this.#live(key)) dropped++;
    return dropped;
  }

  #store(key: K, value: V): void {
    super.set(key, value);
    if (this.#options.ttlSeconds !== undefined) this.#expires.set(key, this.#cache.clock() + this.#options.ttlSeconds);
    if (this.#options.sizeOf) {
      const bytes = this.#options.sizeOf(value, key);
      this.#bytes += bytes - (this.#sizes.get(key) ?? 0);
      this.#sizes.set(key, bytes);
    }
  }

  #drop(key: K): void {
    super.delete(key);
    this.#expires.delete(key);
    this.#bytes -= this.#sizes.get(key) ?? 0;
    this.#sizes.delete(key);
  }

  /** Whether `key` is present and unexpired; an expired entry is dropped and counted. */
  #live(key: K): boolean {
    if (!super.has(key)) return false;
    const expires = this.#expires.get(key);
    if (expires === undefined || this.#cache.clock() < expires) return true;
    this.#drop(key);
    this.#cache.evicted('expired');
    this.#report();
    return false;
  }

  #report(): void {
    this.#cache.entries(this.size);
    if (this.#options.sizeOf) this.#cache.memory(this.#bytes);
  }
}
