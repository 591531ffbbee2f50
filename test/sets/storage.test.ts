/** The storage adapter and helpers against a scripted key-value workload, read back by the strict parser. */
import { afterEach, expect, it } from 'vitest';
import { type KeyValueStore, meteredStore, storageMetrics } from '../../src/sets/index.js';
import { describeWithTools } from '../support/tools.js';
import { fresh, read, scriptedClock } from './support.js';

let metrics = fresh();
afterEach(async () => {
  await metrics.shutdown();
  metrics = fresh();
});

/** An in-memory store whose calls take scripted time and fail on demand. */
function scriptedStore(t: ReturnType<typeof scriptedClock>): KeyValueStore<string, string> & { failNext: boolean } {
  const data = new Map<string, string>();
  const step = async (seconds: number) => {
    await Promise.resolve();
    t.advance(seconds);
    if (store.failNext) {
      store.failNext = false;
      throw new Error('disk on fire');
    }
  };
  const store = {
    failNext: false,
    async get(key: string) {
      await step(0.001);
      return data.get(key);
    },
    async set(key: string, value: string) {
      await step(0.004);
      data.set(key, value);
    },
    async delete(key: string) {
      await step(0.002);
      data.delete(key);
    },
    usage: () => ({ usedBytes: [...data.values()].reduce((n, v) => n + v.length, 0), capacityBytes: 40 }),
  };
  return store;
}

const labels = (operation: string, outcome: string) => ({ storage_backend: 'disk', storage_operation: operation, outcome });

describeWithTools(['python3-prometheus-client'], 'storage set', () => {
  it('counts and times reads, writes and deletes by outcome; usage, capacity and utilization follow the store', async () => {
    const t = scriptedClock();
    const raw = scriptedStore(t);
    const store = meteredStore(raw, { metrics, backend: 'disk', clock: t.clock });
    await store.set('a', '0123456789');
    await store.set('b', '0123456789');
    expect(await store.get('a')).toBe('0123456789');
    expect(await store.get('zzz')).toBeUndefined(); // a miss is still a successful read
    raw.failNext = true;
    await expect(store.get('a')).rejects.toThrow('disk on fire');
    raw.failNext = true;
    await expect(store.set('c', 'x')).rejects.toThrow('disk on fire');
    await store.delete('b');
    const r = await read(metrics);
    expect(r.value('storage_operations_total', labels('read', 'success'))).toBe(2);
    expect(r.value('storage_operations_total', labels('read', 'error'))).toBe(1);
    expect(r.value('storage_operations_total', labels('write', 'success'))).toBe(2);
    expect(r.value('storage_operations_total', labels('write', 'error'))).toBe(1);
    expect(r.value('storage_operations_total', labels('delete', 'success'))).toBe(1);
    expect(r.value('storage_operation_duration_seconds_sum', labels('write', 'success'))).toBeCloseTo(0.008, 9);
    expect(r.value('storage_operation_duration_seconds_sum', labels('read', 'success'))).toBeCloseTo(0.002, 9);
    expect(r.value('storage_operation_duration_seconds_bucket', { ...labels('write', 'success'), le: '0.0025' })).toBe(0);
    expect(r.value('storage_operation_duration_seconds_bucket', { ...labels('write', 'success'), le: '0.005' })).toBe(2);
    expect(r.value('storage_used_bytes', { storage_backend: 'disk' })).toBe(10); // only 'a' is left
    expect(r.value('storage_capacity_bytes', { storage_backend: 'disk' })).toBe(40);
    expect(r.value('storage_utilization_ratio', { storage_backend: 'disk' })).toBe(0.25);
  });

  it('records integrity checks and backups, sync and async, by outcome', async () => {
    const t = scriptedClock();
    const storage = storageMetrics({ metrics, backend: 'pg', clock: t.clock });
    storage.integrityCheck(true);
    storage.integrityCheck(true);
    storage.integrityCheck(false);
    storage.backup(() => t.advance(30));
    await storage.backup(async () => t.advance(90));
    await expect(
      storage.backup(async () => {
        t.advance(5);
        throw new Error('bucket gone');
      }),
    ).rejects.toThrow('bucket gone');
    const r = await read(metrics);
    expect(r.value('storage_integrity_checks_total', { storage_backend: 'pg', outcome: 'success' })).toBe(2);
    expect(r.value('storage_integrity_checks_total', { storage_backend: 'pg', outcome: 'error' })).toBe(1);
    expect(r.value('storage_backup_duration_seconds_count', { storage_backend: 'pg', outcome: 'success' })).toBe(2);
    expect(r.value('storage_backup_duration_seconds_sum', { storage_backend: 'pg', outcome: 'success' })).toBe(120);
    expect(r.value('storage_backup_duration_seconds_count', { storage_backend: 'pg', outcome: 'error' })).toBe(1);
  });
});
