/**
 * Counter, gauge and histogram series as rows of columns (core/columns.ts): what the model test
 * (series-storage.test.ts) does not reach with its six label sets, namely
 * compaction renumbering rows under kept handles, clocks far from where a
 * table started, and tables past 16-bit ids and slots.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValueColumns } from '../../src/core/columns.js';
import { render } from '../../src/exposition/text.js';
import { createMetrics } from '../../src/index.js';
import { ManualClock } from '../support/backend-cases.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Series values of family `name` in a collection, by `a` label. */
async function values(metrics: ReturnType<typeof createMetrics>, name: string): Promise<Map<string, number>> {
  const family = (await metrics.registry.collect()).find((f) => f.name === name)!;
  return new Map(family.series.map((s) => [Object.fromEntries(s.labels).a!, s.value!]));
}

describe('value columns', () => {
  it('counters and gauges of the omnimeter entry keep no object per series', () => {
    const metrics = createMetrics();
    const c = metrics.counter('c_total', { help: 'h', labelNames: ['a'] });
    const g = metrics.gauge('g', { help: 'h', labelNames: ['a'] });
    c.inc({ a: 'x' });
    g.set({ a: 'x' }, 1);
    // The lookup hands back one object repositioned per call: nothing is created per series.
    expect((c as unknown as { table: { get(l: object): unknown } }).table.get({ a: 'x' })).toBe(
      (c as unknown as { table: { get(l: object): unknown } }).table.get({ a: 'y' }),
    );
    expect(c.labels({ a: 'x' })).toBe(c.labels({ a: 'x' }));
    expect(c.labels({ a: 'x' })).not.toBe(c.labels({ a: 'y' }));
  });

  it('kept handles record into their own series after compaction renumbers the rows, and the text cache follows', async () => {
    const metrics = createMetrics();
    const c = metrics.counter('c_total', { help: 'h', labelNames: ['a'] });
    const model = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      c.inc({ a: `s${i}` }, i);
      model.set(`s${i}`, i);
    }
    const kept = [7, 300, 599].map((i) => ({ name: `s${i}`, handle: c.labels({ a: `s${i}` }) }));
    const before = await metrics.registry.expose('prometheus');
    expect(before).toBe(render(await metrics.registry.collect(), 'prometheus'));
    for (let i = 0; i < 600; i++) {
      if (i === 7 || i === 300 || i === 599) continue;
      c.remove({ a: `s${i}` });
      model.delete(`s${i}`);
    }
    // Holes now outnumber live rows: the next new series compacts the table.
    c.inc({ a: 'new' }, 5);
    model.set('new', 5);
    for (const { name, handle } of kept) {
      handle.inc(1000);
      model.set(name, model.get(name)! + 1000);
    }
    expect(await values(metrics, 'c')).toEqual(model);
    const after = await metrics.registry.expose('prometheus');
    expect(after).toBe(render(await metrics.registry.collect(), 'prometheus'));
    expect(after).toContain('c_total{a="s300"} 1300\n');
    await metrics.shutdown();
  });

  it('a handle whose series was removed keeps counting on its own and never into a new series of that row', async () => {
    const metrics = createMetrics();
    const g = metrics.gauge('g', { help: 'h', labelNames: ['a'] });
    const old = g.labels({ a: 'x' });
    old.set(3);
    g.remove({ a: 'x' });
    g.set({ a: 'y' }, 1);
    old.inc(10);
    expect((old as unknown as { labelValues: readonly string[] }).labelValues).toEqual(['x']);
    expect(await values(metrics, 'g')).toEqual(new Map([['y', 1]]));
    await metrics.shutdown();
  });

  it('expires idle series and brings kept ones back when the clock runs far from where the table started', async () => {
    for (const jump of [2 ** 31, 2 ** 40]) {
      const clock = new ManualClock(0);
      const metrics = createMetrics({ clock, seriesTtlSeconds: 60 });
      const c = metrics.counter('c_total', { help: 'h', labelNames: ['a'] });
      c.inc({ a: 'idle' });
      const kept = c.labels({ a: 'kept' });
      kept.inc();
      await metrics.registry.collect();
      clock.ms += jump; // past 31 bits of milliseconds: activity offsets are rebased
      c.inc({ a: 'busy' });
      expect(await values(metrics, 'c')).toEqual(new Map([['busy', 1]]));
      clock.ms += 30_000;
      c.inc({ a: 'busy' });
      expect(await values(metrics, 'c')).toEqual(new Map([['busy', 2]]));
      clock.ms += 61_000;
      kept.inc(); // parked since the jump: recording brings it back with its count
      expect(await values(metrics, 'c')).toEqual(new Map([['kept', 2]]));
      clock.ms += 61_000;
      expect(await values(metrics, 'c')).toEqual(new Map());
      await metrics.shutdown();
    }
  });

  it('keeps creation times exact for series created weeks after their family', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    const metrics = createMetrics();
    const c = metrics.counter('c_total', { help: 'h', labelNames: ['a'] });
    c.inc({ a: 'early' });
    vi.setSystemTime(1_700_000_000_000 + 40 * 86_400_000 + 123);
    c.inc({ a: 'late' });
    const family = (await metrics.registry.collect()).find((f) => f.name === 'c')!;
    const created = new Map(family.series.map((s) => [Object.fromEntries(s.labels).a!, s.createdMs]));
    expect(created).toEqual(
      new Map([
        ['early', 1_700_000_000_000],
        ['late', 1_700_000_000_000 + 40 * 86_400_000 + 123],
      ]),
    );
    await metrics.shutdown();
  });

  it('rebases activity offsets without losing touched rows', () => {
    const c = new ValueColumns(0, false);
    c.open(0, 0, 0);
    c.open(1, 0, 0);
    c.active[1] = -(2 ** 31); // touched
    c.setActive(2, 2 ** 45); // far: rebases
    expect(c.touched(1)).toBe(true);
    expect(c.activeMs(2)).toBe(2 ** 45);
    // Row 0 was active at 0: older than the span, it now reads no later than it was (it expires, never early).
    expect(c.activeMs(0)).toBeLessThanOrEqual(2 ** 45 - 2 ** 30 + 1);
  });

  it('serves tables past 16-bit value ids (one label with 70,000 values) and past 16-bit slots (75,000 pairs of few values)', async () => {
    const cases = [
      { n: 70_000, labels: (i: number) => ({ a: `v${i}`, b: String(i & 3) }) },
      // Ids stop widening early here, so only the slot count moves the index past 16 bits.
      { n: 75_000, labels: (i: number) => ({ a: `v${i % 300}`, b: String(Math.floor(i / 300)) }) },
    ];
    for (const { n, labels } of cases) {
      const metrics = createMetrics({ maxSeriesPerMetric: 200_000 });
      const c = metrics.counter('c_total', { help: 'h', labelNames: ['a', 'b'] });
      for (let i = 0; i < n; i++) c.inc(labels(i), i);
      for (let i = 0; i < n; i += 997) c.inc(labels(i), 1);
      const family = (await metrics.registry.collect()).find((f) => f.name === 'c')!;
      expect(family.series.length).toBe(n);
      family.series.forEach((s, i) => {
        expect(Object.fromEntries(s.labels)).toEqual(labels(i));
        expect(s.value).toBe(i + (i % 997 === 0 ? 1 : 0));
      });
      await metrics.shutdown();
    }
  });

  it('histogram rows: counts move into a kept handle, and a sum at infinity is still a row (NaN alone marks a handed-out row)', async () => {
    const metrics = createMetrics();
    const h = metrics.histogram('h_seconds', { help: 'h', labelNames: ['a'], buckets: [1, 5] });
    h.observe({ a: 'x' }, 0.5);
    h.observe({ a: 'x' }, 3);
    const kept = h.labels({ a: 'x' });
    kept.observe(9);
    h.observe({ a: 'x' }, 4); // through the view: passed on to the handle
    h.observe({ a: 'big' }, 1e308);
    h.observe({ a: 'big' }, 1e308);
    h.observe({ a: 'big' }, -1e308);
    const family = (await metrics.registry.collect()).find((f) => f.name === 'h_seconds')!;
    const byA = new Map(family.series.map((s) => [Object.fromEntries(s.labels).a!, s]));
    expect(byA.get('x')).toMatchObject({ bucketCounts: [1, 2, 1], count: 4, sum: 16.5 });
    expect(byA.get('big')).toMatchObject({ bucketCounts: [1, 0, 2], count: 3, sum: Number.POSITIVE_INFINITY });
    expect(await metrics.registry.expose('prometheus')).toBe(render(await metrics.registry.collect(), 'prometheus'));
    await metrics.shutdown();
  });

  it('scrapes close their reads of the table, finished or abandoned midway: removing series afterwards lets it compact', async () => {
    const metrics = createMetrics({ maxSeriesPerMetric: 10_000 });
    const c = metrics.counter('c_total', { help: 'h', labelNames: ['a'] });
    const ix = (c as unknown as { table: { ix: { readers: number; compactions: number } } }).table.ix;
    const value = (i: number) => `a-label-value-long-enough-to-fill-several-parts-${i}`;
    for (let i = 0; i < 5000; i++) c.inc({ a: value(i) });
    await metrics.registry.expose('prometheus');
    expect(ix.readers).toBe(0);
    const parts = metrics.registry.exposeChunks('openmetrics')[Symbol.asyncIterator]();
    await parts.next();
    await parts.next(); // ~32K characters each: in the middle of the family's rows
    expect(ix.readers).toBe(1);
    await parts.return?.();
    expect(ix.readers).toBe(0);
    for (let i = 0; i < 4900; i++) c.remove({ a: value(i) });
    c.inc({ a: 'new' }); // a table compacts when it adds a row
    expect(ix.compactions).toBeGreaterThan(0);
    expect((await values(metrics, 'c')).size).toBe(101);
  });
});
