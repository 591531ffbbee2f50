/**
 * The cache wrappers against scripted workloads: every count the strict
 * OpenMetrics parser reads back equals what the script did to the cache.
 */
import { LRUCache } from 'lru-cache';
import { afterEach, expect, it } from 'vitest';
import { MeteredMap, meteredLruCache } from '../../src/sets/index.js';
import { describeWithTools } from '../support/tools.js';
import { fresh, read, scriptedClock } from './support.js';

let metrics = fresh();
afterEach(async () => {
  await metrics.shutdown();
  metrics = fresh();
});

const at = (name: string, extra: Record<string, string> = {}) => ({ cache_name: name, ...extra });

describeWithTools(['python3-prometheus-client'], 'MeteredMap', () => {
  it('counts hits, misses, capacity evictions, invalidations, entries and bytes', async () => {
    const m = new MeteredMap<string, string>({ metrics, name: 'users', maxEntries: 3, sizeOf: (v) => v.length });
    m.set('a', 'xx').set('b', 'yyy').set('c', 'z'); // 3 entries, 6 bytes
    expect(m.get('a')).toBe('xx'); // hit; a becomes most recent: b is now the oldest
    expect(m.get('nope')).toBeUndefined(); // miss
    m.set('d', 'dddd'); // evicts b (capacity)
    expect(m.has('b')).toBe(false);
    m.set('a', 'aaaaa'); // replace
    m.delete('c'); // delete
    m.delete('c'); // absent: nothing
    for (let i = 0; i < 4; i++) m.get('d'); // 4 hits
    const r = await read(metrics);
    expect(r.value('cache_requests_total', at('users', { cache_result: 'hit' }))).toBe(5);
    expect(r.value('cache_requests_total', at('users', { cache_result: 'miss' }))).toBe(1);
    expect(r.value('cache_evictions_total', at('users', { cause: 'capacity' }))).toBe(1);
    expect(r.value('cache_invalidations_total', at('users', { cause: 'replace' }))).toBe(1);
    expect(r.value('cache_invalidations_total', at('users', { cause: 'delete' }))).toBe(1);
    expect(r.value('cache_entries', at('users'))).toBe(2); // a, d
    expect(r.value('cache_memory_used_bytes', at('users'))).toBe(9); // 'aaaaa' + 'dddd'
    m.clear();
    const after = await read(metrics);
    expect(after.value('cache_invalidations_total', at('users', { cause: 'clear' }))).toBe(2);
    expect(after.value('cache_entries', at('users'))).toBe(0);
    expect(after.value('cache_memory_used_bytes', at('users'))).toBe(0);
  });

  it('expires by age on access and by prune(), and a hit saves the mean load time', async () => {
    const t = scriptedClock();
    const m = new MeteredMap<string, number>({ metrics, name: 'sessions', ttlSeconds: 10, clock: t.clock });
    const load = (seconds: number) => async (key: string) => {
      t.advance(seconds);
      return key.length;
    };
    expect(await m.getOrLoad('abc', load(0.2))).toBe(3); // miss, load 0.2 s
    expect(await m.getOrLoad('abcd', load(0.4))).toBe(4); // miss, load 0.4 s: mean 0.3 s
    expect(await m.getOrLoad('abc', load(9))).toBe(3); // hit: saves 0.3 s
    m.get('abcd'); // hit: saves 0.3 s
    t.advance(10); // both expire
    expect(m.get('abc')).toBeUndefined(); // miss, evicted (expired)
    expect(m.prune()).toBe(1); // 'abcd'
    const r = await read(metrics);
    expect(r.value('cache_requests_total', at('sessions', { cache_result: 'hit' }))).toBe(2);
    expect(r.value('cache_requests_total', at('sessions', { cache_result: 'miss' }))).toBe(3);
    expect(r.value('cache_latency_saved_seconds_total', at('sessions'))).toBeCloseTo(0.6, 9);
    expect(r.value('cache_evictions_total', at('sessions', { cause: 'expired' }))).toBe(2);
    expect(r.value('cache_entries', at('sessions'))).toBe(0);
  });

  it('is a Map: initial entries, iteration, size, instanceof', () => {
    const m = new MeteredMap({ metrics, name: 'plain' }, [
      ['x', 1],
      ['y', 2],
    ]);
    expect(m).toBeInstanceOf(Map);
    expect([...m]).toEqual([
      ['x', 1],
      ['y', 2],
    ]);
    expect(m.size).toBe(2);
  });
});

