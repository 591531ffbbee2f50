/**
 * A key-value store that reports the storage set: any object with
 * `get`/`set`/`delete` (Keyv, a Redis client's subset, a Map, an IndexedDB
 * wrapper) wrapped so that each call is one operation, counted and timed by
 * outcome. Usage comes from the store's own `usage()` when it has one, read
 * after every write or delete (a fast call is the store's business).
 */
import type { SetOptions } from './instruments.js';
import { type StorageMetrics, storageMetrics } from './storage.js';

type MaybePromise<T> = T | Promise<T>;

export interface KeyValueStore<K, V> {
  get(key: K): MaybePromise<V | undefined>;
  set(key: K, value: V): MaybePromise<unknown>;
  delete(key: K): MaybePromise<unknown>;
  /** Bytes used and, when known, the capacity. */
  usage?(): MaybePromise<{ usedBytes: number; capacityBytes?: number }>;
}

export interface MeteredStoreOptions extends SetOptions {
  /** The `storage.backend` attribute. */
  readonly backend: string;
}

export interface MeteredStore<K, V> {
  readonly storage: StorageMetrics;
  get(key: K): Promise<V | undefined>;
  set(key: K, value: V): Promise<void>;
  delete(key: K): Promise<void>;
  /** Reads usage now (also done after every write and delete). */
  refreshUsage(): Promise<void>;
}

export function meteredStore<K, V>(store: KeyValueStore<K, V>, options: MeteredStoreOptions): MeteredStore<K, V> {
  const storage = storageMetrics(options);
  const refreshUsage = async () => {
    if (!store.usage) return;
    const { usedBytes, capacityBytes } = await store.usage();
    storage.usage(usedBytes, capacityBytes);
  };
  return {
    storage,
    get: (key) => storage.operation('read', async () => store.get(key)),
    async set(key, value) {
      await storage.operation('write', async () => store.set(key, value));
      await refreshUsage();
    },
    async delete(key) {
      await storage.operation('delete', async () => store.delete(key));
      await refreshUsage();
    },
    refreshUsage,
  };
}
