/**
 * `omnimeter/sets`: ready-made metric sets (transport, storage, cache,
 * component runtime), so that every library reports the same names, with
 * typed helpers and wrappers that record them. Platform-neutral: nothing
 * here imports Node or a cache library. See docs/metric-sets.md.
 */
export {
  CACHE_SET,
  COMPONENT_RUNTIME_SET,
  DURATION_BUCKETS,
  METRIC_SETS,
  SIZE_BUCKETS,
  STORAGE_SET,
  TRANSPORT_SET,
  type SetKind,
  type SetMetric,
} from './spec.js';
export type { Clock, Outcome, SetOptions } from './instruments.js';
export { transportMetrics, type TransportMetrics, type TransportMetricsOptions } from './transport.js';
export { storageMetrics, type StorageMetrics, type StorageMetricsOptions, type StorageOperation } from './storage.js';
export {
  cacheMetrics,
  type CacheMetrics,
  type CacheMetricsOptions,
  type EvictionCause,
  type InvalidationCause,
} from './cache.js';
export { componentRuntimeMetrics, type ComponentRuntimeMetrics } from './component-runtime.js';
export { MeteredMap, type MeteredMapOptions } from './metered-map.js';
export {
  meteredLruCache,
  type LruCacheLike,
  type LruCacheOptionsLike,
  type LruDisposeReason,
  type MeteredLruOptions,
} from './lru-cache.js';
export { meteredStore, type KeyValueStore, type MeteredStore, type MeteredStoreOptions } from './metered-store.js';
export {
  meterServer,
  meterSocket,
  type EmitterLike,
  type MeteredServer,
  type MeterServerOptions,
  type SocketLike,
} from './metered-server.js';