describeWithTools(['python3-prometheus-client'], 'lru-cache adapter', () => {
  it('reports lru-cache 11 evictions, expiry, replacements, deletes, clears, hits, misses and size', async () => {
    const t = scriptedClock();
    const disposed: string[] = [];
    const cache = meteredLruCache(
      LRUCache<string, string>,
      {
        max: 2,
        maxSize: 100,
        sizeCalculation: (v: string) => v.length,
        dispose: (_v: string, k: string, reason: string) => disposed.push(`${k}:${reason}`),
      },
      { metrics, name: 'lru', clock: t.clock },
    );
    cache.set('a', 'aaa');
    cache.set('b', 'bb');
    cache.get('a'); // hit; b is least recent
    cache.set('c', 'c'); // evicts b
    cache.get('b'); // miss
    cache.set('a', 'AAAA'); // replace
    cache.delete('c');
    cache.set('e', 'eeeee');
    const before = await read(metrics);
    expect(before.value('cache_memory_used_bytes', at('lru'))).toBe(9); // AAAA + eeeee
    cache.clear(); // a, e
    expect(disposed).toEqual(['b:evict', 'a:set', 'c:delete', 'a:delete', 'e:delete']); // the user's dispose still runs
    const r = await read(metrics);
    expect(r.value('cache_requests_total', at('lru', { cache_result: 'hit' }))).toBe(1);
    expect(r.value('cache_requests_total', at('lru', { cache_result: 'miss' }))).toBe(1);
    expect(r.value('cache_evictions_total', at('lru', { cause: 'capacity' }))).toBe(1);
    expect(r.value('cache_invalidations_total', at('lru', { cause: 'replace' }))).toBe(1);
    expect(r.value('cache_invalidations_total', at('lru', { cause: 'delete' }))).toBe(1);
    expect(r.value('cache_invalidations_total', at('lru', { cause: 'clear' }))).toBe(2);
    expect(r.value('cache_entries', at('lru'))).toBe(0);
    expect(r.value('cache_memory_used_bytes', at('lru'))).toBe(0);
  });

  it('times fetches that load: later hits save their mean; expired entries count as evictions', async () => {
    const t = scriptedClock();
    let calls = 0;
    const cache = meteredLruCache(
      LRUCache<string, number>,
      {
        max: 10,
        ttl: 1000,
        ttlResolution: 0, // no cached clock reading between the script's steps
        perf: { now: () => t.clock() * 1000 }, // lru-cache's own clock follows the script (ms)
        fetchMethod: async (key: string) => {
          calls++;
          t.advance(0.5);
          return key.length;
        },
      },
      { metrics, name: 'fetching', clock: t.clock },
    );
    expect(await cache.fetch('abcd')).toBe(4); // miss, 0.5 s
    expect(await cache.fetch('abcd')).toBe(4); // hit: saves 0.5 s
    expect(cache.get('abcd')).toBe(4); // hit: saves 0.5 s
    t.advance(2); // past the 1 s ttl
    expect(cache.get('abcd')).toBeUndefined(); // miss; lru-cache drops it as expired
    expect(calls).toBe(1);
    const r = await read(metrics);
    expect(r.value('cache_requests_total', at('fetching', { cache_result: 'hit' }))).toBe(2);
    expect(r.value('cache_requests_total', at('fetching', { cache_result: 'miss' }))).toBe(2);
    expect(r.value('cache_latency_saved_seconds_total', at('fetching'))).toBeCloseTo(1, 9);
    expect(r.value('cache_evictions_total', at('fetching', { cause: 'expired' }))).toBe(1);
    expect(r.value('cache_entries', at('fetching'))).toBe(0);
    const memory = r.families.find((f) => f.name === 'cache_memory_used_bytes')?.samples ?? [];
    expect(memory.filter((s) => s.labels.cache_name === 'fetching')).toEqual([]); // sizes not measured: no series
  });
});
