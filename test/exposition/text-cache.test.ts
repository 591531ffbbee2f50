import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CellReading } from '../../src/api/backend.js';
import { MAX_CACHED_SERIES, SeriesTextCache, TextCacheBudget, TextCaches } from '../../src/exposition/text-cache.js';
import { render } from '../../src/exposition/text.js';
import { createMetrics } from '../../src/index.js';

// Scrapes keep the text of series whose reading has not changed since the
// last scrape (exposition/text-cache.ts). Whatever is recorded, removed,
// reset or re-created in between, expose() must equal rendering a fresh
// collect(): the uncached path, which builds snapshots and renders them.

const labelValue = fc.constantFrom('a', 'b', 'c"', 'é');
type Op = { kind: 'inc' | 'observe' | 'set' | 'noop' | 'remove'; a: string; v: number } | { kind: 'reset' | 'scrape' | 'scrapeBoth' };
const value = fc.constantFrom(0, 1, 2.5, -1, 0.1, 1e21);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constantFrom('inc', 'observe', 'set', 'noop') as fc.Arbitrary<'inc'>, a: labelValue, v: value }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), a: labelValue, v: value }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'scrape' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'scrapeBoth' as const }) },
);

describe('series text kept across scrapes', () => {
  it('exposes what a fresh render of collect() renders, in both formats, under random recording, removal and reset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 50 }), async (ops) => {
        const m = createMetrics({ defaultLabels: { env: 'p' } });
        const c = m.counter('ops_total', { help: 'h', labelNames: ['a'] });
        const g = m.gauge('temp', { help: 'h', labelNames: ['a'] });
        const h = m.histogram('lat_seconds', { help: 'h', labelNames: ['a'], buckets: [0, 1, 2] });
        const s = m.summary('size_bytes', { help: 'h', labelNames: ['a'], quantiles: [0.5, 0.9] });
        const plain = m.counter('plain_total', { help: 'h' });
        const check = async (format: 'prometheus' | 'openmetrics') => {
          const expected = render(await m.registry.collect(), format);
          expect(await m.registry.expose(format)).toBe(expected);
        };
        for (const o of ops) {
          if (o.kind === 'scrape') await check('prometheus');
          else if (o.kind === 'scrapeBoth') {
            await check('openmetrics');
            await check('prometheus');
          } else if (o.kind === 'reset') {
            c.reset();
            h.reset();
            plain.reset();
          } else if (o.kind === 'remove') {
            c.remove({ a: o.a });
            h.remove({ a: o.a });
            g.remove({ a: o.a });
            s.remove({ a: o.a });
          } else if (o.kind === 'noop') {
            c.inc({ a: o.a }, 0); // creates the series at most: the reading of an existing one is unchanged
          } else if (o.kind === 'inc') {
            if (o.v >= 0) c.inc({ a: o.a }, o.v);
            if (o.v >= 0) plain.inc(o.v);
          } else if (o.kind === 'observe') {
            h.observe({ a: o.a }, o.v);
            if (o.v >= 0) s.observe({ a: o.a }, o.v); // an empty summary window exposes NaN quantiles: kept text must match too
          } else if (o.kind === 'set') g.set({ a: o.a }, o.v);
        }
        await check('prometheus');
        await check('openmetrics');
      }),
      { numRuns: 150 },
    );
  });

  it('keeps no text for a series that changes between every two scrapes, and reuses text once it stops', async () => {
    const cache = new SeriesTextCache(new TextCacheBudget());
    const series = {};
    const at = (v: number): CellReading => ({ value: v });
    let pass = cache.begin();
    expect(cache.get(series, at(1), undefined, pass)).toBeUndefined();
    cache.set(series, at(1), undefined, 'x 1\n', pass);
    cache.finish(pass, 1);
    pass = cache.begin();
    expect(cache.get(series, at(1), undefined, pass)).toBe('x 1\n');
    // Changed twice in a row: the second time no text is kept.
    pass = cache.begin();
    expect(cache.get(series, at(2), undefined, pass)).toBeUndefined();
    cache.set(series, at(2), undefined, 'x 2\n', pass);
    pass = cache.begin();
    expect(cache.get(series, at(3), undefined, pass)).toBeUndefined();
    cache.set(series, at(3), undefined, 'x 3\n', pass);
    expect((cache as unknown as { used: number }).used).toBe(96); // the entry, no text
    pass = cache.begin();
    expect(cache.get(series, at(3), undefined, pass)).toBeUndefined(); // unchanged, but no text kept
    cache.set(series, at(3), undefined, 'x 3\n', pass);
    pass = cache.begin();
    expect(cache.get(series, at(3), undefined, pass)).toBe('x 3\n');
    // A bucket array the backend mutates in place is compared by value, not identity.
    const buckets = [1, 2];
    const b = {};
    cache.set(b, { count: 3, sum: 1, bucketCounts: buckets }, 5, 'h\n', pass);
    buckets[1] = 3;
    expect(cache.get(b, { count: 3, sum: 1, bucketCounts: buckets }, 5, pass)).toBeUndefined();
  });

  it('stays within its budget and drops entries of series a scrape no longer visits', () => {
    const budget = new TextCacheBudget(96 * 2 + 8);
    const cache = new SeriesTextCache(budget);
    const [s1, s2, s3] = [{}, {}, {}];
    let pass = cache.begin();
    cache.set(s1, { value: 1 }, undefined, 'aaaa', pass);
    cache.set(s2, { value: 1 }, undefined, 'bbbb', pass);
    cache.set(s3, { value: 1 }, undefined, 'cccc', pass); // past the budget: not kept
    expect(budget.used).toBe(2 * (96 + 4));
    expect(cache.get(s3, { value: 1 }, undefined, pass)).toBeUndefined();
    cache.finish(pass, 3);
    pass = cache.begin();
    expect(cache.get(s1, { value: 1 }, undefined, pass)).toBe('aaaa');
    cache.finish(pass, 1); // s2 was removed
    expect(budget.used).toBe(96 + 4);
    cache.clear();
    expect(budget.used).toBe(0);
  });

  it('caches no family larger than MAX_CACHED_SERIES, and frees what it kept for it', async () => {
    const caches = new TextCaches();
    expect(caches.of('f', 'prometheus', MAX_CACHED_SERIES)).toBeDefined();
    expect(caches.of('f', 'prometheus', MAX_CACHED_SERIES + 1)).toBeUndefined();
    const m = createMetrics();
    const c = m.counter('big_total', { help: 'h', labelNames: ['id'] });
    for (let i = 0; i < MAX_CACHED_SERIES; i++) c.inc({ id: String(i) });
    await m.registry.expose();
    c.inc({ id: 'one more' });
    c.inc({ id: '7' });
    expect(await m.registry.expose()).toBe(render(await m.registry.collect(), 'prometheus'));
  });
});
